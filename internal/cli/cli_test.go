package cli

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
)

func TestStatusOf(t *testing.T) {
	for script, want := range map[string]int{
		"exit 0":        0,
		"exit 3":        3,
		"kill -TERM $$": 128 + 15,
		"kill -KILL $$": 128 + 9,
	} {
		got, err := StatusOf(exec.Command("sh", "-c", script).Run())
		if err != nil || got != want {
			t.Errorf("%s: status %d, %v; want %d", script, got, err, want)
		}
	}
	if _, err := StatusOf(errors.New("boom")); err == nil {
		t.Error("a non-exit error was turned into a status")
	}
}

func TestCodeOf(t *testing.T) {
	if got := CodeOf(errors.New("x")); got != ExitSetup {
		t.Errorf("plain error: %d", got)
	}
	if got := CodeOf(Errorf(ExitNotFound, "x")); got != ExitNotFound {
		t.Errorf("Errorf(127): %d", got)
	}
	if got := CodeOf(fmt.Errorf("outer: %w", Errorf(ExitCannotRun, "inner"))); got != ExitCannotRun {
		t.Errorf("a wrapped 126: %d", got)
	}
	if got := CodeOf(Exited(42)); got != 42 {
		t.Errorf("Exited(42): %d", got)
	}
	if Exited(0) != nil {
		t.Error("Exited(0) is an error")
	}
}

// The chain survives Failf: errors.Is sees the errno under the message.
func TestFailfKeepsTheChain(t *testing.T) {
	err := Failf("mount /x: %w — run as root", &os.PathError{Op: "mount", Path: "/x", Err: syscall.EPERM})
	if !errors.Is(err, syscall.EPERM) {
		t.Errorf("errors.Is(%v, EPERM) is false", err)
	}
	if err.Error() != "mount /x: mount /x: operation not permitted — run as root" {
		t.Errorf("message %q", err.Error())
	}
}

// A failed clean-up step becomes the error when there is none, and
// leaves an error already on its way out alone.
func TestCleanup(t *testing.T) {
	var err error
	Cleanup(&err, "unmount /x", func() error { return syscall.EBUSY })
	if err == nil || err.Error() != "cleanup: unmount /x: device or resource busy" || !errors.Is(err, syscall.EBUSY) {
		t.Errorf("err = %v", err)
	}
	first := Exited(3)
	err = first
	Cleanup(&err, "unmount /y", func() error { return syscall.EBUSY })
	if err != first {
		t.Errorf("the command's status was replaced by %v", err)
	}
	err = nil
	Cleanup(&err, "nothing", func() error { return nil })
	if err != nil {
		t.Errorf("a clean-up that worked gave %v", err)
	}
}
