package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"nslab/internal/cli"
	"nslab/internal/explain"
	"nslab/internal/nsinfo"
	"nslab/internal/osthread"
)

// join is --join PID: enter the UTS namespace of a running process — the
// other half of the namespace API, setns(2), which nsenter(1) wraps. A
// namespace is named by a file: open /proc/PID/ns/uts, and setns moves the
// calling *thread* into the namespace the descriptor refers to. So it is
// done on a thread of its own (package osthread), the command is started
// from that thread — a child is born in its parent thread's namespaces —
// and the thread is thrown away: the rest of this process never left the
// host's namespace.
func join(cfg config, log *explain.Log) error {
	if os.Geteuid() != 0 {
		return cli.Failf("--join needs root: setns(CLONE_NEWUTS) needs CAP_SYS_ADMIN over the namespace joined")
	}
	path := nsinfo.Path(cfg.join, "uts")
	ns, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return cli.Failf("--join %d: no such process — lsns -t uts lists the UTS namespaces and a process in each", cfg.join)
	}
	if err != nil {
		return cli.Failf("--join %d: %w", cfg.join, err)
	}
	defer ns.Close()
	here, err := describe()
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "host:   %s\n", here)

	var cmd *exec.Cmd
	err = osthread.Run(func() error {
		log.Step(fmt.Sprintf("setns(open(%q), CLONE_NEWUTS) on a thread of its own", path),
			strings.TrimSpace("nsenter --uts --target "+strconv.Itoa(cfg.join)+" "+explain.Command(cfg.command...)))
		if err := unix.Setns(int(ns.Fd()), unix.CLONE_NEWUTS); err != nil {
			return cli.Failf("setns(CLONE_NEWUTS): %w", err)
		}
		joined, err := describeThread()
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "joined: %s  (this thread only)\n", joined)
		if len(cfg.command) == 0 {
			return nil
		}
		cmd = exec.Command(cfg.command[0], cfg.command[1:]...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		return cmd.Start()
	})
	if err != nil {
		return startJoinError(err)
	}
	status := 0
	if cmd != nil {
		if status, err = cli.Wait(cmd); err != nil {
			return err
		}
	}
	after, err := describe()
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "host:   %s (the main thread never left)\n", after)
	return cli.Exited(status)
}

// startJoinError names a command that could not start.
func startJoinError(err error) error {
	var execErr *exec.Error
	if errors.As(err, &execErr) {
		return cli.Errorf(cli.ExitNotFound, "%s: command not found", execErr.Name)
	}
	return err
}

// describeThread is describe for the calling thread: its UTS namespace
// link is /proc/thread-self/ns/uts, where /proc/self shows the main
// thread's.
func describeThread() (string, error) {
	link, err := os.Readlink("/proc/thread-self/ns/uts")
	if err != nil {
		return "", err
	}
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s  hostname=%s", link, unix.ByteSliceToString(u.Nodename[:])), nil
}
