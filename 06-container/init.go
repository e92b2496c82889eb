package main

import (
	"io"
	"os"
	"strings"

	"nslab/01-uts/reexec"
	"nslab/internal/cli"
	"nslab/internal/explain"
)

// The descriptors the runtime gives the init, after 0, 1 and 2.
const (
	fdSpec     = 3 // the spec arrives here, once the runtime has done its part
	fdLifeline = 4 // never written: it ends when the runtime does
	fdStdin    = 5 // the command's standard input, without -t
	fdTTY      = 6 // with -t: a socket to hand the pty's master to the runtime
	fdTimings  = 7 // with --timings: where pid1 sends the notes (timings.go)
)

// containerInit is the container's init, the init's side of main.go's
// sequence. Born PID 1 in the new namespaces, with every privilege, it
// waits for its spec, sets the container up from inside — hostname
// (uts.go), network (net.go), root filesystem (mount.go, dev.go, etc.go,
// procmask.go, ipc.go), terminal (tty.go) — and then limits itself and
// becomes the pid1 stage (pid1.go), which runs the command.
func containerInit(log *explain.Log) error {
	entered := monotonic()
	if err := reexec.Require("pid", "mnt", "uts", "ipc", "net"); err != nil {
		return err
	}
	s, err := readSpec(pipe(fdSpec, "spec"))
	if err != nil {
		return err
	}
	s.Lifeline, s.Stdin, s.Terminal, s.ExecSocket, s.TimingsFD = fdLifeline, -1, -1, -1, -1
	if !s.TTY {
		s.Stdin = fdStdin
	}
	m := &marks{on: s.Timings}
	if s.Timings {
		s.TimingsFD = fdTimings
		m.list = []mark{{At: entered, Who: "init", What: "the init's Go runtime start"}}
		m.note("init", "wait for the spec, while the runtime connects the init")
	}
	pauseForTest()

	if err := setHostname(s, log); err != nil {
		return err
	}
	if err := networkInside(s.Net, log); err != nil {
		return cli.Failf("network: %w", err)
	}
	m.note("init", "hostname; lo, eth0 and the route")
	if s.Rootless {
		if s.ExecSocket, err = listenExec(execSocketPath(s.StateDir), log); err != nil {
			return err
		}
	}
	if err := buildRoot(s, log); err != nil {
		return err
	}
	m.note("init", "the root: overlay, /proc, /sys, /dev, /etc, pivot_root, masks")
	if s.TTY {
		if s.Terminal, err = openTerminal(fdTTY, log); err != nil {
			return err
		}
	}
	if err := enterWorkdir(s.Workdir, log); err != nil {
		return err
	}
	markCloexec()
	m.note("init", "terminal, working directory")
	s.Marks, s.InitKiB = m.list, peakKiB()
	return execPID1(s, log)
}

// pauseForTest stops the init before it touches the root filesystem,
// when NSLAB_TEST_PAUSE names a FIFO: it opens the FIFO and reads until
// the writer closes it. The escape tests use this window to swap parts of
// the rootfs for symbolic links, the race a real attacker would try.
func pauseForTest() {
	path := os.Getenv("NSLAB_TEST_PAUSE")
	if path == "" {
		return
	}
	if f, err := os.Open(path); err == nil {
		_, _ = io.Copy(io.Discard, f)
		f.Close()
	}
}

// withHint gives a failed set-up step, which names what failed, the usual
// next step: errors from the kernel carry no advice of their own. An error
// that already gives advice (after " — ") is left as it is.
func withHint(err error) error {
	if err == nil || cli.CodeOf(err) != cli.ExitSetup || strings.Contains(err.Error(), " — ") {
		return err
	}
	return cli.Failf("%w — see %s --check, and -v for each step", err, prog)
}
