package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"nslab/internal/labtest"
)

// A container you can live in: a copy-on-write root, volumes, exec, ps
// and stop.

// waitID starts a container that prints "ready" and waits on its stdin,
// and returns it with its id, read from ps.
func startWaiting(t *testing.T, a ...string) (*labtest.Running, string) {
	t.Helper()
	c := labtest.Start(t, bin, args(t, append(append([]string{noDNS}, a...), "--", "sh", "-c", "echo ready; read x; exit 0")...)...)
	waitFor(t, c, "ready")
	return c, idOf(t, c.Pid(), 0)
}

// idOf finds, in ps, the container whose runtime has this PID.
func idOf(t *testing.T, runtime, uid int) string {
	t.Helper()
	init := initPID(runtime)
	r := labtest.RunAs(t, uid, bin, "ps").Want(t, 0)
	for _, line := range labtest.Lines(r.Stdout)[1:] {
		if f := strings.Fields(line); len(f) > 1 && f[1] == strconv.Itoa(init) {
			return f[0]
		}
	}
	t.Fatalf("ps does not list the container of runtime %d (init %d):\n%s", runtime, init, r.Stdout)
	return ""
}

// Writes inside stay in the container's layer: ./rootfs is untouched, and
// two containers running at once do not see each other's files.
func TestCopyOnWriteRoot(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	a, idA := startWaiting(t, "--net=none")
	b, idB := startWaiting(t, "--net=none")
	runC(t, "exec", idA, "--", "sh", "-c", insideOnly+"echo a > /etc/written; rm /bin/hostname").Want(t, 0)
	runC(t, "exec", idB, "--", "sh", "-c", "cat /etc/written; ls /bin/hostname").Want(t, 0).Contains(t, "can't open '/etc/written'", "/bin/hostname")
	runC(t, "exec", idA, "--", "cat", "/etc/written").Want(t, 0).Contains(t, "a")
	if _, err := os.Stat(filepath.Join(rootfs(t), "etc", "written")); !os.IsNotExist(err) {
		t.Errorf("the write reached ./rootfs: %v", err)
	}
	if _, err := os.Stat(filepath.Join(rootfs(t), "bin", "hostname")); err != nil {
		t.Errorf("the deletion reached ./rootfs: %v", err)
	}
	// The upper layer, seen from the host: the new file, and a whiteout —
	// a 0:0 character device — where /bin/hostname was deleted.
	upper := filepath.Join("/run/nslab/containers", idA, "layer", "upper")
	if b, err := os.ReadFile(filepath.Join(upper, "etc", "written")); err != nil || string(b) != "a\n" {
		t.Errorf("upper/etc/written: %q, %v", b, err)
	}
	var st unix.Stat_t
	if err := unix.Lstat(filepath.Join(upper, "bin", "hostname"), &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != 0 {
		t.Errorf("no whiteout for /bin/hostname in the upper layer: %+v, %v", st, err)
	}
	a.Close()
	b.Close()
	a.Wait(t).Want(t, 0)
	b.Wait(t).Want(t, 0)
}

// --rootfs-rw writes to the rootfs directory itself, as a lab may want;
// the layer cannot grow past its size.
func TestRootfsRWAndLayerSize(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	r := privateRootfs(t)
	labtest.Run(t, bin, "--rootfs", r, "--net=none", "--rootfs-rw", "--", "sh", "-c", insideOnly+"echo through > /etc/through").Want(t, 0)
	if b, err := os.ReadFile(filepath.Join(r, "etc", "through")); err != nil || string(b) != "through\n" {
		t.Errorf("--rootfs-rw did not write through: %q, %v", b, err)
	}
	out := labtest.Run(t, bin, "--rootfs", r, "--net=none", "--layer-size", "1m", "--", "dd", "if=/dev/zero", "of=/big", "bs=64k", "count=100")
	out.Want(t, 1).Contains(t, "No space left on device")
	if _, err := os.Stat(filepath.Join(r, "big")); !os.IsNotExist(err) {
		t.Errorf("the big file reached the rootfs: %v", err)
	}
	labtest.Run(t, bin, "--rootfs", r, "--net=none", "--read-only", "--", "sh", "-c", "touch /x; touch /tmp/x && echo tmp ok").Want(t, 0).
		Contains(t, "touch: /x: Read-only file system", "tmp ok")
}

// Volumes: read-write and read-only, seen from inside and from the host; a
// read-only source with a submount is read-only all the way down; a
// source on a nodev mount keeps nodev, rootless too.
func TestVolumes(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	src := labtest.SharedDir(t)
	if err := os.WriteFile(filepath.Join(src, "from-host"), []byte("host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(src, "sub")
	if err := os.Mkdir(sub, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("nslab-test-sub", sub, "tmpfs", unix.MS_NODEV, "mode=1777"); err != nil {
		t.Fatal(err)
	}
	defer unix.Unmount(sub, unix.MNT_DETACH)

	r := runC(t, "--net=none", "--volume", src+":/data", "--volume", src+":/ro:ro", "--", "sh", "-c",
		`cat /data/from-host; echo inside > /data/from-container; echo x > /ro/x; echo y > /ro/sub/y; echo z > /data/sub/z && echo sub rw; grep -E ' /(data|ro)(/sub)? ' /proc/self/mountinfo | cut -d' ' -f5,6`)
	r.Want(t, 0).Contains(t, "host", "can't create /ro/x: Read-only file system", "can't create /ro/sub/y: Read-only file system", "sub rw",
		"/ro ro,", "/ro/sub ro,nodev", "/data/sub rw,nodev")
	if b, err := os.ReadFile(filepath.Join(src, "from-container")); err != nil || string(b) != "inside\n" {
		t.Errorf("the container's write is not on the host: %q, %v", b, err)
	}
	// Rootless, the read-only remount keeps the nodev the host set.
	labtest.RunOpts(t, labtest.Opts{UID: labtest.Nobody, Env: []string{"XDG_RUNTIME_DIR="}}, bin,
		args(t, "--net=none", "--volume", sub+":/tmp/ro:ro", "--", "sh", "-c", "grep ' /tmp/ro ' /proc/self/mountinfo | cut -d' ' -f6; echo w > /tmp/ro/w")...).
		Want(t, 1).Contains(t, "ro,nodev", "Read-only file system")
}

// exec joins a running container: its hostname, its PID 1, its eth0, its
// files (one it wrote into its layer), its mount table, and the exit
// statuses pass through.
func TestExec(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	c, id := startWaiting(t, "--hostname", "joined", "--ip", "10.99.0.88")
	runC(t, "exec", id, "--", "sh", "-c", "echo layer > /tmp/w").Want(t, 0)
	r := runC(t, "exec", id, "--", "sh", "-c", `hostname; cat /proc/1/comm; ip -4 -o addr show eth0 | cut -d' ' -f7; cat /tmp/w; grep -c . /proc/self/mountinfo; cat /proc/self/cgroup | grep '^0::'`).Want(t, 0)
	lines := labtest.Lines(r.Stdout)
	hostMounts := len(labtest.Mounts(t, "/proc/self/mountinfo"))
	if len(lines) != 6 || lines[0] != "joined" || lines[1] != "06-container" || lines[2] != "10.99.0.88/24" || lines[3] != "layer" || lines[5] != "0::/" {
		t.Errorf("exec saw:\n%s", r.Stdout)
	} else if n, _ := strconv.Atoi(lines[4]); n == hostMounts || n > 40 {
		t.Errorf("exec saw %d mounts, the host has %d: not the container's table", n, hostMounts)
	}
	runC(t, "exec", id, "--", "sh", "-c", "exit 7").Want(t, 7)
	runC(t, "exec", id, "--", "sh", "-c", "kill -TERM $$").Want(t, 128+15)
	runC(t, "exec", id, "--", "no-such-command").Want(t, 127)
	runC(t, "exec", "-e", "EXTRA=1", "-w", "/etc", id, "--", "sh", "-c", `echo $EXTRA $PWD`).Want(t, 0).Contains(t, "1 /etc")
	// The same protections as the container's command.
	runC(t, "exec", id, "--", "grep", "CapEff", "/proc/self/status").Want(t, 0).Contains(t, "00000000a00425fb")
	runC(t, "exec", id, "--", "nsprobe", "io-uring").Want(t, 1).Contains(t, "operation not permitted")
	c.Close()
	c.Wait(t).Want(t, 0)
	runC(t, "exec", id, "--", "true").Want(t, 125).Contains(t, "no container "+id)
}

// Rootless, PID 1 starts the command: the same view, statuses, input.
func TestExecRootless(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	opts := labtest.Opts{UID: labtest.Nobody, Env: []string{"XDG_RUNTIME_DIR="}}
	c := labtest.StartOpts(t, opts, bin, args(t, "--net=none", "--hostname", "rl", "--", "sh", "-c", "echo w > /tmp/w; echo ready; read x; exit 0")...)
	waitFor(t, c, "ready")
	id := idOf(t, c.Pid(), labtest.Nobody)
	r := labtest.RunOpts(t, opts, bin, "exec", id, "--", "sh", "-c", "hostname; cat /proc/1/comm; cat /tmp/w; id -u").Want(t, 0)
	if strings.Join(labtest.Lines(r.Stdout), " ") != "rl 06-container w 0" {
		t.Errorf("exec saw %q", r.Stdout)
	}
	labtest.RunOpts(t, opts, bin, "exec", id, "--", "sh", "-c", "exit 5").Want(t, 5)
	labtest.RunOpts(t, opts, bin, "exec", id, "--", "no-such-command").Want(t, 127)
	in := opts
	in.Stdin = "piped\n"
	labtest.RunOpts(t, in, bin, "exec", id, "cat").Want(t, 0).Contains(t, "piped")
	// Another user does not even find the container.
	labtest.RunOpts(t, labtest.Opts{UID: labtest.Nobody - 1, Env: []string{"XDG_RUNTIME_DIR="}}, bin, "exec", id, "true").Want(t, 125)
	c.Close()
	c.Wait(t).Want(t, 0)
}

// ps lists exactly the running containers; stop ends one within its
// timeout, SIGKILL when the command ignores SIGTERM, and its runtime exits
// as it would on its own.
func TestPsAndStop(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	a, idA := startWaiting(t, "--net=none", "--hostname", "psa")
	stubborn := labtest.Start(t, bin, args(t, "--net=none", "--", "sh", "-c", `trap "" TERM; echo ready; while :; do sleep 0.05; done`)...)
	waitFor(t, stubborn, "ready")
	idS := idOf(t, stubborn.Pid(), 0)
	r := runC(t, "ps").Want(t, 0)
	if lines := labtest.Lines(r.Stdout); len(lines) != 3 || !strings.Contains(r.Stdout, idA+"  ") || !strings.Contains(r.Stdout, "psa") {
		t.Errorf("ps:\n%s", r.Stdout)
	}
	begin := time.Now()
	runC(t, "stop", "--stop-timeout", "1", idS).Want(t, 0).Contains(t, idS)
	if took := time.Since(begin); took > 5*time.Second {
		t.Errorf("stop took %v", took)
	}
	stubborn.Wait(t).Want(t, 128+9)
	runC(t, "stop", idA).Want(t, 0)
	a.Wait(t).Want(t, 128+15)
	if r := runC(t, "ps").Want(t, 0); len(labtest.Lines(r.Stdout)) != 1 {
		t.Errorf("ps after both stopped:\n%s", r.Stdout)
	}
}

// After the runtime is killed, --cleanup removes the upper layer, the exec
// socket and the state: no overlay, no tmpfs, no directory left.
func TestCleanupAfterKilledRuntime(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	c, id := startWaiting(t, "--net=none")
	if _, err := os.Stat(filepath.Join("/run/nslab/containers", id, "layer", "upper")); err != nil {
		t.Fatal(err)
	}
	c.Signal(syscall.SIGKILL)
	c.Wait(t)
	waitUntil(t, "the container to die", func() bool { return initPID(c.Pid()) == 0 })
	labtest.Run(t, bin, "--cleanup").Want(t, 0).Contains(t, "removed stale /run/nslab/containers/"+id)
	runC(t, "stop", id).Want(t, 125)
}

// Bad specs and ids are refused with one line, having created nothing.
func TestBadLiveInput(t *testing.T) {
	r := rootfs(t)
	labtest.Refused(t, bin, []labtest.Refusal{
		{Args: []string{"--rootfs", r, "--volume", "relative:/x"}, Status: 125},
		{Args: []string{"--rootfs", r, "--volume", "/tmp:/a/../../etc"}, Status: 125},
		{Args: []string{"--rootfs", r, "--volume", "/no/such/dir:/x"}, Status: 125},
		{Args: []string{"--rootfs", r, "--volume", "/tmp:/x:rx"}, Status: 125},
		{Args: []string{"--rootfs", r, "--volume", "/tmp"}, Status: 125},
		{Args: []string{"--rootfs", r, "--volume", "/tmp:/"}, Status: 125},
		{Args: []string{"--rootfs", r, "--layer-size", "lots"}, Status: 125},
		{Args: []string{"--rootfs", r, "--rootfs-rw", "--read-only"}, Status: 125},
		{Args: []string{"exec", "0123456789ab", "--", "true"}, Status: 125},
		{Args: []string{"exec", "not-an-id", "true"}, Status: 125},
		{Args: []string{"exec"}, Status: 125},
		{Args: []string{"stop", "0123456789ab"}, Status: 125},
		{Args: []string{"stop"}, Status: 125},
		{Args: []string{"stop", "--stop-timeout", "-1", "0123456789ab"}, Status: 125},
		{Args: []string{"ps", "extra"}, Status: 125},
	})
}
