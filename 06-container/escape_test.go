package main

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"nslab/internal/labtest"
)

// Each test below is one attack, made from inside the container as its
// root. In the default mode every one must fail, with the error the
// protection produces; where it is safe to try, the test also shows the
// attack working once the protection is turned off.

// marker is a file only the host should be able to read, on the same
// filesystem as the test rootfs (the handle test needs that).
func marker(t *testing.T) string {
	t.Helper()
	path := filepath.Join(labtest.SharedDir(t), "host-only")
	if err := os.WriteFile(path, []byte("host only\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestAttackMknodAndMountHostDisk(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	node := filepath.Join(rootfs(t), "tmp", "sda")
	defer os.Remove(node)
	runC(t, "--net=none", "--", "nsprobe", "mknod", "/tmp/sda").Want(t, 1).Contains(t, "mknod: refused: operation not permitted")
	// The host's disk has no node inside, and mount(2) needs CAP_SYS_ADMIN
	// — and is not on the filter's list without it.
	runC(t, "--net=none", "--", "mount", "-t", "ext4", "/dev/vda", "/mnt").Want(t, 1).Contains(t, "mount: permission denied")
	runC(t, "--net=none", "--seccomp=off", "--", "mount", "-t", "tmpfs", "t", "/tmp").Want(t, 1).Contains(t, "mount: permission denied")
	// With CAP_MKNOD back, the node for the host's disk can be made: the
	// reason the capability is not in the default set.
	runC(t, "--net=none", "--cap-add", "MKNOD", "--", "nsprobe", "mknod", "/tmp/sda").Want(t, 0).Contains(t, "mknod: made /tmp/sda")
}

func TestAttackProcRoot(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	m := marker(t)
	// PID 1 is the init, which keeps capabilities the command lacks: the
	// kernel refuses the command a look at its root at all. Its own root
	// is the container's.
	r := runC(t, "--net=none", "--", "sh", "-c", `cat /proc/1/root`+m+`; cat /proc/1/cwd/../..`+m+`; cat /proc/self/root`+m+`; ls /proc/self/root/ | tr '\n' ' '`)
	if strings.Contains(r.Stdout, "host only") {
		t.Fatalf("the host's file was read:\n%s", r.Stdout)
	}
	r.Contains(t, "can't open '/proc/1/root"+m+"': Permission denied", "can't open '/proc/self/root"+m+"': No such file or directory")
	if !strings.HasPrefix(r.Stdout, "bin dev etc") {
		t.Errorf("/proc/self/root is not the container's root: %q", r.Stdout)
	}
}

func TestAttackSysrqAndProcSys(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	// A kernel without magic SysRq has no trigger file at all; one with
	// it gets a read-only one.
	want := "Read-only file system"
	if _, err := os.Stat("/proc/sysrq-trigger"); os.IsNotExist(err) {
		want = "can't create /proc/sysrq-trigger: nonexistent directory"
	}
	runC(t, "--net=none", "--", "sh", "-c", "echo h > /proc/sysrq-trigger").Want(t, 1).Contains(t, want)
	// kernel.panic is the host's: write back its own value, so that even a
	// broken protection would change nothing.
	runC(t, "--net=none", "--", "sh", "-c", "cat /proc/sys/kernel/panic > /proc/sys/kernel/panic").Want(t, 1).Contains(t, "Read-only file system")
	runC(t, "--net=none", "--", "sh", "-c", "echo other > /proc/sys/kernel/hostname").Want(t, 1).Contains(t, "Read-only file system")
	// /proc/sys/kernel/hostname belongs to the container's UTS namespace:
	// safe to write once /proc/sys is writable again (and CAP_SYS_ADMIN
	// is back, which setting a hostname needs).
	before, _ := os.Hostname()
	runC(t, "--net=none", "--mask-proc=false", "--cap-add", "SYS_ADMIN", "--", "sh", "-c", "echo other > /proc/sys/kernel/hostname; hostname").Want(t, 0).Contains(t, "other")
	if after, _ := os.Hostname(); after != before {
		t.Fatalf("the host's hostname changed to %q", after)
	}
}

func TestAttackReadKernelState(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	r := runC(t, "--net=none", "--", "sh", "-c", "wc -c < /proc/timer_list; wc -c < /proc/keys; ls /sys/firmware | wc -l").Want(t, 0)
	if got := strings.Fields(r.Stdout); strings.Join(got, " ") != "0 0 0" {
		t.Errorf("masked files have content: %q", got)
	}
	r = runC(t, "--net=none", "--mask-proc=false", "--", "sh", "-c", "wc -c < /proc/timer_list").Want(t, 0)
	if strings.TrimSpace(r.Stdout) == "0" {
		t.Errorf("unmasked /proc/timer_list is empty")
	}
}

func TestAttackLoadModule(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	runC(t, "--net=none", "--", "nsprobe", "init-module").Want(t, 1).Contains(t, "init-module: refused: operation not permitted")
	runC(t, "--net=none", "--", "insmod", "/bin/busybox").Want(t, 1).Contains(t, "Operation not permitted")
}

// The "shocker" escape: a file handle opens a host file from anywhere on
// its filesystem. Both the seccomp filter and the missing
// CAP_DAC_READ_SEARCH stop it; with both turned off it works.
func TestAttackOpenByHandle(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	h, _, err := unix.NameToHandleAt(unix.AT_FDCWD, marker(t), 0)
	if err != nil {
		t.Fatal(err)
	}
	handle := fmt.Sprintf("%d:%s", h.Type(), hex.EncodeToString(h.Bytes()))
	// --rootfs-rw: a handle is decoded against a mount of its filesystem,
	// and the container's "/" must be the rootfs's for the control to work.
	for _, off := range [][]string{nil, {"--seccomp=off"}, {"--cap-add", "DAC_READ_SEARCH"}} {
		a := append(append([]string{"--net=none", "--rootfs-rw"}, off...), "--", "nsprobe", "open-by-handle", handle)
		runC(t, a...).Want(t, 1).Contains(t, "open-by-handle: refused: operation not permitted")
	}
	runC(t, "--net=none", "--rootfs-rw", "--seccomp=off", "--cap-add", "DAC_READ_SEARCH", "--", "nsprobe", "open-by-handle", handle).
		Want(t, 0).Contains(t, `open-by-handle: read "host only\n"`)
}

func TestAttackHostnameAndClock(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	before, _ := os.Hostname()
	runC(t, "--net=none", "--", "hostname", "taken-over").Want(t, 1).Contains(t, "sethostname: Operation not permitted")
	runC(t, "--net=none", "--cap-add", "SYS_ADMIN", "--", "hostname", "taken-over").Want(t, 0)
	if after, _ := os.Hostname(); after != before {
		t.Fatalf("the host's hostname changed to %q", after)
	}
	runC(t, "--net=none", "--", "nsprobe", "settime").Want(t, 1).Contains(t, "settime: refused: operation not permitted")
	runC(t, "--net=none", "--cap-add", "SYS_TIME", "--", "nsprobe", "settime").Want(t, 1).Contains(t, "settime: refused: operation not permitted")
}

func TestAttackHostProcesses(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	pid := fmt.Sprint(os.Getpid())
	runC(t, "--net=none", "--", "nsprobe", "kill", pid).Want(t, 1).Contains(t, "kill: refused: no such process")
	r := runC(t, "--net=none", "--", "sh", "-c", `echo /proc/[0-9]*`).Want(t, 0)
	if got := strings.Fields(r.Stdout); len(got) != 2 || got[0] != "/proc/1" { // the init and this shell
		t.Errorf("the container sees %q", got)
	}
}

// The host's /etc/shadow, by every path a root inside might try.
func TestAttackReadHostShadow(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	shadow, err := os.ReadFile("/etc/shadow")
	if err != nil {
		t.Fatal(err)
	}
	h, _, err := unix.NameToHandleAt(unix.AT_FDCWD, "/etc/shadow", 0)
	if err != nil {
		t.Fatal(err)
	}
	handle := fmt.Sprintf("%d:%s", h.Type(), hex.EncodeToString(h.Bytes()))
	r := runC(t, "--net=none", "--", "sh", "-c", `for p in /etc/shadow /proc/1/root/etc/shadow /proc/self/root/etc/shadow /tmp/../../../etc/shadow /proc/1/cwd/etc/shadow; do cat $p; done; nsprobe open-by-handle `+handle+`; nsprobe escape /etc/shadow`)
	first := strings.SplitN(string(shadow), "\n", 2)[0]
	if strings.Contains(r.Output(), first) {
		t.Fatalf("the host's /etc/shadow was read:\n%s", r.Output())
	}
	r.Contains(t, "open-by-handle: refused: operation not permitted", "escape: refused")
	os.RemoveAll(filepath.Join(rootfs(t), "tmp", ".nsprobe-escape"))
}

// no_new_privs: a setuid-root program run by an unprivileged user inside
// stays unprivileged; without it, it is root again.
func TestAttackSetuid(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	copy := filepath.Join(rootfs(t), "tmp", "suid-copy")
	defer os.Remove(copy)
	runC(t, "--net=none", "--", "nsprobe", "suid", "/tmp/suid-copy").Want(t, 1).
		Contains(t, "suid: uid is now 65534", "euid: refused: still uid 65534")
	os.Remove(copy)
	runC(t, "--net=none", "--no-new-privs=false", "--", "nsprobe", "suid", "/tmp/suid-copy").Want(t, 0).Contains(t, "euid: 0")
}

// keyctl needs no capability: only the filter stops it.
func TestAttackKeyring(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	runC(t, "--net=none", "--", "nsprobe", "keyctl").Want(t, 1).Contains(t, "keyctl: refused: operation not permitted")
	runC(t, "--net=none", "--seccomp=off", "--", "nsprobe", "keyctl").Want(t, 0).Contains(t, "keyctl: the session keyring is")
}

func TestCapabilitySet(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	hex := func(a ...string) string {
		r := runC(t, append(append([]string{"--net=none"}, a...), "--", "grep", "CapEff", "/proc/self/status")...).Want(t, 0)
		return strings.TrimSpace(strings.TrimPrefix(r.Stdout, "CapEff:"))
	}
	if got := hex(); got != "00000000a00425fb" {
		t.Errorf("default set %s", got)
	}
	if got := hex("--cap-drop", "ALL", "--cap-add", "net_admin"); got != "0000000000001000" {
		t.Errorf("only NET_ADMIN: %s", got)
	}
	if got := hex("--cap-drop", "CHOWN"); got != "00000000a00425fa" {
		t.Errorf("default without CHOWN: %s", got)
	}
	runC(t, "--net=none", "--cap-add", "FLY", "--", "true").Want(t, 125).Contains(t, `--cap-add: unknown capability "FLY"`)
	// The attack CAP_NET_ADMIN would allow: reconfiguring the network.
	runC(t, "--net=none", "--", "ip", "link", "set", "lo", "down").Want(t, 2).Contains(t, "Operation not permitted")
	runC(t, "--net=none", "--cap-add", "NET_ADMIN", "--", "ip", "link", "set", "lo", "down").Want(t, 0)
}

// Descriptors the runtime inherited do not reach the command.
func TestInheritedDescriptorsClosed(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	f, err := os.Open("/etc/hostname")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := labtest.Command(labtest.Opts{}, bin, args(t, "--net=none", "--", "sh", "-c", `readlink /proc/$$/fd/7 || echo closed`)...)
	cmd.ExtraFiles = []*os.File{nil, nil, nil, nil, f} // fd 7 of the runtime
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(out)) != "closed" {
		t.Errorf("descriptor 7 of the runtime reached the command: %q", out)
	}
}
