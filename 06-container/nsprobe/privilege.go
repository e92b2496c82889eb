package main

import (
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

func init() {
	register("suid", "COPY", "copy nsprobe to COPY, setuid root; as uid 65534, run it and report its euid", suid)
	register("euid", "", "print the effective uid (what suid runs)", euid)
	register("keyctl", "", "ask the kernel keyring for the session keyring's id", keyctl)
	register("init-module", "", "try to load a (bogus) kernel module", initModule)
	register("open-by-handle", "TYPE:HEX", "open a file by a handle from name_to_handle_at(2), outside any root", openByHandle)
	register("settime", "", "set the clock to the time it already says", settime)
	register("kill", "PID", "send signal 0 to PID: does it exist, may we signal it", kill)
	register("mknod", "PATH", "make a block device node for the first SCSI disk (8,0)", mknod)
}

// suid is the attack no_new_privs stops: a setuid-root program run by an
// unprivileged user becomes root. The probe plays both parts.
func suid(args []string) error {
	if err := need(args, 1); err != nil {
		return err
	}
	self, err := os.ReadFile("/proc/self/exe")
	if err != nil {
		return err
	}
	if err := os.WriteFile(args[0], self, 0o755); err != nil {
		return err
	}
	if err := unix.Chmod(args[0], 0o4755); err != nil {
		return err
	}
	if err := unix.Setresgid(65534, 65534, 65534); err != nil {
		return err
	}
	if err := unix.Setresuid(65534, 65534, 65534); err != nil {
		return err
	}
	fmt.Printf("suid: uid is now %d; running setuid-root %s\n", unix.Geteuid(), args[0])
	return unix.Exec(args[0], []string{args[0], "euid"}, os.Environ())
}

func euid(args []string) error {
	fmt.Printf("euid: %d\n", unix.Geteuid())
	if unix.Geteuid() != 0 {
		return fmt.Errorf("still uid %d: the setuid bit granted nothing", unix.Geteuid())
	}
	return nil
}

// keyctl needs no capability: only the seccomp filter stands in the way.
func keyctl(args []string) error {
	id, err := unix.KeyctlInt(unix.KEYCTL_GET_KEYRING_ID, unix.KEY_SPEC_SESSION_KEYRING, 0, 0, 0)
	if err != nil {
		return err
	}
	fmt.Printf("keyctl: the session keyring is %d\n", id)
	return nil
}

// initModule hands the kernel a module that is not one: if the call
// were allowed at all, the kernel would reject the image (ENOEXEC).
func initModule(args []string) error {
	image := []byte("not an ELF module")
	err := unix.InitModule(image, "")
	if err == unix.ENOEXEC || err == unix.EINVAL {
		return fmt.Errorf("the call was allowed, and the kernel rejected the bogus image: %w", err)
	}
	return err
}

// openByHandle is the "shocker" escape of 2014: a file handle names an
// inode of a whole filesystem, and open_by_handle_at(2) opens it whatever
// the caller's root. The handle is "TYPE:HEX", as the test prints it.
func openByHandle(args []string) error {
	if err := need(args, 1); err != nil {
		return err
	}
	typ, bytes, ok := strings.Cut(args[0], ":")
	t, err1 := strconv.Atoi(typ)
	b, err2 := hex.DecodeString(bytes)
	if !ok || err1 != nil || err2 != nil {
		return fmt.Errorf("handle %q: want TYPE:HEX", args[0])
	}
	h := unix.NewFileHandle(int32(t), b)
	root, err := unix.Open("/", unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return err
	}
	defer unix.Close(root)
	fd, err := unix.OpenByHandleAt(root, h, unix.O_RDONLY)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(fd), "handle")
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return err
	}
	fmt.Printf("open-by-handle: read %q\n", data)
	return nil
}

// settime sets the clock to now: harmless if it were allowed, but it is
// the host's clock (there is no namespace for CLOCK_REALTIME).
func settime(args []string) error {
	now := unix.NsecToTimespec(time.Now().UnixNano())
	if err := unix.ClockSettime(unix.CLOCK_REALTIME, &now); err != nil {
		return err
	}
	fmt.Println("settime: the clock was set")
	return nil
}

func kill(args []string) error {
	if err := need(args, 1); err != nil {
		return err
	}
	pid, err := strconv.Atoi(args[0])
	if err != nil {
		return err
	}
	if err := unix.Kill(pid, 0); err != nil {
		return err
	}
	fmt.Printf("kill: process %d exists and may be signalled\n", pid)
	return nil
}

func mknod(args []string) error {
	if err := need(args, 1); err != nil {
		return err
	}
	if err := unix.Mknod(args[0], unix.S_IFBLK|0o600, int(unix.Mkdev(8, 0))); err != nil {
		return err
	}
	fmt.Printf("mknod: made %s\n", args[0])
	return nil
}
