package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"

	"nslab/01-uts/reexec"
	"nslab/04-pid/initproc"
	"nslab/internal/cli"
	"nslab/internal/explain"
	"nslab/internal/osthread"
)

// The PID namespace, chapter 04, and the line between set-up and the
// command. The init has done its set-up with every privilege; now it
// must hold nothing the command lacks — it stays PID 1 for as long as the
// container lives, and its capabilities, its descriptors and its memory
// are all there to be abused if the command can reach them.
//
// Credentials, capabilities, no_new_privs and the seccomp filter belong to
// a thread, and a Go program has many. Limiting each thread in turn races
// the runtime, which keeps starting threads. So the init limits one thread
// of its own (package osthread) and calls execve(2) from it: the kernel
// ends every other thread, and the new program — this binary again, as
// the "pid1" stage — starts from that one limited thread, and so does
// every thread its runtime starts. The PID stays 1.

// execPID1 hands the container over to the pid1 stage. The spec travels
// in a memfd (an anonymous file), the descriptors pid1 needs stay open
// across execve, and the environment is emptied: nothing of the host's
// environment is left to read in /proc/1/environ.
func execPID1(s *spec, log *explain.Log) error {
	memfd, err := specFile(s)
	if err != nil {
		return err
	}
	keep := []int{memfd, s.Lifeline, s.Stdin, s.Terminal, s.ExecSocket, s.TimingsFD}
	return osthread.Run(func() error {
		if err := unix.Unshare(unix.CLONE_NEWCGROUP); err != nil {
			return fmt.Errorf("unshare(CLONE_NEWCGROUP): %w", err)
		}
		if !s.Rootless {
			if err := mountCgroupView(log); err != nil {
				return err
			}
		}
		if err := protect(s.Protect, log); err != nil {
			return err
		}
		for _, fd := range keep {
			if fd >= 0 {
				if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0); err != nil {
					return err
				}
			}
		}
		log.Step(`execve("/proc/self/exe") from the limited thread, as PID 1 still`, "exec setpriv … "+prog+" pid1")
		os.Clearenv()
		return cli.Failf("execve pid1: %w", reexec.Exec("pid1", "--", strconv.Itoa(memfd)))
	})
}

// specFile writes the spec to a memfd, for pid1 to read back. The
// descriptor is used bare, not as an *os.File, whose finalizer could close
// it before the execve.
func specFile(s *spec) (int, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return -1, err
	}
	fd, err := unix.MemfdCreate("nslab-spec", unix.MFD_CLOEXEC)
	if err != nil {
		return -1, fmt.Errorf("memfd_create: %w", err)
	}
	for len(b) > 0 {
		n, err := unix.Write(fd, b)
		if err != nil {
			return -1, fmt.Errorf("writing the spec: %w", err)
		}
		b = b[n:]
	}
	if _, err := unix.Seek(fd, 0, io.SeekStart); err != nil {
		return -1, err
	}
	return fd, nil
}

// pid1 is PID 1 from the command's start to the end: non-dumpable, with
// the command's own limits (inherited through execve), it starts the
// command under chapter 04's initproc, which reaps orphans, forwards
// signals and passes the command's exit status on. If the runtime dies
// first (the lifeline), the command is killed.
func pid1(args []string) error {
	if err := reexec.Require("pid", "mnt"); err != nil {
		return err
	}
	// Not dumpable: /proc/1/fd, /proc/1/environ, /proc/1/mem and ptrace
	// then need CAP_SYS_PTRACE, which the command does not have. execve
	// made the process dumpable again; this is the first thing to undo.
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_DUMPABLE, 0): %w", err)
	}
	// The descriptors the init kept open across execve must not reach
	// the command too: close-on-exec for all of them, again.
	markCloexec()
	s, err := readSpecFD(args)
	if err != nil {
		return err
	}
	log := explain.New(s.Verbose, "pid1")
	m := &marks{on: s.Timings, list: s.Marks}
	m.note("pid1", "cgroup namespace, protections, execve of pid1 and its Go runtime start")
	cmd, theirs := commandOf(s)
	lifeline := watchLifeline(pipe(s.Lifeline, "lifeline"))
	log.Step(fmt.Sprintf("fork + execve(%q) under the init", s.Path), "exec "+explain.Command(s.Command...))
	// Once the command has its copies, pid1 keeps none of its terminal
	// or standard input: no descriptor it does not need.
	started := func() {
		m.note("pid1", "fork + execve of the command")
		for _, f := range theirs {
			f.Close()
		}
	}
	in := initproc.New()
	if s.ExecSocket >= 0 {
		go serveExec(s.ExecSocket, in, s)
	}
	status, err := in.Run(cmd, initproc.Options{Stop: lifeline, Started: started})
	m.note("command", "the command runs, and exits")
	sendTimings(s.TimingsFD, childTimings{Marks: m.list, InitKiB: s.InitKiB, PID1KiB: peakKiB()})
	if err != nil {
		return cli.Errorf(status, "%s: %w", s.Command[0], err)
	}
	return cli.Exited(status)
}

// readSpecFD reads the spec from the memfd whose number is the argument.
func readSpecFD(args []string) (*spec, error) {
	if len(args) != 1 {
		return nil, cli.Failf("the pid1 stage takes the spec's descriptor")
	}
	fd, err := strconv.Atoi(args[0])
	if err != nil {
		return nil, cli.Failf("the pid1 stage takes the spec's descriptor: %w", err)
	}
	return readSpec(os.NewFile(uintptr(fd), "spec"))
}

// commandOf prepares the command, and returns the descriptors that are
// the command's alone. It starts a session of its own (setsid), so that no
// terminal of the runtime's could be its controlling terminal; with -t it
// gets the container's pseudo-terminal on 0, 1 and 2, as its controlling
// terminal, so that job control works inside.
func commandOf(s *spec) (*exec.Cmd, []*os.File) {
	cmd := &exec.Cmd{Path: s.Path, Args: s.Command, Env: s.Env}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if s.Terminal >= 0 {
		tty := os.NewFile(uintptr(s.Terminal), "tty")
		cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
		cmd.SysProcAttr.Setctty = true
		cmd.SysProcAttr.Ctty = 0
		return cmd, []*os.File{tty}
	}
	stdin := os.NewFile(uintptr(s.Stdin), "stdin")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, os.Stdout, os.Stderr
	return cmd, []*os.File{stdin}
}

// pipe wraps an inherited pipe descriptor. In non-blocking mode Go waits
// for it with its poller, instead of parking a whole thread in read(2).
func pipe(fd int, name string) *os.File {
	_ = unix.SetNonblock(fd, true)
	return os.NewFile(uintptr(fd), name)
}

// readSpec reads the spec. From the runtime's pipe, it blocks until the
// runtime has done its part; if the runtime dies first, the pipe ends
// without a spec and the init gives up.
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
// armed, and if the runtime's thread that started us ended. pid1 then
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
