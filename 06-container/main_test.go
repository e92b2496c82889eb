package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"nslab/02-mount/mountns"
	"nslab/internal/labtest"
)

var bin, probe string

func TestMain(m *testing.M) {
	if os.Getenv(underClone3Filter) != "" {
		runUnderClone3Filter()
	}
	os.Exit(labtest.Main(m, map[string]*string{".": &bin, "./nsprobe": &probe}))
}

var (
	rootfsOnce sync.Once
	rootfsDir  string
	rootfsErr  error
)

// rootfs is a busybox root filesystem with nsprobe, built once for all
// the tests of this package, in a directory every uid can read.
func rootfs(t testing.TB) string {
	t.Helper()
	rootfsOnce.Do(func() { rootfsDir, rootfsErr = labtest.Rootfs(labtest.BuildDir, probe) })
	if rootfsErr != nil {
		t.Fatal(rootfsErr)
	}
	return rootfsDir
}

// args prepends --rootfs to a command line. A container on a network
// reaches the outside by default — on the bridge as root, through
// slirp4netns or pasta rootless — so a test's must name its name server:
// a run without --dns or --net=none is refused here. Tests that look
// nothing up give noDNS.
func args(t testing.TB, a ...string) []string {
	t.Helper()
	if networked(a) && !hasFlag(a, "--dns") {
		t.Fatalf("a container with a network in a test needs --dns (noDNS, or a name server of the test's own): %q", a)
	}
	return append([]string{"--rootfs", rootfs(t)}, a...)
}

// insideOnly starts a script that writes or deletes files: it stops,
// having done nothing, unless it runs inside the container's root — so
// that a broken runtime under test (classroom mode grades students'
// ones) cannot turn the script on the host's files.
const insideOnly = `[ -e /etc/nslab-rootfs ] || { echo "not inside the container's root: refusing to write"; exit 99; }; `

// noDNS is the container's own loopback as its name server: a lookup
// fails at once, inside, and nothing leaves.
const noDNS = "--dns=127.0.0.1"

// networked reports whether a command line runs a container that may
// have a network: not a subcommand, nor --net=none.
func networked(a []string) bool {
	if len(a) > 0 && (a[0] == "exec" || a[0] == "ps" || a[0] == "stop" || a[0] == "--cleanup") {
		return false
	}
	for i, x := range a {
		switch {
		case x == "--":
			return true
		case x == "--net=none", x == "--cleanup", x == "--net" && i+1 < len(a) && a[i+1] == "none":
			return false
		}
	}
	return true
}

// hasFlag reports whether a flag is given before --.
func hasFlag(a []string, flag string) bool {
	for _, x := range a {
		if x == "--" {
			return false
		}
		if x == flag || strings.HasPrefix(x, flag+"=") {
			return true
		}
	}
	return false
}

// runC runs 06-container as root.
func runC(t testing.TB, a ...string) labtest.Result {
	t.Helper()
	return labtest.Run(t, bin, args(t, a...)...)
}

// noTrace checks that the host ends as it began. The bridge outlives a
// container by design, until --cleanup; so --cleanup runs before the
// "before" snapshot (removing what an earlier, killed run may have left)
// and again before the "after" one. Then links, mounts, named namespaces,
// /run/nslab and this process's descriptors must be as they were.
func noTrace(t *testing.T) {
	t.Helper()
	labtest.Run(t, bin, "--cleanup").Want(t, 0)
	labtest.NoTrace(t)
	t.Cleanup(func() { labtest.Run(t, bin, "--cleanup").Want(t, 0) })
}

func TestHostnameAndPID1(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	before, _ := os.Hostname()
	r := runC(t, noDNS, "--hostname", "box", "--", "sh", "-c", `hostname; echo $$; cat /proc/1/comm; cat /etc/hostname`).Want(t, 0)
	lines := labtest.Lines(r.Stdout)
	if len(lines) != 4 || lines[0] != "box" || lines[2] != "06-container" || lines[3] != "box" {
		t.Errorf("inside: %q", lines)
	}
	if after, _ := os.Hostname(); after != before {
		t.Errorf("host hostname changed to %q", after)
	}
	// The default hostname is the 12-digit container id.
	r = runC(t, noDNS, "--", "hostname").Want(t, 0)
	if h := strings.TrimSpace(r.Stdout); len(h) != 12 || strings.Trim(h, "0123456789abcdef") != "" {
		t.Errorf("default hostname %q is not a container id", h)
	}
}

// ps inside lists the init and ps itself, nothing of the host.
func TestOnlyTheContainersProcesses(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	r := runC(t, "--net=none", "--", "ps", "-o", "pid,comm").Want(t, 0)
	lines := labtest.Lines(r.Stdout)
	if len(lines) != 3 || !strings.HasPrefix(strings.TrimSpace(lines[1]), "1 06-container") || !strings.HasSuffix(lines[2], " ps") {
		t.Errorf("ps inside:\n%s", r.Stdout)
	}
}

func TestDev(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	r := runC(t, "--net=none", "--", "sh", "-c", `ls /dev | tr '\n' ' '; echo; stat -c '%t,%T %a' /dev/null /dev/zero /dev/tty; ls /dev/pts; head -c 4 /dev/zero | od -An -tx1; echo x > /dev/null && echo ok`).Want(t, 0)
	lines := labtest.Lines(r.Stdout)
	want := []string{
		"fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero ",
		"1,3 666", "1,5 666", "5,0 666",
		"ptmx",
		" 00 00 00 00",
		"ok",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("/dev inside:\n%s\nwant:\n%s", r.Stdout, strings.Join(want, "\n"))
	}
}

// The container's mounts never reach a host whose / is shared: while the
// container runs (it waits on a FIFO), the host's table has no mount
// below the rootfs.
func TestMountsStayInside(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	fifos := labtest.SharedDir(t)
	// The FIFOs are reached inside through a volume. On the host, while
	// the container runs: nothing under the rootfs, and under /run/nslab
	// only the layer's tmpfs, which the runtime mounts there on purpose.
	script := `mkfifo "$D/ready" "$D/done"
"$BIN" --rootfs "$R" --net=none --volume "$D:/fifo" -- sh -c "grep -c ' / ' /proc/self/mountinfo > /fifo/ready; read x < /fifo/done" &
inside=$(cat "$D/ready")
echo "host $(grep -c " $R" /proc/self/mountinfo) $(grep -c ' /run/nslab/' /proc/self/mountinfo)"
echo go > "$D/done"; wait`
	r := labtest.SystemdLikeHost(t, []string{"BIN=" + bin, "R=" + rootfs(t), "D=" + fifos}, script).Want(t, 0)
	if strings.TrimSpace(r.Stdout) != "host 0 1" {
		t.Errorf("mounts on the host while the container ran: %q (want none under the rootfs, the layer under /run/nslab)", r.Stdout)
	}
}

func TestExitCodes(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	for _, c := range []struct {
		cmd  []string
		want int
	}{
		{[]string{"true"}, 0},
		{[]string{"false"}, 1},
		{[]string{"sh", "-c", "exit 42"}, 42},
		{[]string{"sh", "-c", "kill -TERM $$"}, 128 + 15},
		{[]string{"sh", "-c", "kill -KILL $$"}, 128 + 9},
		{[]string{"/etc/passwd"}, 126},
		{[]string{"/etc"}, 126},
		{[]string{"no-such-command"}, 127},
		{[]string{"/bin/nope"}, 127},
	} {
		runC(t, append([]string{"--net=none", "--"}, c.cmd...)...).Want(t, c.want)
	}
}

// A signal to the runtime reaches the command; SIGTERM ends a container
// that ignores it after --stop-timeout.
func TestSignals(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	c := labtest.Start(t, bin, args(t, "--net=none", "--", "sh", "-c", `trap "echo got USR1; exit 42" USR1; echo ready; while :; do sleep 0.05; done`)...)
	waitFor(t, c, "ready")
	c.Signal(syscall.SIGUSR1)
	c.Wait(t).Want(t, 42).Contains(t, "got USR1")

	c = labtest.Start(t, bin, args(t, "--net=none", "--stop-timeout", "1", "--", "sh", "-c", `trap "" TERM; echo ready; while :; do sleep 0.05; done`)...)
	waitFor(t, c, "ready")
	c.Signal(syscall.SIGTERM)
	c.Wait(t).Want(t, 128+9)
}

func waitFor(t *testing.T, c *labtest.Running, want string) {
	t.Helper()
	for {
		line, err := c.ReadLine()
		if err != nil {
			t.Fatalf("waiting for %q: %v\n%s", want, err, c.Output())
		}
		if strings.Contains(line, want) {
			return
		}
	}
}

// When the runtime is killed with SIGKILL, the container dies with it,
// and the next run copes with the lease and state it left.
func TestRuntimeKilled(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	c := labtest.Start(t, bin, args(t, noDNS, "--ip", "10.99.0.77", "--", "sh", "-c", "echo ready; exec sleep 987001")...)
	waitFor(t, c, "ready")
	if len(processes(t, "sleep\x00987001\x00")) != 1 {
		t.Fatal("container not running")
	}
	c.Signal(syscall.SIGKILL)
	c.Wait(t)
	waitUntil(t, "the container's sleep to die", func() bool { return len(processes(t, "sleep\x00987001\x00")) == 0 })
	if _, err := os.Stat("/run/nslab/leases/nslab0/10.99.0.77"); err != nil {
		t.Fatalf("expected the dead runtime's lease to remain: %v", err)
	}
	runC(t, noDNS, "--ip", "10.99.0.77", "--", "true").Want(t, 0)
	if _, err := os.Stat("/run/nslab/leases/nslab0/10.99.0.77"); !os.IsNotExist(err) {
		t.Errorf("the stale lease is still there after the next run: %v", err)
	}
}

// A runtime killed with SIGKILL stays a zombie until its parent reaps it
// — a shell that started it in the background may have exited. A zombie
// is dead: the next run takes over its lease and state at once.
func TestRuntimeKilledNotYetReaped(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	// Not labtest.Start, which reaps as soon as the runtime exits.
	cmd := exec.Command(bin, args(t, noDNS, "--ip", "10.99.0.78", "--", "sh", "-c", "echo ready; exec sleep 987002")...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(out).ReadString('\n'); line != "ready\n" {
		t.Fatalf("the container said %q, %v", line, err)
	}
	_ = cmd.Process.Kill()
	waitUntil(t, "the runtime to be a zombie", func() bool {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", cmd.Process.Pid))
		return strings.Contains(string(b), ") Z ")
	})
	runC(t, noDNS, "--ip", "10.99.0.78", "--", "true").Want(t, 0)
	if dirs, _ := filepath.Glob("/run/nslab/containers/*"); len(dirs) > 0 {
		t.Errorf("the zombie runtime's state is still there: %v", dirs)
	}
	_ = cmd.Wait()
}

// processes returns the PIDs whose command line is exactly cmdline.
func processes(t *testing.T, cmdline string) []string {
	paths, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	var pids []string
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil && string(b) == cmdline {
			pids = append(pids, filepath.Base(filepath.Dir(p)))
		}
	}
	return pids
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 200; i++ {
		if cond() {
			return
		}
		sleep()
	}
	t.Fatalf("timed out waiting for %s", what)
}

// The chroot escape works in --chroot mode and fails after pivot_root.
func TestChrootEscape(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	marker := filepath.Join(labtest.SharedDir(t), "host-only")
	if err := os.WriteFile(marker, []byte("on the host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	runC(t, "--net=none", "--chroot", "--", "nsprobe", "escape", marker).Want(t, 0).
		Contains(t, "escape: escaped; "+marker+" says: on the host")
	runC(t, "--net=none", "--", "nsprobe", "escape", marker).Want(t, 1).
		Contains(t, "escape: refused: climbed to the top, but "+marker+" is not there")
	os.RemoveAll(filepath.Join(rootfs(t), "tmp", ".nsprobe-escape"))
}

// A System V segment made inside is invisible outside, and the other way.
func TestIPCIsolation(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	runC(t, "--net=none", "--", "nsprobe", "shm-create", "0x6e736c").Want(t, 0)
	if id, err := unix.SysvShmGet(0x6e736c, 0, 0); err != unix.ENOENT {
		t.Errorf("the container's segment is visible on the host: id %d, %v", id, err)
	}
	id, err := unix.SysvShmGet(0x6e736d, 4096, unix.IPC_CREAT|unix.IPC_EXCL|0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.SysvShmCtl(id, unix.IPC_RMID, nil)
	runC(t, "--net=none", "--", "nsprobe", "shm-find", "0x6e736d").Want(t, 1).Contains(t, "no such file or directory")
}

func TestRootless(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	made := filepath.Join(rootfs(t), "tmp", "made-inside")
	defer os.Remove(made)
	// --rootfs-rw: the file goes to the rootfs, where the host can see its
	// owner.
	r := labtest.RunAs(t, labtest.Nobody, bin, args(t, "--net=none", "--rootfs-rw", "--", "sh", "-c",
		`id -u; cat /proc/self/uid_map | tr -s ' '; ip -o link | cut -d: -f2; touch /tmp/made-inside; echo $$`)...).Want(t, 0)
	lines := labtest.Lines(r.Stdout)
	if len(lines) != 4 || lines[0] != "0" || strings.TrimSpace(lines[1]) != "0 65534 1" || strings.TrimSpace(lines[2]) != "lo" || lines[3] == "" {
		t.Errorf("rootless inside: %q", lines)
	}
	var st unix.Stat_t
	if err := unix.Stat(made, &st); err != nil || st.Uid != labtest.Nobody {
		t.Errorf("the file root made inside belongs to %d outside (%v), want %d", st.Uid, err, labtest.Nobody)
	}
	labtest.RunAs(t, labtest.Nobody, bin, args(t, noDNS, "--net=bridge", "--", "true")...).Want(t, 125).
		Contains(t, "--net=bridge needs root")
	labtest.RunAs(t, labtest.Nobody, bin, args(t, noDNS, "--rootless=false", "--", "true")...).Want(t, 125).
		Contains(t, "running a container needs root — use sudo, or --rootless")
}

// A host whose user namespaces are switched off: refused before anything
// exists, with the fix (the limit is set in a scratch user namespace,
// where it applies to that namespace only).
func TestRootlessForbidden(t *testing.T) {
	labtest.NeedRoot(t)
	r := labtest.RunOpts(t, labtest.Opts{Env: []string{"BIN=" + bin, "R=" + rootfs(t)}}, "unshare", "--user", "--map-root-user", "sh", "-c",
		`echo 0 > /proc/sys/user/max_user_namespaces && "$BIN" --rootfs "$R" --rootless -- true`)
	r.Want(t, 125).Contains(t, "06-container: --rootless needs user namespaces, which this machine forbids — sysctl -w user.max_user_namespaces=15000")
}

func TestBadInput(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	notDir := filepath.Join(labtest.SharedDir(t), "file")
	os.WriteFile(notDir, nil, 0o644)
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--rootfs", "/no/such/dir"}, 125, "--rootfs /no/such/dir does not exist — build it with make rootfs"},
		{[]string{"--rootfs", notDir}, 125, "is not a directory"},
		{[]string{"--hostname", strings.Repeat("h", 65)}, 125, "hostname is 65 bytes"},
		{[]string{"-e", "1X=y"}, 125, `-e "1X=y": "1X" is not a variable name`},
		{[]string{"-e", "=y"}, 125, "empty name"},
		{[]string{"-w", "relative"}, 125, "-w relative: want an absolute path"},
		{[]string{"-w", "/no/such"}, 125, "-w /no/such: not a directory in"},
		{[]string{"--subnet", "10.99.0.0/40"}, 125, `--subnet "10.99.0.0/40": not an IPv4 CIDR`},
		{[]string{"--subnet", "10.99.0.0/30"}, 125, "want a prefix from /8 to /29"},
		{[]string{"--ip", "10.98.0.5"}, 125, "--ip 10.98.0.5 is not a container address of --subnet 10.99.0.0/24"},
		{[]string{"--ip", "10.99.0.1"}, 125, "(the gateway is 10.99.0.1)"},
		{[]string{"--net", "host"}, 125, `--net="host": want bridge, slirp4netns, pasta or none`},
		{[]string{"--net=none", "--ip", "10.99.0.5"}, 125, "--ip needs --net=bridge"},
		{[]string{"--bridge", "averyveryverylongname"}, 125, "IFNAMSIZ"},
		{[]string{"-p", "8080"}, 125, `-p "8080": want [HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|/udp], e.g. 8080:80`},
		{[]string{"-p", "8080:80/sctp"}, 125, `-p "8080:80/sctp": protocol "sctp": want tcp or udp`},
		{[]string{"-p", "70000:80"}, 125, `-p "70000:80": port "70000": want a number from 1 to 65535`},
		{[]string{"-p", "0:80"}, 125, `port "0": want a number from 1 to 65535`},
		{[]string{"-p", "::1:8080:80"}, 125, "want [HOSTIP:]HOSTPORT:CONTAINERPORT"},
		{[]string{"-p", "host:8080:80"}, 125, `-p "host:8080:80": "host" is not an IPv4 address of the host`},
		{[]string{"-p", "8080:80", "-p", "8080:81"}, 125, "host port 8080/tcp is published twice"},
		{[]string{"--net=none", "-p", "8080:80"}, 125, "-p needs a network"},
		{[]string{"--confine-net", "-p", "8080:80"}, 125, "--confine-net"},
		{[]string{"--dns", "one.one.one.one"}, 125, `--dns "one.one.one.one": want an IPv4 address, such as 10.99.0.1`},
		{[]string{"--dns", "::1"}, 125, `--dns "::1": want an IPv4 address`},
		{[]string{"--net=none", "--confine-net"}, 125, "--confine-net needs --net=bridge"},
		{[]string{"--net=pasta"}, 125, "--net=pasta"},
		{[]string{"--memory", "lots"}, 125, `--memory "lots": want a size of at least 4m, such as 32m or 1g`},
		{[]string{"--memory", "1m"}, 125, `--memory "1m": want a size of at least 4m`},
		{[]string{"--pids", "2"}, 125, "--pids 2: want at least 3 (the init, PID 1 and the command), or 0 for no limit"},
		{[]string{"--cpus", "0.001"}, 125, "--cpus 0.001: want a fraction of CPUs of at least 0.01"},
		{[]string{"--", "no-such-command"}, 127, "no-such-command: command not found in"},
		{[]string{"--", "/etc/passwd"}, 126, "/etc/passwd: permission denied in"},
	} {
		a := append([]string{"-v"}, c.args...)
		if len(c.args) == 0 || c.args[0] != "--rootfs" {
			a = args(t, append([]string{noDNS}, a...)...)
		}
		r := labtest.Run(t, bin, a...).Want(t, c.code)
		r.Contains(t, "06-container: ", c.want)
		if strings.Contains(r.Output(), "clone(") {
			t.Errorf("%v: the container was started before the check", c.args)
		}
	}
}

// Every flag with a bad value, as root and as nobody (whose default is
// --rootless, where the network flags are still checked), and the init
// started by hand: one line, the status, no panic, nothing created.
func TestBadInputTable(t *testing.T) {
	r := rootfs(t)
	labtest.Refused(t, bin, []labtest.Refusal{
		{Args: []string{"--rootfs", "/"}, Status: 125},
		{Args: []string{"--rootfs", "/no/such/dir"}, Status: 125},
		{Args: []string{"--rootfs", r, "--hostname", ""}, Status: 125},
		{Args: []string{"--rootfs", r, "--hostname", strings.Repeat("h", 65)}, Status: 125},
		{Args: []string{"--rootfs", r, "-e", "A B=x"}, Status: 125},
		{Args: []string{"--rootfs", r, "-w", "relative"}, Status: 125},
		{Args: []string{"--rootfs", r, "--net", "host"}, Status: 125},
		{Args: []string{"--rootfs", r, "--subnet", "banana"}, Status: 125},
		{Args: []string{"--rootfs", r, "--ip", "banana"}, Status: 125},
		{Args: []string{"--rootfs", r, "--net=none", "--ip", "10.99.0.9"}, Status: 125},
		{Args: []string{"--rootfs", r, "--rootless", "--ip", "10.99.0.9"}, Status: 125},
		{Args: []string{"--rootfs", r, "--bridge", "a/b"}, Status: 125},
		{Args: []string{"--rootfs", r, "--cap-add", "FLY"}, Status: 125},
		{Args: []string{"--rootfs", r, "--cap-drop", "FLY"}, Status: 125},
		{Args: []string{"--rootfs", r, "--seccomp", "maybe"}, Status: 125},
		{Args: []string{"--rootfs", r, "--stop-timeout", "-1"}, Status: 125},
		{Args: []string{"--rootfs", r, "--memory", "-5m"}, Status: 125},
		{Args: []string{"--rootfs", r, "--pids", "-1"}, Status: 125},
		{Args: []string{"--rootfs", r, "--cpus", "-1"}, Status: 125},
		{Args: []string{"--rootfs", r, "--no-new-privs=often"}, Status: 125},
		{Args: []string{"--rootfs", r, "--", ""}, Status: 125},
		{Args: []string{"--rootfs", r, "--", "/no/such/command"}, Status: 127},
		{Args: []string{"--rootfs", r, "--", "/etc"}, Status: 126},
		{Argv0: "nslab:init", Status: 125},
	})
}

// A taken address, and a subnet that overlaps a route of the host.
func TestAddressConflicts(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	c := labtest.Start(t, bin, args(t, noDNS, "--ip", "10.99.0.60", "--", "sh", "-c", "echo ready; read x; exit 0")...)
	waitFor(t, c, "ready")
	runC(t, noDNS, "--ip", "10.99.0.60", "--", "true").Want(t, 125).Contains(t, "--ip 10.99.0.60 is taken by container")
	c.Close()
	c.Wait(t).Want(t, 0)
	// nslab0 holds 10.99.0.0/24: another subnet overlapping it is in use.
	runC(t, noDNS, "--bridge", "nslabx0", "--subnet", "10.99.0.0/16", "--", "true").Want(t, 125).
		Contains(t, "--subnet 10.99.0.0/16 overlaps the host's route to 10.99.0.0/24")
}

// A symbolic link where a mount will go is refused.
func TestRootfsWithSymlinkedProc(t *testing.T) {
	labtest.NeedRoot(t)
	bad := filepath.Join(labtest.SharedDir(t), "rootfs")
	for _, d := range []string{"bin", "sys", "dev", "etc"} {
		os.MkdirAll(filepath.Join(bad, d), 0o755)
	}
	os.Symlink("/", filepath.Join(bad, "proc"))
	os.Symlink("/bin/busybox", filepath.Join(bad, "bin", "sh"))
	labtest.Run(t, bin, "--rootfs", bad, "--net=none", "--", "/bin/sh").Want(t, 125).
		Contains(t, "/proc is a symbolic link; refusing to mount over it")
	os.Remove(filepath.Join(bad, "proc"))
	os.WriteFile(filepath.Join(bad, "proc"), nil, 0o644)
	labtest.Run(t, bin, "--rootfs", bad, "--net=none", "--", "/bin/sh").Want(t, 125).
		Contains(t, "/proc is not a directory")
}

// The environment is clean, with -e added and -w honoured.
func TestEnvAndWorkdir(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	os.Setenv("NSLAB_FROM_HOST", "passed")
	defer os.Unsetenv("NSLAB_FROM_HOST")
	r := runC(t, "--net=none", "--hostname", "envbox", "-e", "A=1", "-e", "NSLAB_FROM_HOST", "-e", "NOT_SET_ANYWHERE", "-w", "/etc", "--", "sh", "-c", "env | sort; pwd").Want(t, 0)
	want := "A=1\nHOME=/root\nHOSTNAME=envbox\nNSLAB_FROM_HOST=passed\nPATH=" + containerPath + "\nPWD=/etc\nSHLVL=1\nTERM="
	if !strings.HasPrefix(r.Stdout, want) || !strings.HasSuffix(r.Stdout, "/etc\n") {
		t.Errorf("environment:\n%s\nwant it to start with:\n%s", r.Stdout, want)
	}
}

func TestMountinfoInside(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	r := runC(t, "--net=none", "--mask-proc=false", "--", "cat", "/proc/self/mountinfo").Want(t, 0)
	var got []string
	for _, line := range labtest.Lines(r.Stdout) {
		m, err := mountns.ParseLine(line)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, m.MountPoint+" "+m.FSType)
	}
	want := "/ overlay,/proc proc,/sys sysfs,/dev tmpfs,/dev/pts devpts,/dev/shm tmpfs,/dev/mqueue mqueue," +
		"/etc/hostname tmpfs,/etc/hosts tmpfs,/etc/resolv.conf tmpfs,/sys/fs/cgroup cgroup2"
	if strings.Join(got, ",") != want {
		t.Errorf("mounts inside:\n%s\nwant\n%s", strings.Join(got, ","), want)
	}
	// By default, every masked or read-only path this kernel has is a
	// mount of its own inside.
	masked := runC(t, "--net=none", "--", "cat", "/proc/self/mountinfo").Want(t, 0)
	for _, p := range append(append([]string{}, maskedPaths...), readOnlyPaths...) {
		if _, err := os.Stat(p); err == nil && !strings.Contains(masked.Stdout, " "+p+" ") {
			t.Errorf("%s is not masked or read-only inside", p)
		}
	}
}

func TestCheck(t *testing.T) {
	labtest.NeedRoot(t)
	labtest.Run(t, bin, "--check", "--rootfs", rootfs(t)).Want(t, 0).Contains(t, "ok    root filesystem at")
	labtest.Run(t, bin, "--check", "--rootfs", "/no/such").Want(t, 1).Contains(t, "FAIL  no root filesystem at /no/such — make rootfs")
}
