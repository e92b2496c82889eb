package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"

	"golang.org/x/sys/unix"

	"nslab/04-pid/initproc"
	"nslab/internal/cli"
	"nslab/internal/explain"
)

// The PID namespace, chapter 04: the init is PID 1. It takes its spec and
// its lifeline from the runtime on two pipes, and runs the command under
// chapter 04's initproc, which reaps orphans, forwards signals and passes
// the command's exit status on.

// runCommand starts the command under the init — from a thread limited by
// the protections (security.go) — and ends the init with its status. If
// the runtime dies first (lifeline), the command is killed.
func runCommand(s *spec, lifeline <-chan struct{}, log *explain.Log) error {
	cmd := &exec.Cmd{Path: s.Path, Args: s.Command, Env: s.Env}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	log.Step(fmt.Sprintf("fork + execve(%q) under the init", s.Path), "exec "+explain.Command(s.Command...))
	status, err := initproc.Run(cmd, initproc.Options{Start: startProtected(s.Protect, log), Stop: lifeline})
	if err != nil {
		return cli.Errorf(status, "%s: %w", s.Command[0], err)
	}
	return cli.Exited(status)
}

// pipe wraps an inherited pipe descriptor. In non-blocking mode Go waits
// for it with its poller, instead of parking a whole thread in read(2).
func pipe(fd int, name string) *os.File {
	unix.SetNonblock(fd, true)
	return os.NewFile(uintptr(fd), name)
}

// readSpec blocks until the runtime has done its part and sent the spec.
// If the runtime dies first, the pipe ends without a spec and the init
// gives up.
func readSpec(f *os.File) (*spec, error) {
	defer f.Close()
	var s spec
	if err := json.NewDecoder(f).Decode(&s); err != nil {
		return nil, cli.Failf("no spec from the runtime (%w)", err)
	}
	return &s, nil
}

// watchLifeline returns a channel that is closed when the runtime dies.
// The runtime holds the only write end of this pipe, so a read returns EOF
// exactly when it is gone — including before the parent-death signal was
// armed, and if the runtime's thread that started us ended. The init then
// kills its command and exits, and PID 1 exiting makes the kernel kill
// everything else in the namespace.
func watchLifeline(f *os.File) <-chan struct{} {
	gone := make(chan struct{})
	go func() {
		defer close(gone)
		_, _ = io.Copy(io.Discard, f) // returns at EOF: nothing is ever written
	}()
	return gone
}
