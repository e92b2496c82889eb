package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"nslab/internal/labtest"
)

// More attacks, each made for real from inside, each with a control that
// shows it working when its protection is off — so that a test cannot pass
// because the kernel happened to forbid the attack anyway.

// A user namespace inside the container gives container root every
// capability again: refused by the filter.
func TestAttackNestedUserNamespace(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	attack := `unshare -U -r sh -c 'unshare -m mount -t tmpfs x /tmp && echo mounted'`
	runC(t, "--net=none", "--", "sh", "-c", attack).Want(t, 1).Contains(t, "unshare(0x10000000): Operation not permitted")
	runC(t, "--net=none", "--seccomp=off", "--", "sh", "-c", attack).Want(t, 0).Contains(t, "mounted")
}

// Every thread of PID 1 holds exactly the command's capabilities, with
// no_new_privs and the filter — over many runs, whatever the scheduler
// did with the init's threads.
func TestPID1HoldsNothingMore(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	script := `for f in /proc/1/task/*/status; do grep -E '^(Cap|NoNewPrivs|Seccomp:)' $f | tr '\n' ' '; echo; done | sort | uniq -c
grep -E '^(Cap|NoNewPrivs|Seccomp:)' /proc/self/status | tr '\n' ' '; echo`
	for i := 0; i < 50; i++ {
		r := runC(t, "--net=none", "--", "sh", "-c", script).Want(t, 0)
		lines := labtest.Lines(r.Stdout)
		if len(lines) != 2 {
			t.Fatalf("run %d: the threads of PID 1 differ from one another:\n%s", i, r.Stdout)
		}
		count, pid1, _ := strings.Cut(strings.TrimSpace(lines[0]), " ")
		if count == "1" {
			t.Fatalf("PID 1 has one thread: the check would prove little\n%s", r.Stdout)
		}
		if strings.TrimSpace(pid1) != strings.TrimSpace(lines[1]) {
			t.Fatalf("run %d: PID 1's threads hold\n  %s\nthe command holds\n  %s", i, pid1, lines[1])
		}
	}
}

// PID 1 is not dumpable: its descriptors, environment and memory are out
// of the command's reach; the command's own are not.
func TestAttackInspectPID1(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	r := runC(t, "--net=none", "--", "sh", "-c", `cat /proc/1/fd/0; cat /proc/1/environ; head -c 1 /proc/1/mem; ls /proc/1/root/; echo self: $(cat /proc/self/environ | tr '\0' '\n' | grep -c PATH)`)
	for _, p := range []string{"/proc/1/fd/0", "/proc/1/environ", "/proc/1/mem", "/proc/1/root/"} {
		if !strings.Contains(r.Stderr, p) || !strings.Contains(r.Stderr, "Permission denied") {
			t.Errorf("%s was not refused:\n%s", p, r.Output())
		}
	}
	r.Contains(t, "self: 1")
}

// The host's /dev/null is out of reach: every mask is the container's own
// /dev/null, which chmod and chown inside change — the control — while
// the host's stays as it was.
func TestAttackHostDevNull(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	var before unix.Stat_t
	if err := unix.Stat("/dev/null", &before); err != nil {
		t.Fatal(err)
	}
	script := "for p in " + strings.Join(maskedPaths, " ") + `; do [ -c $p ] && { chmod 600 $p; chown 1:1 $p; }; done; stat -c '%a %u' /dev/null`
	runC(t, "--net=none", "--", "sh", "-c", script).Want(t, 0).Contains(t, "600 1")
	var after unix.Stat_t
	if err := unix.Stat("/dev/null", &after); err != nil {
		t.Fatal(err)
	}
	if after.Mode != before.Mode || after.Uid != before.Uid || after.Gid != before.Gid || after.Rdev != before.Rdev {
		t.Fatalf("the host's /dev/null changed: %o %d:%d → %o %d:%d", before.Mode, before.Uid, before.Gid, after.Mode, after.Uid, after.Gid)
	}
}

// Nothing of the container's /etc files reaches the host, and none can
// grow big or run setuid: hostname and resolv.conf are read-only, hosts
// is on a 64 KiB tmpfs of the container's own, all nosuid, nodev, noexec.
// The control: a small write to /etc/hosts works.
func TestAttackEtcFiles(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	var run unix.Statfs_t
	if err := unix.Statfs("/run", &run); err != nil {
		t.Fatal(err)
	}
	script := insideOnly + `grep -E ' /etc/(hostname|hosts|resolv.conf) ' /proc/self/mountinfo | cut -d' ' -f5,6
echo x > /etc/hostname; echo x > /etc/resolv.conf
echo "10.0.0.9 extra" >> /etc/hosts && echo small write ok
dd if=/dev/zero of=/etc/hosts bs=1M count=100 2>&1 | tail -1
cp /bin/busybox /etc/hosts; chmod 4755 /etc/hosts; /etc/hosts true || echo not run`
	r := runC(t, "--net=none", "--", "sh", "-c", script)
	r.Contains(t,
		"/etc/hostname ro,nosuid,nodev,noexec", "/etc/hosts rw,nosuid,nodev,noexec", "/etc/resolv.conf ro,nosuid,nodev,noexec",
		"can't create /etc/hostname: Read-only file system", "can't create /etc/resolv.conf: Read-only file system",
		"small write ok", "No space left on device", "not run")
	var after unix.Statfs_t
	if err := unix.Statfs("/run", &after); err != nil {
		t.Fatal(err)
	}
	if lost := int64(run.Bfree-after.Bfree) * after.Bsize; lost > 1<<20 {
		t.Errorf("the host's /run lost %d bytes", lost)
	}
}

// While a container runs, its state on the host is its owner and info
// records, an empty mount point for its /etc files' tmpfs, and its layer,
// in directories only root may enter.
func TestStateDirectoryIsPrivate(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	c := labtest.Start(t, bin, args(t, "--net=none", "--", "sh", "-c", "echo ready; read x; exit 0")...)
	waitFor(t, c, "ready")
	var files []string
	_ = filepath.Walk("/run/nslab", func(path string, fi os.FileInfo, err error) error {
		if err == nil {
			files = append(files, fmt.Sprintf("%s %o", strings.TrimPrefix(path, "/run/nslab"), fi.Mode().Perm()))
		}
		if err == nil && fi.IsDir() && filepath.Base(path) == "layer" {
			return filepath.SkipDir
		}
		return nil
	})
	c.Close()
	c.Wait(t).Want(t, 0)
	var got []string
	for _, f := range files {
		if i := strings.Index(f, "/containers/"); i >= 0 && len(f) > i+24 {
			f = "/containers/ID" + f[i+24:]
		}
		got = append(got, f)
	}
	want := []string{" 700", "/containers 700", "/containers/ID 700", "/containers/ID/etc 700", "/containers/ID/info 600", "/containers/ID/layer 700", "/containers/ID/owner 600"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("/run/nslab while a container runs:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// The container's cgroup namespace is rooted at a cgroup of its own: from
// inside, "/"; from the host, nslab/ID. A nested cgroup2 mount is refused;
// with the filter off (the control) it works, and still shows nothing
// outside the container's cgroup — and what it creates there goes with
// the container.
func TestAttackCgroupTree(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	c := labtest.Start(t, bin, args(t, "--net=none", "--", "sh", "-c", "grep '^0::' /proc/self/cgroup; echo ready; read x; exit 0")...)
	waitFor(t, c, "ready")
	if !strings.Contains(c.Output(), "0::/\n") {
		t.Errorf("the container's own view: %q, want 0::/", c.Output())
	}
	pid := initPID(c.Pid())
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if !strings.Contains(string(b), "0::/nslab/") {
		t.Errorf("from the host, the init is in %q, want a cgroup under /nslab/", b)
	}
	c.Close()
	c.Wait(t).Want(t, 0)

	attack := []string{"unshare", "-U", "-r", "-m", "nsprobe", "cgroup-mount", "/tmp", "plant"}
	runC(t, append([]string{"--net=none", "--"}, attack...)...).Want(t, 1).Contains(t, "Operation not permitted")
	r := runC(t, append([]string{"--net=none", "--seccomp=off", "--"}, attack...)...).Want(t, 0)
	r.Contains(t, "cgroup-mount: 0 cgroups below the root of the view", "cgroup-mount: made a cgroup")
	r.Matches(t, `cgroup-mount: [1-4] processes in it`)
	// The control: the same look from the host's cgroup sees its processes.
	dir := t.TempDir()
	host := labtest.Run(t, "unshare", "-U", "-r", "-m", probe, "cgroup-mount", dir).Want(t, 0)
	host.Matches(t, `cgroup-mount: (\d{2,}) processes in it`)
}

// One container cannot take every pseudo-terminal: its devpts instance
// stops at 64, and another container still gets one meanwhile.
func TestPtyLimit(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	c := labtest.Start(t, bin, args(t, "--net=none", "--", "nsprobe", "ptys", "4096", "hold")...)
	waitFor(t, c, fmt.Sprintf("ptys: had %d, then no space left on device", ptyMax))
	runC(t, "--net=none", "-t", "--", "tty").Want(t, 0).Contains(t, "/dev/pts/0")
	c.Close()
	c.Wait(t)
}

// System calls outside the allow-list are refused; newer than the list,
// they are unknown. The controls, with the filter off: an io_uring is set
// up, and the mount API works in a user namespace of the container's.
func TestAttackSystemCalls(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	runC(t, "--net=none", "--", "nsprobe", "io-uring").Want(t, 1).Contains(t, "io-uring: refused: operation not permitted")
	runC(t, "--net=none", "--seccomp=off", "--", "nsprobe", "io-uring").Want(t, 0).Contains(t, "a ring of 8 entries")
	runC(t, "--net=none", "--", "nsprobe", "fsopen").Want(t, 1).Contains(t, "fsopen: refused: operation not permitted")
	runC(t, "--net=none", "--seccomp=off", "--", "unshare", "-U", "-r", "-m", "nsprobe", "fsopen").Want(t, 0).Contains(t, "a tmpfs context")
	runC(t, "--net=none", "--", "nsprobe", "syscall", "1000").Want(t, 1).Contains(t, "syscall: refused: function not implemented")
	for _, f := range []string{"/proc/kpagecount", "/proc/slabinfo", "/proc/vmallocinfo"} {
		runC(t, "--net=none", "--", "sh", "-c", "wc -c < "+f).Want(t, 0).Contains(t, "0")
		r := runC(t, "--net=none", "--mask-proc=false", "--", "sh", "-c", "head -c 100 "+f+" | wc -c").Want(t, 0)
		if strings.TrimSpace(r.Stdout) == "0" {
			t.Errorf("%s is empty even unmasked: the control proves nothing", f)
		}
	}
}

// A rootless runtime's state directory in /tmp is refused when someone
// else made it first — a link to another directory, or a directory of
// another user — and nothing behind the link is touched.
func TestAttackRootlessStatePath(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	state := fmt.Sprintf("/tmp/nslab-%d", labtest.Nobody)
	os.RemoveAll(state)
	victim := labtest.SharedDir(t)
	if err := os.MkdirAll(filepath.Join(victim, "containers", "x"), 0o777); err != nil {
		t.Fatal(err)
	}
	for _, plant := range []func() error{
		func() error { return os.Symlink(victim, state) },
		func() error { return os.Mkdir(state, 0o777) },
	} {
		if err := plant(); err != nil {
			t.Fatal(err)
		}
		r := labtest.RunOpts(t, labtest.Opts{UID: labtest.Nobody, Env: []string{"XDG_RUNTIME_DIR="}}, bin, args(t, "--net=none", "--", "true")...)
		r.Want(t, 125).Contains(t, "06-container: state directory "+state)
		if _, err := os.Stat(filepath.Join(victim, "containers", "x")); err != nil {
			t.Errorf("the planted directory's content was touched: %v", err)
		}
		os.Remove(state)
	}
	// The control: without a plant, a rootless container runs.
	labtest.RunOpts(t, labtest.Opts{UID: labtest.Nobody, Env: []string{"XDG_RUNTIME_DIR="}}, bin, args(t, "--net=none", "--", "true")...).Want(t, 0)
	os.RemoveAll(state)
}

// privateRootfs is a root filesystem of the test's own, to break.
func privateRootfs(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	r, err := labtest.Rootfs(dir, probe)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// pausedContainer starts a container whose init stops before it touches
// the root filesystem, and returns a function that lets it go on after
// the rootfs was changed — the race an attacker who can write the rootfs
// would run.
func pausedContainer(t *testing.T, rootfs string, a ...string) (*labtest.Running, func()) {
	t.Helper()
	fifo := filepath.Join(t.TempDir(), "pause")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	os.Setenv("NSLAB_TEST_PAUSE", fifo)
	c := labtest.Start(t, bin, append([]string{"--rootfs", rootfs}, a...)...)
	os.Unsetenv("NSLAB_TEST_PAUSE")
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0) // returns once the init is there
	if err != nil {
		t.Fatal(err)
	}
	return c, func() { w.Close() }
}

// Each part of the rootfs the init mounts on or writes to, swapped for a
// symbolic link to a host directory while the init waits: the host stays
// as it was. The links resolve inside the rootfs, where they lead nowhere.
func TestAttackPathRaces(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	host := labtest.SharedDir(t)
	if err := os.WriteFile(filepath.Join(host, "hostname"), []byte("host's own\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"proc", "sys", "dev", "etc", "etc/hostname", "etc/hosts", "etc/resolv.conf"} {
		t.Run(strings.ReplaceAll(path, "/", "_"), func(t *testing.T) {
			r := privateRootfs(t)
			c, goOn := pausedContainer(t, r, "--net=none", "--", "true")
			target := filepath.Join(r, path)
			if err := os.RemoveAll(target); err != nil {
				t.Fatal(err)
			}
			link := host
			if strings.HasPrefix(path, "etc/") {
				link = filepath.Join(host, "hostname")
			}
			if err := os.Symlink(link, target); err != nil {
				t.Fatal(err)
			}
			// The control: followed on the host's side, the path leads
			// to the host's directory.
			if _, err := os.Stat(target); err != nil {
				t.Fatalf("the planted link leads nowhere on the host: %v", err)
			}
			goOn()
			res := c.Wait(t)
			t.Logf("%s → %s: exit %d %s", path, link, res.Code, strings.TrimSpace(res.Stdout))
			entries, _ := os.ReadDir(host)
			b, _ := os.ReadFile(filepath.Join(host, "hostname"))
			if len(entries) != 1 || string(b) != "host's own\n" {
				t.Errorf("the host directory changed: %d entries, hostname %q", len(entries), b)
			}
		})
	}
	// A rootfs shipped with etc -> /etc is refused before anything starts.
	r := privateRootfs(t)
	os.RemoveAll(filepath.Join(r, "etc"))
	os.Symlink("/etc", filepath.Join(r, "etc"))
	labtest.Run(t, bin, "--rootfs", r, "--net=none", "--", "true").Want(t, 125).Contains(t, "/etc is a symbolic link")
}

// A set-up that fails (here /proc swapped for a link to / during the
// pause) leaves the terminal as it was too.
func TestTerminalRestoredAfterFailedSetup(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	r := privateRootfs(t)
	fifo := filepath.Join(t.TempDir(), "pause")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	term := labtest.StartOnTerminal(t, []string{"NSLAB_TEST_PAUSE=" + fifo}, bin, "--rootfs", r, "--net=none")
	before := labtest.StateOf(t, term.Master)
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(r, "proc"))
	os.Symlink("/", filepath.Join(r, "proc"))
	w.Close()
	if status := term.Wait(t); status != 125 {
		t.Errorf("exit status %d, want 125\n%s", status, term.Screen())
	}
	if !strings.Contains(term.Screen(), "resolves to the root itself") {
		t.Errorf("screen:\n%s", term.Screen())
	}
	if after := labtest.StateOf(t, term.Master); after.Termios != before.Termios {
		t.Errorf("the terminal's modes were not restored")
	}
}
