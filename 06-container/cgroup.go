package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"nslab/02-mount/mountns"
	"nslab/internal/cli"
	"nslab/internal/explain"
)

// A cgroup of its own. A cgroup namespace is a view: its root is the
// cgroup its creator was in, and everything below that root is visible —
// and, through a cgroup2 mount, writable — from inside. Created from the
// runtime's cgroup (often the root of the hierarchy), it would show the
// host's whole tree, every cgroup.kill in it included. So the runtime
// makes a cgroup for each container, under nslab/ in the unified (v2)
// hierarchy, moves the init into it, and only then does the init create
// its cgroup namespace (pid1.go): the view is rooted at the container's
// own cgroup, and the rest of the tree is out of sight.
//
// On a hybrid host (cgroup v1 holds the controllers, v2 is mounted on
// /sys/fs/cgroup/unified) the cgroup limits nothing yet, but it still
// roots the view. A rootless container has no cgroup of its own: creating
// one needs a subtree the user was given (delegated), and its view is
// rooted at the user's own cgroup.

// cgroupParent is the subtree of the unified hierarchy nslab's cgroups
// live in.
const cgroupParent = "nslab"

// unifiedRoot finds where the cgroup v2 hierarchy is mounted.
func unifiedRoot() (string, error) {
	mounts, err := mountns.Read("/proc/self/mountinfo")
	if err != nil {
		return "", err
	}
	for _, m := range mounts {
		if m.FSType == "cgroup2" {
			return m.MountPoint, nil
		}
	}
	return "", errors.New("no cgroup v2 hierarchy is mounted (cgroup v1 alone is not supported) — mount -t cgroup2 none /sys/fs/cgroup/unified, or boot with systemd.unified_cgroup_hierarchy=1")
}

// makeCgroup creates nslab/ID in the unified hierarchy.
func makeCgroup(id string, log *explain.Log) (string, error) {
	root, err := unifiedRoot()
	if err != nil {
		return "", cli.Failf("%w", err)
	}
	parent := filepath.Join(root, cgroupParent)
	if err := os.Mkdir(parent, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return "", cli.Failf("cgroup %s: %w", parent, err)
	}
	dir := filepath.Join(parent, id)
	log.Step(fmt.Sprintf("mkdir(%q)", dir), "mkdir "+dir)
	if err := os.Mkdir(dir, 0o755); err != nil {
		return "", cli.Failf("cgroup %s: %w", dir, err)
	}
	return dir, nil
}

// mountCgroupView mounts the unified hierarchy on /sys/fs/cgroup inside,
// read-only. Mounted from a thread in the container's new cgroup
// namespace, it shows the container's own cgroup as its root (its
// memory.max, pids.max, cpu.stat …) and nothing above it
// (cgroup_namespaces(7)).
func mountCgroupView(log *explain.Log) error {
	err := mountns.MountFS("cgroup2", "cgroup2", "/sys/fs/cgroup", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "", log)
	if err != nil {
		return cli.Failf("mounting the cgroup view: %w", err)
	}
	return nil
}

// killCgroup ends every process of a container at once by writing 1 to
// its cgroup.kill (Linux 5.14), which sends SIGKILL to each; it reports
// false where the kernel has no such file.
func killCgroup(dir string, log *explain.Log) bool {
	file := filepath.Join(dir, "cgroup.kill")
	if _, err := os.Stat(file); err != nil {
		return false
	}
	return writeCgroupFile(file, "1", log) == nil
}

// joinCgroup moves a process into the cgroup: one write of its PID to
// cgroup.procs.
func joinCgroup(dir string, pid int, log *explain.Log) error {
	procs := filepath.Join(dir, "cgroup.procs")
	log.Step(fmt.Sprintf("write(%q, %d)", procs, pid), fmt.Sprintf("echo %d > %s", pid, procs))
	if err := os.WriteFile(procs, []byte(strconv.Itoa(pid)), 0); err != nil {
		return cli.Failf("moving PID %d into cgroup %s: %w", pid, dir, err)
	}
	return nil
}

// visitCgroup moves this process into a container's cgroup, so that the
// next child is born there, and returns the move back to where it was.
// Moving the child afterwards would let it run a moment outside, and
// clone3's CLONE_INTO_CGROUP (cgroup_born.go) is no way for exec: it forks
// from a thread that holds the container's seccomp filter, which answers
// clone3 with ENOSYS.
func visitCgroup(dir string, log *explain.Log) (back func() error, err error) {
	none := func() error { return nil }
	if dir == "" {
		return none, nil
	}
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return none, err
	}
	root, err := unifiedRoot()
	if err != nil {
		return none, err
	}
	home := ""
	for _, line := range strings.Split(string(b), "\n") {
		if p := strings.TrimPrefix(line, "0::"); p != line {
			home = filepath.Join(root, p)
		}
	}
	if home == "" {
		return none, errors.New("this process is in no cgroup of the unified hierarchy")
	}
	if err := joinCgroup(dir, os.Getpid(), log); err != nil {
		return none, err
	}
	return func() error { return joinCgroup(home, os.Getpid(), log) }, nil
}

// removeCgroup removes a container's cgroup, and any the container made
// below it (with CAP_SYS_ADMIN, or --seccomp=off, it can): a cgroup with
// children or processes in it cannot be removed. When the init has just
// died, the kernel may still be ending the others (EBUSY), so each is
// tried again for a few seconds.
func removeCgroup(dir string) error {
	children, _ := os.ReadDir(dir)
	for _, c := range children {
		if c.IsDir() {
			if err := removeCgroup(filepath.Join(dir, c.Name())); err != nil {
				return err
			}
		}
	}
	for try := 0; ; try++ {
		err := unix.Rmdir(dir)
		if err == nil || errors.Is(err, unix.ENOENT) {
			return nil
		}
		if !errors.Is(err, unix.EBUSY) || try == 200 {
			return fmt.Errorf("removing cgroup %s: %w", dir, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// staleCgroups lists the cgroups under nslab/ whose container is not
// among the live ones.
func staleCgroups(live map[string]bool) []string {
	root, err := unifiedRoot()
	if err != nil {
		return nil
	}
	entries, _ := os.ReadDir(filepath.Join(root, cgroupParent))
	var stale []string
	for _, e := range entries {
		if e.IsDir() && !live[e.Name()] {
			stale = append(stale, filepath.Join(root, cgroupParent, e.Name()))
		}
	}
	return stale
}

// tidyCgroups removes nslab/ itself once no container has a cgroup there.
func tidyCgroups() error {
	root, err := unifiedRoot()
	if err != nil {
		return nil
	}
	err = unix.Rmdir(filepath.Join(root, cgroupParent))
	if err == nil || errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EBUSY) || errors.Is(err, unix.ENOTEMPTY) {
		return nil
	}
	return err
}
