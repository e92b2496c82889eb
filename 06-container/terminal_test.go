package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"nslab/internal/labtest"
)

// The host's terminal never enters a container. A pseudo-terminal the
// test owns stands in for it; the runtime gets it, a pipe or a file on
// each of stdin, stdout and stderr, with and without -t and -i. Inside,
// nsprobe tries to type a command into every terminal it can reach with
// TIOCSTI — with the seccomp filter off, so that the terminal rules alone
// hold the line; outside, the test checks that nothing arrived in the
// stand-in's input queue, that no process of the container ever holds a
// descriptor of it, and that the runtime gave it back as it found it.

const typed = "echo pwned\n"

// kinds of stream the runtime can be given.
var kinds = []string{"terminal", "pipe", "file"}

// streamOf returns what a stream of the given kind is: the stand-in
// terminal, a pipe the test drains, or a file.
func streamOf(t *testing.T, kind string, slave *os.File, input bool) *os.File {
	switch kind {
	case "terminal":
		return slave
	case "file":
		f, err := os.CreateTemp(t.TempDir(), "stream")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	if input {
		return r // the test never writes: an input that never ends
	}
	go drain(r)
	return w
}

func drain(r *os.File) {
	buf := make([]byte, 4096)
	for {
		if _, err := r.Read(buf); err != nil {
			return
		}
	}
}

func TestTerminalNeverEntersTheContainer(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	modes := [][]string{{"-t=false"}, {"-t=false", "-i=false"}, {"-t"}, {"-t", "-i=false"}}
	for _, in := range kinds {
		for _, out := range kinds {
			for _, errk := range kinds {
				for _, mode := range modes {
					in, out, errk, mode := in, out, errk, mode
					name := fmt.Sprintf("stdin=%s,stdout=%s,stderr=%s,%s", in, out, errk, strings.Join(mode, ","))
					t.Run(name, func(t *testing.T) {
						t.Parallel()
						terminalRow(t, in, out, errk, mode)
					})
				}
			}
		}
	}
}

// terminalRow runs one row of the matrix.
func terminalRow(t *testing.T, in, out, errk string, mode []string) {
	_, slave := labtest.OpenPTY(t)
	before := labtest.StateOf(t, slave)
	a := args(t, append(append([]string{"--net=none", "--seccomp=off"}, mode...), "--", "sh", "-c",
		"nsprobe tiocsti '"+typed+"'; exec sleep 0.2")...)
	cmd := exec.Command(bin, a...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = streamOf(t, in, slave, true), streamOf(t, out, slave, false), streamOf(t, errk, slave, false)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	id := terminalOf(t, slave)
	holders := map[string]bool{}
	for cmd.ProcessState == nil && len(holders) == 0 {
		for _, p := range containerProcesses(cmd.Process.Pid) {
			for _, fd := range terminalFds(p, id) {
				holders[fd] = true
			}
		}
		if exited(cmd) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	_ = cmd.Wait()
	if len(holders) > 0 {
		t.Errorf("processes of the container held the host's terminal: %v", holders)
	}
	if after := labtest.StateOf(t, slave); after != before {
		t.Errorf("the terminal was not given back as it was:\nbefore %+v\nafter  %+v", before, after)
	}
	if got := labtest.Pending(t, slave); strings.Contains(got, "pwned") {
		t.Errorf("the container typed into the host's terminal: %q waits in its input", got)
	}
}

// exited reports whether the command has exited, without reaping it.
func exited(cmd *exec.Cmd) bool {
	var info unix.Siginfo
	err := unix.Waitid(unix.P_PID, cmd.Process.Pid, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
	return err != nil || info.Signo != 0
}

// terminal names one pseudo-terminal: the devpts instance it lives in
// (Dev) and its device number there (Rdev). The device number alone is
// not enough: the container mounts a devpts instance of its own, whose
// first terminal is 136:0 like the host's first one.
type terminal struct{ Dev, Rdev uint64 }

// terminalOf is the identity of an open terminal.
func terminalOf(t *testing.T, f *os.File) terminal {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	return terminal{st.Dev, st.Rdev}
}

// containerProcesses lists, by host PID, the processes in the PID
// namespace of the runtime's child that has one of its own (the init),
// the init included.
func containerProcesses(runtime int) []int {
	host, _ := os.Readlink("/proc/self/ns/pid")
	children, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", runtime))
	var ns string
	for _, c := range children {
		b, _ := os.ReadFile(c)
		for _, pid := range strings.Fields(string(b)) {
			// A child still in the host's namespace (Go's own helpers)
			// is not the container.
			if l, err := os.Readlink("/proc/" + pid + "/ns/pid"); err == nil && l != host {
				ns = l
			}
		}
	}
	if ns == "" {
		return nil
	}
	var pids []int
	all, _ := filepath.Glob("/proc/[0-9]*/ns/pid")
	for _, p := range all {
		if l, err := os.Readlink(p); err == nil && l == ns {
			pid, _ := strconv.Atoi(strings.Split(p, "/")[2])
			pids = append(pids, pid)
		}
	}
	return pids
}

// initPID returns the host PID of the container's PID 1: the process of
// the container whose last NSpid is 1.
func initPID(runtime int) int {
	for _, pid := range containerProcesses(runtime) {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) > 1 && f[0] == "NSpid:" && f[len(f)-1] == "1" {
				return pid
			}
		}
	}
	return 0
}

// terminalFds lists the descriptors of process pid that are terminal id.
func terminalFds(pid int, id terminal) []string {
	fds, _ := filepath.Glob(fmt.Sprintf("/proc/%d/fd/*", pid))
	var held []string
	for _, fd := range fds {
		var st unix.Stat_t
		if unix.Stat(fd, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFCHR && (terminal{st.Dev, st.Rdev}) == id {
			held = append(held, fd)
		}
	}
	return held
}

// The control: nsprobe on the host, with the stand-in as its terminal,
// does type into it — so the test above would see an attack that worked.
func TestTiocstiWorksOnTheHost(t *testing.T) {
	labtest.NeedRoot(t)
	_, slave := labtest.OpenPTY(t)
	cmd := exec.Command(probe, "tiocsti", typed)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, nil, nil
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if out, err := cmd.Output(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got := labtest.Pending(t, slave); !strings.Contains(got, "pwned") {
		t.Errorf("TIOCSTI on the host typed nothing (%q): the attack tests prove nothing here", got)
	}
}

// An interactive shell behaves as in docker run -it: a prompt, job
// control, Ctrl-C for the foreground job only, the window size followed,
// the exit status passed on, and the terminal sane afterwards.
func TestInteractiveShell(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	term := labtest.StartOnTerminal(t, nil, bin, args(t, "--net=none", "--hostname", "box")...)
	before := labtest.StateOf(t, term.Master)
	at := term.Expect(t, 0, "/ # ")
	if raw := labtest.StateOf(t, term.Master); raw.Termios.Lflag&unix.ICANON != 0 {
		t.Errorf("the host's terminal is not in raw mode while the container runs")
	}

	term.Type(t, "sleep 1000\n")
	at = term.Expect(t, at, "sleep 1000")
	time.Sleep(200 * time.Millisecond)
	term.Type(t, "\x1a") // Ctrl-Z
	at = term.Expect(t, at, "Stopped")
	term.Type(t, "jobs; fg\n")
	at = term.Expect(t, at, "sleep 1000")
	time.Sleep(200 * time.Millisecond)
	term.Type(t, "\x03") // Ctrl-C ends sleep, not the container
	term.Type(t, "echo still-$((40+2)) here\n")
	at = term.Expect(t, at, "still-42 here")

	term.Type(t, "stty size; tty\n")
	at = term.Expect(t, at, "24 80")
	at = term.Expect(t, at, "/dev/pts/0")
	term.Resize(t, 40, 132)
	time.Sleep(200 * time.Millisecond)
	term.Type(t, "stty size\n")
	at = term.Expect(t, at, "40 132")

	term.Type(t, "exit 7\n")
	if status := term.Wait(t); status != 7 {
		t.Errorf("exit status %d, want 7\n%s", status, term.Screen())
	}
	if after := labtest.StateOf(t, term.Master); after.Termios != before.Termios {
		t.Errorf("the terminal's modes changed")
	}
	_ = at
}

// The terminal is given back after every way out: a SIGTERM to the
// runtime (the shell ignores it, the stop timeout ends it), the
// container's PID 1 killed with SIGKILL, and a set-up that fails.
func TestTerminalRestoredOnEveryWayOut(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	for _, c := range []struct {
		name   string
		status int
		end    func(t *testing.T, term *labtest.Terminal)
	}{
		{"SIGTERM to the runtime", 128 + 9, func(t *testing.T, term *labtest.Terminal) {
			_ = term.Cmd.Process.Signal(syscall.SIGTERM)
		}},
		{"SIGKILL to PID 1", 128 + 9, func(t *testing.T, term *labtest.Terminal) {
			pid := initPID(term.Cmd.Process.Pid)
			if pid == 0 {
				t.Fatal("no container")
			}
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			term := labtest.StartOnTerminal(t, nil, bin, args(t, "--net=none", "--stop-timeout", "1")...)
			before := labtest.StateOf(t, term.Master)
			term.Expect(t, 0, "/ # ")
			c.end(t, term)
			if status := term.Wait(t); status != c.status {
				t.Errorf("exit status %d, want %d\n%s", status, c.status, term.Screen())
			}
			if after := labtest.StateOf(t, term.Master); after.Termios != before.Termios {
				t.Errorf("the terminal's modes were not restored")
			}
		})
	}
}
