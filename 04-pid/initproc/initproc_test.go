package initproc

import (
	"bufio"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestStatus(t *testing.T) {
	for script, want := range map[string]int{"exit 7": 7, "kill -KILL $$": 137, "true": 0} {
		got, err := Run(exec.Command("sh", "-c", script), Options{})
		if err != nil || got != want {
			t.Errorf("%s: %d, %v; want %d", script, got, err, want)
		}
	}
	if got, err := Run(exec.Command("no-such-command"), Options{}); err == nil || got != 127 {
		t.Errorf("missing command: %d, %v; want 127 and an error", got, err)
	}
}

// A child subreaper receives orphans as PID 1 does, so the test process
// can stand in for PID 1: the two sleeps are orphaned by their subshells,
// re-parented to us, and must be reaped by Run.
func TestReapsOrphans(t *testing.T) {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		t.Fatal(err)
	}
	defer unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
	var reaped []int
	status, err := Run(exec.Command("sh", "-c", "(sleep 0.05 &); (sleep 0.05 &); sleep 0.4"), Options{
		Reaped: func(pid int, _ unix.WaitStatus) { reaped = append(reaped, pid) },
	})
	if err != nil || status != 0 {
		t.Fatalf("status %d, %v", status, err)
	}
	if len(reaped) != 2 {
		t.Errorf("reaped %v, want the two orphaned sleeps", reaped)
	}
}

// A signal to the init reaches the command.
func TestForwardsSignals(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command("sh", "-c", `trap 'exit 9' USR1; echo ready; while :; do sleep 0.05; done`)
	cmd.Stdout = w
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		if line == "ready\n" {
			syscall.Kill(os.Getpid(), syscall.SIGUSR1)
		}
	}()
	var forwarded []os.Signal
	status, err := Run(cmd, Options{Forwarded: func(s os.Signal) { forwarded = append(forwarded, s) }})
	w.Close()
	if err != nil || status != 9 {
		t.Errorf("status %d, %v; want 9", status, err)
	}
	if len(forwarded) != 1 || forwarded[0] != syscall.SIGUSR1 {
		t.Errorf("forwarded %v", forwarded)
	}
}

// A process started with Spawn gets its exit status from its own channel,
// even though the reaper collects every child: the status is not taken
// for an orphan's, nor lost.
func TestSpawnGetsItsOwnStatus(t *testing.T) {
	in := New()
	var orphans []int
	spawned := make(chan int, 1)
	main := exec.Command("sh", "-c", "sleep 0.3; exit 3")
	go func() {
		time.Sleep(50 * time.Millisecond)
		status, err := in.Spawn(exec.Command("sh", "-c", "exit 42"))
		if err != nil {
			spawned <- -1
			return
		}
		spawned <- <-status
	}()
	status, err := in.Run(main, Options{Reaped: func(pid int, _ unix.WaitStatus) { orphans = append(orphans, pid) }})
	if err != nil || status != 3 {
		t.Fatalf("main: %d, %v", status, err)
	}
	if got := <-spawned; got != 42 {
		t.Errorf("the spawned process's status: %d, want 42", got)
	}
	if len(orphans) != 0 {
		t.Errorf("reaped as orphans: %v", orphans)
	}
}
