package main

import (
	"fmt"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

func init() {
	register("io-uring", "", "set up an io_uring: a second system call interface the filter cannot see into", ioUring)
	register("fsopen", "", "open a filesystem context with the new mount API (fsopen tmpfs)", fsopen)
	register("syscall", "NUMBER", "make a system call by number, without arguments, and print what it returned", rawSyscall)
}

// ioUring calls io_uring_setup(8, &params): a ring of eight entries.
func ioUring(args []string) error {
	if err := need(args, 0); err != nil {
		return err
	}
	var params [120]byte // struct io_uring_params, zeroed
	fd, _, errno := unix.Syscall(unix.SYS_IO_URING_SETUP, 8, uintptr(unsafe.Pointer(&params[0])), 0)
	if errno != 0 {
		return errno
	}
	unix.Close(int(fd))
	fmt.Println("io-uring: a ring of 8 entries, ready")
	return nil
}

// fsopen asks for a tmpfs context: the first step of a mount with the new
// API (Linux 5.2), the step of CVE-2022-0185.
func fsopen(args []string) error {
	if err := need(args, 0); err != nil {
		return err
	}
	fd, err := unix.Fsopen("tmpfs", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return err
	}
	unix.Close(fd)
	fmt.Println("fsopen: a tmpfs context, ready")
	return nil
}

// rawSyscall makes system call NUMBER with all arguments 0.
func rawSyscall(args []string) error {
	if err := need(args, 1); err != nil {
		return err
	}
	nr, err := strconv.ParseUint(args[0], 10, 32)
	if err != nil {
		return errUsage
	}
	r, _, errno := unix.Syscall6(uintptr(nr), 0, 0, 0, 0, 0, 0)
	if errno != 0 {
		return errno
	}
	fmt.Printf("syscall: %d returned %d\n", nr, r)
	return nil
}
