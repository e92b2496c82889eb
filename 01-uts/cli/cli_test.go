package cli

import (
	"errors"
	"os/exec"
	"testing"
)

func TestStatus(t *testing.T) {
	for script, want := range map[string]int{
		"exit 0":        0,
		"exit 3":        3,
		"kill -TERM $$": 128 + 15,
		"kill -KILL $$": 128 + 9,
	} {
		got, err := Status(exec.Command("sh", "-c", script).Run())
		if err != nil || got != want {
			t.Errorf("%s: status %d, %v; want %d", script, got, err, want)
		}
	}
	if _, err := Status(errors.New("boom")); err == nil {
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
}
