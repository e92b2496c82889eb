package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"nslab/internal/labtest"
)

var bin string

func TestMain(m *testing.M) { os.Exit(labtest.Main(m, map[string]*string{".": &bin})) }

// The child is PID 1; with --init=false the command itself is.
func TestPID1Inside(t *testing.T) {
	labtest.NeedRoot(t)
	labtest.NoTrace(t)
	r := labtest.Run(t, bin, "--", "true").Want(t, 0)
	r.Contains(t, "getpid() = 1;", "now NSpid: 1\n")
	r.Matches(t, `the host's /proc still says NSpid: \d+ 1\n`)
	r = labtest.Run(t, bin, "--init=false", "--", "sh", "-c", "echo $$").Want(t, 0)
	if strings.TrimSpace(r.Stdout) != "1" {
		t.Errorf("with --init=false the command is PID %q, want 1", r.Stdout)
	}
}

// The /proc inside lists only the namespace's processes: the init and the
// shell (Go's threads have PIDs too, but they are not processes).
func TestProcShowsOnlyTheNamespace(t *testing.T) {
	labtest.NeedRoot(t)
	r := labtest.Run(t, bin, "--", "sh", "-c", `echo $$; cd /proc && echo [0-9]*`).Want(t, 0)
	lines := labtest.Lines(r.Stdout)
	if len(lines) != 2 {
		t.Fatalf("output %q", r.Stdout)
	}
	if got, want := lines[1], "1 "+lines[0]; got != want {
		t.Errorf("/proc inside lists %q, want %q (the init and the shell)", got, want)
	}
	// The default command is the tiny ps: PID 1 and itself.
	ps := labtest.Run(t, bin).Want(t, 0)
	if rows := labtest.Lines(ps.Stdout); len(rows) != 3 || !strings.HasPrefix(strings.TrimSpace(rows[1]), "1     0 S 04-pid") {
		t.Errorf("tiny ps:\n%s", ps.Stdout)
	}
}

// Mounting /proc inside must not reach a systemd-like host: while the
// child runs (it waits on a FIFO), the host's table still has one /proc.
// The command cannot look at the host's table itself: once /proc is
// remounted, the host's PIDs no longer exist in it.
func TestProcMountDoesNotLeak(t *testing.T) {
	labtest.NeedRoot(t)
	labtest.NoTrace(t)
	dir := t.TempDir()
	r := labtest.SystemdLikeHost(t, []string{"BIN=" + bin, "D=" + dir}, `mkfifo "$D/inside" "$D/done"
"$BIN" -- sh -c "grep -c ' /proc ' /proc/self/mountinfo > $D/inside; read x < $D/done" &
echo "inside $(cat "$D/inside")"
echo "host $(grep -c ' /proc ' /proc/self/mountinfo)"
echo go > "$D/done"; wait`).Want(t, 0)
	if got := strings.Join(labtest.Lines(r.Stdout), ", "); got != "inside 2, host 1" {
		t.Errorf("/proc mounts = %q, want inside 2, host 1", got)
	}
}

// Orphans re-parented to the init are reaped: none is left a zombie.
func TestOrphansAreReaped(t *testing.T) {
	labtest.NeedRoot(t)
	script := `for i in 1 2 3 4 5; do (sleep 0.1 &); done; sleep 0.6; cat /proc/[0-9]*/stat`
	r := labtest.Run(t, bin, "--", "sh", "-c", script).Want(t, 0)
	for _, line := range labtest.Lines(r.Stdout) {
		if f := strings.Fields(line[strings.LastIndex(line, ")")+1:]); len(f) > 0 && f[0] == "Z" {
			t.Errorf("zombie left: %s", line)
		}
	}
	demo := labtest.Run(t, bin, "--demo", "zombies").Want(t, 0)
	demo.Contains(t, "3 zombies: orphans that exited and were never reaped",
		"0 zombies: the init reaped 6 processes")
}

// A signal sent to 04-pid reaches the command: the parent passes it to
// the init, and the init to the command.
func TestSignalReachesCommand(t *testing.T) {
	labtest.NeedRoot(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGUSR1, syscall.SIGHUP} {
		script := fmt.Sprintf(`trap 'echo "got %d"; exit 42' %d; echo ready; while :; do sleep 0.05; done`, sig, sig)
		cmd := labtest.Command(labtest.Opts{}, bin, "--", "sh", "-c", script)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(out)
		if !lines.Scan() || lines.Text() != "ready" {
			t.Fatalf("no ready line: %q", lines.Text())
		}
		cmd.Process.Signal(sig)
		lines.Scan()
		err = cmd.Wait()
		if got := lines.Text(); got != fmt.Sprintf("got %d", sig) {
			t.Errorf("%v: command printed %q", sig, got)
		}
		if cmd.ProcessState.ExitCode() != 42 {
			t.Errorf("%v: exit %v, want 42", sig, err)
		}
	}
}

func TestExitStatusPassesThrough(t *testing.T) {
	labtest.NeedRoot(t)
	labtest.Run(t, bin, "--", "sh", "-c", "exit 3").Want(t, 3)
	labtest.Run(t, bin, "--", "sh", "-c", "kill -KILL $$").Want(t, 128+9)
	labtest.Run(t, bin, "--", "sh", "-c", "kill -TERM $$").Want(t, 128+15)
	labtest.Run(t, bin, "--", "no-such-command").Want(t, 127)
	labtest.Run(t, bin, "--", "/etc/hostname").Want(t, 126)
	labtest.Run(t, bin, "--init=false", "--", "sh", "-c", "exit 5").Want(t, 5)
}

// sleepers returns the host PIDs of processes running "sleep <arg>".
func sleepers(t *testing.T, arg string) []string {
	t.Helper()
	paths, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	var pids []string
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err == nil && string(b) == "sleep\x00"+arg+"\x00" {
			pids = append(pids, filepath.Base(filepath.Dir(p)))
		}
	}
	return pids
}

// When PID 1 exits, the kernel kills a background process of the
// namespace — with or without the init. The control: the same script
// without a PID namespace leaves the sleep running.
func TestBackgroundDiesWithInit(t *testing.T) {
	labtest.NeedRoot(t)
	for _, args := range [][]string{{"--init=false"}, {}} {
		arg := fmt.Sprint(900000 + len(args))
		labtest.Run(t, bin, append(args, "--", "sh", "-c", "sleep "+arg+" & exit 0")...).Want(t, 0)
		waitGone(t, arg)
	}
	control := labtest.Command(labtest.Opts{}, "sh", "-c", "sleep 900009 & exit 0")
	if err := control.Run(); err != nil {
		t.Fatal(err)
	}
	var left []string
	for i := 0; i < 100 && len(left) == 0; i++ {
		time.Sleep(10 * time.Millisecond)
		left = sleepers(t, "900009")
	}
	if len(left) != 1 {
		t.Fatalf("control: want one surviving sleep, found %v", left)
	}
	for _, pid := range left {
		var p int
		fmt.Sscan(pid, &p)
		syscall.Kill(p, syscall.SIGKILL)
	}
	labtest.Run(t, bin, "--demo", "exit").Want(t, 0).Matches(t, `host PID \d+ +sleep: gone`)
}

func waitGone(t *testing.T, arg string) {
	t.Helper()
	for i := 0; i < 50; i++ {
		if len(sleepers(t, arg)) == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("sleep %s survived its namespace's PID 1: %v", arg, sleepers(t, arg))
}

func TestSignalsDemo(t *testing.T) {
	labtest.NeedRoot(t)
	labtest.Run(t, bin, "--demo", "signals").Want(t, 0).Contains(t,
		"sh as PID 1, no handler:   ignored: still running after kill -TERM 1 (exit 0)",
		"sh as PID 1, trap on TERM: delivered: the trap ran (exit 143)",
		"nslab init as PID 1:       forwarded: the init passed it on and the command died of it (exit 143)",
	)
}

// The reboot demo ends each namespace's init with the signal that names
// the command; the machine stays up (or this test would not finish).
func TestRebootDemo(t *testing.T) {
	labtest.NeedRoot(t)
	labtest.Run(t, bin, "--demo", "reboot").Want(t, 0).Contains(t,
		"restart:   the namespace's init was killed by SIGHUP",
		"power-off: the namespace's init was killed by SIGINT",
	)
}

// The reboot stage started by hand refuses. It runs as PID 2 of a scratch
// PID namespace, so that even a broken guard could not reach the machine;
// a made-up record of its parent's namespaces gets it past the first wall
// (reexec.Require, which TestBadInput shows), to the second.
func TestRebootStageRefusesOutsideItsNamespace(t *testing.T) {
	labtest.NeedRoot(t)
	r := labtest.RunOpts(t, labtest.Opts{Env: []string{"BIN=" + bin, "NSLAB_PARENT_NS=pid:1"}}, "unshare", "--pid", "--fork", "bash", "-c",
		`exec -a nslab:reboot "$BIN" --reboot-cmd restart --start-pidns 1 & wait $!`)
	r.Want(t, 125).Contains(t, "04-pid: refusing to call reboot(2): this process is PID 2, not PID 1 of a namespace")
}

func TestRebootGuard(t *testing.T) {
	ok := [2]int{6, 1}
	for _, c := range []struct {
		pid         int
		here, start uint64
		nspid       string
		kernel      [2]int
		allowed     bool
	}{
		{1, 10, 20, "1234 1", ok, true},
		{2, 10, 20, "1234 2", ok, false},
		{1, 10, 10, "1234 1", ok, false},
		{1, 10, 0, "1234 1", ok, false},
		{1, 10, 20, "1", ok, false},
		{1, 10, 20, "1234 1", [2]int{3, 3}, false},
		{1, 10, 20, "1234 1", [2]int{3, 4}, true},
	} {
		err := rebootGuard(c.pid, c.here, c.start, c.nspid, c.kernel)
		if (err == nil) != c.allowed {
			t.Errorf("%+v: %v", c, err)
		}
	}
}

func TestBadInputAndCheck(t *testing.T) {
	labtest.NeedRoot(t)
	labtest.Run(t, bin, "--demo", "fireworks").Want(t, 125).Contains(t, `04-pid: --demo "fireworks": want one of zombies, signals, exit, reboot`)
	labtest.RunAs(t, labtest.Nobody, bin, "--", "true").Want(t, 125).Contains(t, "run as root")
	labtest.Run(t, bin, "--check").Want(t, 0).Contains(t, "ok    unshare(CLONE_NEWNS|CLONE_NEWPID) works here")
	labtest.Run(t, bin, "-v", "--", "true").Want(t, 0).Contains(t,
		"+ [parent] clone(CLONE_NEWNS|CLONE_NEWPID)", "$ mount --make-rprivate /", "$ mount -t proc -o nosuid,nodev,noexec proc /proc")
}

// Bad input, demonstrations without root, and the re-executed stages
// started by hand: one line, status 125, no panic, nothing changed.
func TestBadInput(t *testing.T) {
	labtest.Refused(t, bin, []labtest.Refusal{
		{Args: []string{"--demo", "fireworks"}, Status: 125},
		{Args: []string{"--init=maybe"}, Status: 125},
		{Args: []string{"--", "true"}, Argv0: "nslab:child", Status: 125},
		{Args: []string{"--", "true"}, Argv0: "nslab:zombies", Status: 125},
		{Args: []string{"--reboot-cmd", "restart"}, Argv0: "nslab:reboot", Status: 125},
	})
	var demos []labtest.Refusal
	for _, d := range []string{"zombies", "signals", "exit", "reboot"} {
		demos = append(demos, labtest.Refusal{Args: []string{"--demo", d}, Status: 125})
	}
	labtest.RefusedToNobody(t, bin, append(demos, labtest.Refusal{Args: []string{"--", "true"}, Status: 125}))
}
