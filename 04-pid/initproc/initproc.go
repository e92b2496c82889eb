// Package initproc is a minimal init for PID 1 of a PID namespace, the
// job tini or dumb-init does in a Docker container. 06-container runs its
// commands under it.
//
// PID 1 has two duties the kernel gives no other process:
//
//   - Orphans are re-parented to it. When they exit, they stay zombies —
//     dead, but holding a PID and a process-table slot — until PID 1 calls
//     wait(2) for them. A program that was never written to be PID 1 never
//     does.
//   - The kernel delivers a signal to PID 1 only if PID 1 has installed a
//     handler for it (SIGKILL and SIGSTOP from an ancestor namespace
//     excepted). Without one, "kill -TERM 1" does nothing at all.
//
// So Run starts the real command as a child, handles the signals a person
// sends and passes them on, reaps every child that exits, and returns the
// command's status when the command exits. When PID 1 then exits, the
// kernel kills whatever is left in the namespace.
package initproc

import (
	"errors"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"nslab/internal/cli"
)

// Options adjust Run. The zero value forwards cli.ForwardedSignals.
type Options struct {
	// Signals to pass on to the command; nil means cli.ForwardedSignals.
	Signals []os.Signal
	// Reaped is called for every process reaped that was not the command:
	// the orphans.
	Reaped func(pid int, ws unix.WaitStatus)
	// Forwarded is called for every signal passed on.
	Forwarded func(os.Signal)
	// Started is called once the command has started: 06-container
	// closes its copies of the command's descriptors there.
	Started func()
	// Stop, when it is closed, kills the command with SIGKILL: 06-container
	// closes it when its runtime is gone. Run still waits for the command
	// to die and returns its status, 128+9.
	Stop <-chan struct{}
}

// Init is PID 1's bookkeeping: besides its command, the processes it
// started for others (Spawn), whose exit statuses belong to whoever asked.
// PID 1 reaps every child with wait4(-1), so without this a status would
// go to whichever wait happened to come first.
type Init struct {
	mu     sync.Mutex
	owners map[int]chan int // processes started by Spawn, by PID
}

// New returns an Init with no process of its own yet.
func New() *Init {
	return &Init{owners: map[int]chan int{}}
}

// Run is New().Run, for a PID 1 that starts nothing for others.
func Run(cmd *exec.Cmd, opts Options) (int, error) {
	return New().Run(cmd, opts)
}

// Run starts cmd, forwards signals to it, reaps every child that exits,
// and returns cmd's exit status — 128+N if a signal N killed it — once cmd
// has exited. cmd's standard streams must be nil or *os.File: Run reaps
// children itself, so it never calls cmd.Wait, which is what would copy
// other streams.
//
// An error means the command could not be started; its exit status then
// follows the convention of 126 (cannot run) and 127 (not found).
//
// LAB 4.2 (open): catch SIGCHLD and the signals to forward, start the
// command, then loop: reap, and pass every other signal on to the
// command — docs/04-pid.md "The init's job", signal(7), pid_namespaces(7).
// Checked by TestSignalReachesCommand.
func (in *Init) Run(cmd *exec.Cmd, opts Options) (int, error) {
	signals := opts.Signals
	if signals == nil {
		signals = cli.ForwardedSignals
	}
	sigs := make(chan os.Signal, 64)
	// SIGCHLD wakes the loop when a child exits; several exits may arrive
	// as one signal, so each wake-up reaps until nothing is left.
	signal.Notify(sigs, append([]os.Signal{syscall.SIGCHLD}, signals...)...)
	defer signal.Stop(sigs)

	if err := cmd.Start(); err != nil {
		return startStatus(err), err
	}
	if opts.Started != nil {
		opts.Started()
	}
	main := cmd.Process.Pid
	stop := opts.Stop
	for {
		if status, done := in.reap(main, opts.Reaped); done {
			_ = cmd.Process.Release()
			return status, nil
		}
		select {
		case <-stop:
			stop = nil // a closed channel stays ready: act on it once
			_ = unix.Kill(main, unix.SIGKILL)
		case sig := <-sigs:
			if sig == syscall.SIGCHLD {
				continue
			}
			if opts.Forwarded != nil {
				opts.Forwarded(sig)
			}
			_ = unix.Kill(main, sig.(syscall.Signal))
		}
	}
}

// Spawn starts a process for someone else — 06-container's exec — and
// returns where its exit status will arrive. The lock held across the
// start keeps the reaper from collecting the process before it is
// registered.
func (in *Init) Spawn(cmd *exec.Cmd) (<-chan int, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	status := make(chan int, 1)
	in.owners[cmd.Process.Pid] = status
	return status, nil
}

// reap collects every child that has exited, without blocking, and hands
// each status to its owner: done is set when one was the main command; a
// spawned process's goes to its channel; the rest are orphans.
//
// LAB 4.1 (guided): loop on wait4(-1, WNOHANG) until no child is left to
// collect, and hand each status on — docs/04-pid.md "The init's job",
// pid_namespaces(7), wait(2).
// Checked by TestOrphansAreReaped.
func (in *Init) reap(main int, reaped func(int, unix.WaitStatus)) (status int, done bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if err == unix.EINTR {
			continue
		}
		if pid <= 0 || err != nil {
			return status, done
		}
		st := cli.WaitStatus(syscall.WaitStatus(ws))
		switch owner, spawned := in.owners[pid]; {
		case pid == main:
			status, done = st, true
		case spawned:
			owner <- st
			delete(in.owners, pid)
		case reaped != nil:
			reaped(pid, ws)
		}
	}
}

// startStatus maps a failure to start the command to 126 or 127.
func startStatus(err error) int {
	if cli.CodeOf(err) != cli.ExitSetup {
		return cli.CodeOf(err)
	}
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, exec.ErrNotFound) {
		return cli.ExitNotFound
	}
	return cli.ExitCannotRun
}
