package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

func init() {
	// Init functions run on the main goroutine, on the main thread: lock
	// the two together before the scheduler can part them.
	runtime.LockOSThread()
	register("clocks", "", "print CLOCK_REALTIME, CLOCK_MONOTONIC and CLOCK_BOOTTIME, in seconds", clocks)
	register("timens", "BOOTTIME-SECONDS COMMAND...", "exec COMMAND with a new time namespace for its children, whose boot clock is ahead by that many seconds", timens)
}

// clocks prints the three clocks a program most often reads.
func clocks(args []string) error {
	if err := need(args, 0); err != nil {
		return err
	}
	for _, c := range []struct {
		name string
		id   int32
	}{{"realtime", unix.CLOCK_REALTIME}, {"monotonic", unix.CLOCK_MONOTONIC}, {"boottime", unix.CLOCK_BOOTTIME}} {
		var ts unix.Timespec
		if err := unix.ClockGettime(c.id, &ts); err != nil {
			return err
		}
		fmt.Printf("%-9s %d\n", c.name, ts.Sec)
	}
	return nil
}

// timens makes a time namespace the Go way. unshare(CLONE_NEWTIME) does
// not move the caller: it makes the namespace that the calling thread's
// next children will be born in (/proc/PID/ns/time_for_children), and its
// offsets can be written to /proc/PID/timens_offsets only until the first
// child is born there (time_namespaces(7)). That file exists per process,
// not per thread, and acts on the thread-group leader — the main thread.
// So here, unlike everywhere else in nslab, the main thread changes: the
// main goroutine, locked to the main thread since init (below), unshares,
// writes the offsets, and then execs the command — whose children are
// born in the new namespace. Not a child of Go's: Go starts children with
// vfork (CLONE_VM), which Debian 12's kernel (6.1) refuses into a new
// time namespace (EINVAL), where 6.18 allows it. And Go's
// syscall.SysProcAttr cannot ask clone for the namespace instead:
// CLONE_NEWTIME is 0x80, inside the byte where clone(2) takes the exit
// signal.
func timens(args []string) error {
	if len(args) < 2 {
		return errUsage
	}
	secs, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil {
		return fmt.Errorf("BOOTTIME-SECONDS %q: want a number", args[0])
	}
	if unix.Gettid() != unix.Getpid() {
		return fmt.Errorf("timens must run on the main thread")
	}
	path, err := exec.LookPath(args[1])
	if err != nil {
		return err
	}
	if err := unix.Unshare(unix.CLONE_NEWTIME); err != nil {
		return fmt.Errorf("unshare(CLONE_NEWTIME): %w", err)
	}
	offsets := fmt.Sprintf("boottime %d 0", secs)
	if err := os.WriteFile("/proc/self/timens_offsets", []byte(offsets), 0); err != nil {
		return fmt.Errorf("timens_offsets: %w", err)
	}
	return unix.Exec(path, args[1:], os.Environ())
}
