package cli

import (
	"errors"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// ForwardedSignals are the signals a person at a shell sends: Ctrl-C,
// Ctrl-\, kill, a closed terminal, the two user signals and a resized
// window. Programs that wait for a child pass them on.
var ForwardedSignals = []os.Signal{
	syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT,
	syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH,
}

// Run starts cmd, passes ForwardedSignals on to it while it runs, and
// returns its exit status the way a shell reports it. Forwarding matters
// because a namespace's first process may not be in the terminal's
// process group; a duplicate Ctrl-C for one that is does no harm.
func Run(cmd *exec.Cmd) (int, error) {
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	return Wait(cmd)
}

// Wait is Run for a command that was already started.
func Wait(cmd *exec.Cmd) (int, error) {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, ForwardedSignals...)
	defer signal.Stop(sigs)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case sig := <-sigs:
			_ = cmd.Process.Signal(sig)
		case err := <-done:
			return StatusOf(err)
		}
	}
}

// StatusOf turns the error from exec.Cmd.Wait into a shell-style exit status:
// the exit code, or 128+N when the process was killed by signal N. Errors
// other than a non-zero exit are returned as they are.
func StatusOf(err error) (int, error) {
	if err == nil {
		return 0, nil
	}
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		return 0, err
	}
	ws, ok := exitErr.Sys().(syscall.WaitStatus)
	if !ok {
		return exitErr.ExitCode(), nil
	}
	return WaitStatus(ws), nil
}

// WaitStatus turns a wait(2) status into a shell-style exit status.
func WaitStatus(ws syscall.WaitStatus) int {
	if ws.Signaled() {
		return ExitSignalBase + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// Exec replaces this process with the command, searching PATH like a
// shell. It returns only on failure, with status 127 when the command does
// not exist and 126 when it cannot be executed.
func Exec(argv []string, env []string) error {
	path, err := exec.LookPath(argv[0])
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
			return Errorf(ExitNotFound, "%s: command not found", argv[0])
		}
		return Errorf(ExitCannotRun, "%s: %v", argv[0], unwrapPath(err))
	}
	err = syscall.Exec(path, argv, env)
	if errors.Is(err, syscall.ENOENT) {
		return Errorf(ExitNotFound, "%s: command not found", argv[0])
	}
	return Errorf(ExitCannotRun, "%s: cannot execute: %v", argv[0], err)
}

func unwrapPath(err error) error {
	var pathErr *os.PathError
	if errors.As(err, &pathErr) {
		return pathErr.Err
	}
	var execErr *exec.Error
	if errors.As(err, &execErr) {
		return execErr.Err
	}
	return err
}

// Interactive reports whether standard input is a terminal, the cue to
// start a shell rather than print a report.
func Interactive() bool {
	_, err := unix.IoctlGetTermios(0, unix.TCGETS)
	return err == nil
}

// Shell returns the shell to start for an interactive session: $SHELL when
// set, else /bin/sh.
func Shell() string {
	if sh := os.Getenv("SHELL"); sh != "" {
		return sh
	}
	return "/bin/sh"
}
