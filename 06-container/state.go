package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"nslab/internal/cli"
)

// The runtime's state lives in a tmpfs that a reboot empties: /run/nslab
// for root, $XDG_RUNTIME_DIR/nslab (or /tmp/nslab-UID) for a rootless
// user.
//
//	/run/nslab/containers/ID/owner   "PID START ID": the runtime that runs it
//	/run/nslab/leases/BRIDGE/IP      "PID START ID": who holds the address
//
// Every record names its owner by PID and start time, so that the files of
// a runtime that was killed with SIGKILL can be told from those of a live
// one, even if its PID was reused.
//
// The state is no one else's business: every directory is 0700, and the
// container's /etc files are not kept here at all but on a tmpfs of the
// container's own (etc.go). A rootless state directory in /tmp is checked
// before use — another user could have made it first, or planted a
// symbolic link there — and nothing that removes state follows a link.

// stateRoot returns the directory of the runtime's state. A rootless
// runtime's is created if missing and refused unless it is a real
// directory of the caller's that no one else may enter.
func stateRoot(rootless bool) (string, error) {
	dir := stateRootPath(rootless)
	if !rootless {
		return dir, nil
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return "", cli.Failf("state directory %s: %w", dir, err)
	}
	return dir, checkPrivate(dir)
}

// stateRootPath is where the state directory is, or would be.
func stateRootPath(rootless bool) string {
	if !rootless {
		return "/run/nslab"
	}
	if xdg := os.Getenv("XDG_RUNTIME_DIR"); xdg != "" {
		return filepath.Join(xdg, "nslab")
	}
	return fmt.Sprintf("/tmp/nslab-%d", os.Getuid())
}

// existingStateRoot is stateRoot for ps, exec and stop, which only look:
// it creates nothing, and "" means there is no state, so no container.
func existingStateRoot(rootless bool) (string, error) {
	dir := stateRootPath(rootless)
	if _, err := os.Lstat(dir); errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if rootless {
		return dir, checkPrivate(dir)
	}
	return dir, nil
}

// checkPrivate refuses a state directory that is a symbolic link, not a
// directory, not the caller's, or open to others.
func checkPrivate(dir string) error {
	var st unix.Stat_t
	if err := unix.Lstat(dir, &st); err != nil {
		return cli.Failf("state directory %s: %w", dir, err)
	}
	why := ""
	switch {
	case st.Mode&unix.S_IFMT == unix.S_IFLNK:
		why = "is a symbolic link"
	case st.Mode&unix.S_IFMT != unix.S_IFDIR:
		why = "is not a directory"
	case int(st.Uid) != os.Geteuid():
		why = fmt.Sprintf("belongs to uid %d", st.Uid)
	case st.Mode&0o077 != 0:
		why = fmt.Sprintf("has mode %o, open to others", st.Mode&0o777)
	}
	if why != "" {
		return cli.Failf("state directory %s %s — someone else may have made it: remove it, or set XDG_RUNTIME_DIR to a directory of your own", dir, why)
	}
	return nil
}

// owner is a process, named so that a reused PID is not mistaken for it.
type owner struct {
	PID   int
	Start uint64 // start time in clock ticks since boot: field 22 of /proc/PID/stat
}

// self returns this process as an owner.
func self() owner {
	start, _ := startTime(os.Getpid())
	return owner{PID: os.Getpid(), Start: start}
}

// alive reports whether the owner is still running: its PID holds the
// same process (the same start time), and that process has not died — a
// killed process stays a zombie, /proc entry and all, until its parent
// reaps it, which a runtime started in the background by a shell that
// has exited may wait for a while.
func (o owner) alive() bool {
	state, start, err := procStat(o.PID)
	return err == nil && start == o.Start && state != "Z" && state != "X"
}

func (o owner) String() string { return fmt.Sprintf("%d %d", o.PID, o.Start) }

// startTime reads field 22 of /proc/PID/stat, the start time.
func startTime(pid int) (uint64, error) {
	_, start, err := procStat(pid)
	return start, err
}

// procStat reads fields 3 (the state: R, S, Z …) and 22 (the start
// time) of /proc/PID/stat. The command name (field 2) may hold spaces,
// so the fields are counted after its closing ')'.
func procStat(pid int) (state string, start uint64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", 0, err
	}
	rest := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(rest) < 20 {
		return "", 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	start, err = strconv.ParseUint(rest[19], 10, 64)
	return rest[0], start, err
}

// record is the content of an owner file or a lease: "PID START ID".
func record(o owner, id string) []byte {
	return []byte(fmt.Sprintf("%s %s\n", o, id))
}

// readRecord parses a record file.
func readRecord(path string) (owner, string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return owner{}, "", err
	}
	var o owner
	var id string
	if _, err := fmt.Sscanf(string(b), "%d %d %s", &o.PID, &o.Start, &id); err != nil {
		return owner{}, "", fmt.Errorf("%s: %q is not a record", path, b)
	}
	return o, id, nil
}

// makeContainerDir creates the container's directory with its owner file,
// and the empty directory its init mounts the /etc files' tmpfs on.
func makeContainerDir(root, id string) (string, error) {
	dir := filepath.Join(root, "containers", id)
	if err := os.MkdirAll(filepath.Join(dir, "etc"), 0o700); err != nil {
		return "", cli.Failf("state directory: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "owner"), record(self(), id), 0o600); err != nil {
		return "", cli.Failf("state directory: %w", err)
	}
	return dir, nil
}

// removeContainerDir removes the container's directory and what is in it,
// its layer's tmpfs first (for a runtime that was killed, it is still
// mounted). os.RemoveAll removes a symbolic link it meets, never what it
// points to.
func removeContainerDir(dir string) error {
	if err := unmountLayer(filepath.Join(dir, "layer")); err != nil {
		return err
	}
	return os.RemoveAll(dir)
}

// tidy removes the state directories that are empty: the last container
// to leave takes the state directory with it. The caller holds its lock;
// a runtime waiting for that lock notices the removal and starts again.
func tidy(root, bridge string) error {
	for _, d := range []string{leaseDir(root, bridge), filepath.Join(root, "leases"), filepath.Join(root, "containers"), root} {
		err := os.Remove(d)
		if err != nil && !errors.Is(err, os.ErrNotExist) && !errors.Is(err, unix.ENOTEMPTY) && !errors.Is(err, unix.EEXIST) {
			return err
		}
	}
	return nil
}

// lockDir takes an exclusive flock(2) on a directory, creating it if
// needed. The kernel drops the lock when the process dies, so it can never
// go stale, and it needs no lock file. If --cleanup removed the directory
// while we waited for the lock, the lock is on a directory nobody can
// find: start again.
func lockDir(dir string) (unlock func(), err error) {
	for {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		if err := os.Chmod(dir, 0o700); err != nil { // made 0755 by an older nslab
			return nil, err
		}
		f, err := os.Open(dir)
		if err != nil {
			return nil, err
		}
		if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
			f.Close()
			return nil, err
		}
		if sameFile(f, dir) {
			return func() { f.Close() }, nil
		}
		f.Close()
	}
}

// sameFile reports whether the open file is still the one at path.
func sameFile(f *os.File, path string) bool {
	a, err1 := f.Stat()
	b, err2 := os.Stat(path)
	return err1 == nil && err2 == nil && os.SameFile(a, b)
}

// sweep removes the container directories, veth pairs, rules, leases and
// cgroups whose runtime is gone — the network before the leases, so that
// no address is free while an interface still answers for it — and
// returns how many live containers it saw. The caller
// holds the state directory's lock, so no file it reads is half-written.
// Entries that are not what the runtime makes (a symbolic link) are
// removed as they are, never followed.
func sweep(root string, rootless bool) (live int, removed []string) {
	dirs, _ := filepath.Glob(filepath.Join(root, "containers", "*"))
	alive := map[string]bool{}
	for _, d := range dirs {
		if !is(d, unix.S_IFDIR) {
			removed = append(removed, removeLink(d)...)
			continue
		}
		if o, _, err := readRecord(filepath.Join(d, "owner")); err == nil && o.alive() {
			live++
			alive[filepath.Base(d)] = true
			continue
		}
		if err := removeContainerDir(d); err != nil {
			cli.Warnf("cleanup: stale %s: %v", d, err)
			continue
		}
		removed = append(removed, d)
	}
	if !rootless {
		removed = append(removed, sweepNetwork(alive)...)
	}
	leases, _ := filepath.Glob(filepath.Join(root, "leases", "*", "*"))
	for _, l := range leases {
		if !is(l, unix.S_IFREG) {
			removed = append(removed, removeLink(l)...)
			continue
		}
		if o, _, err := readRecord(l); err == nil && o.alive() {
			continue
		}
		if err := os.Remove(l); err != nil && !errors.Is(err, os.ErrNotExist) {
			cli.Warnf("cleanup: stale lease %s: %v", l, err)
			continue
		}
		removed = append(removed, l)
	}
	if !rootless {
		removed = append(removed, sweepCgroups(alive)...)
	}
	return live, removed
}

// is reports whether path, not followed if it is a link, has this type.
func is(path string, typ uint32) bool {
	var st unix.Stat_t
	return unix.Lstat(path, &st) == nil && st.Mode&unix.S_IFMT == typ
}

// removeLink removes an entry that is not what the runtime makes — a
// symbolic link, say — itself, never what it leads to.
func removeLink(path string) []string {
	if err := unix.Unlink(path); err != nil {
		cli.Warnf("cleanup: %s: %v", path, err)
		return nil
	}
	return []string{path}
}

// sweepCgroups removes the cgroups of containers that are gone. One whose
// processes somehow outlived the init is emptied first with cgroup.kill
// (Linux 5.14).
func sweepCgroups(alive map[string]bool) []string {
	var removed []string
	for _, dir := range staleCgroups(alive) {
		_ = os.WriteFile(filepath.Join(dir, "cgroup.kill"), []byte("1"), 0)
		if err := removeCgroup(dir); err != nil {
			cli.Warnf("cleanup: %v", err)
			continue
		}
		removed = append(removed, dir)
	}
	return removed
}
