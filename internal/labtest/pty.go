package labtest

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// OpenPTY allocates a pseudo-terminal pair of the host's devpts, for a
// test that plays a person at a terminal: the master is the keyboard and
// the screen, the slave is the terminal a program is given. Both are
// closed when the test ends.
func OpenPTY(t testing.TB) (master, slave *os.File) {
	t.Helper()
	m, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.IoctlSetPointerInt(m, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	s, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(m), unix.TIOCGPTPEER, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC)
	if errno != 0 {
		t.Fatal(errno)
	}
	master, slave = os.NewFile(uintptr(m), "pty master"), os.NewFile(s, "pty slave")
	t.Cleanup(func() { master.Close(); slave.Close() })
	if err := unix.IoctlSetWinsize(int(s), unix.TIOCSWINSZ, &unix.Winsize{Row: 24, Col: 80}); err != nil {
		t.Fatal(err)
	}
	return master, slave
}

// TerminalState is what a program may change on a terminal and must give
// back: its modes (termios) and the file status flags of its open file
// description (O_NONBLOCK...).
type TerminalState struct {
	Termios unix.Termios
	Flags   int
}

// StateOf reads a terminal's state.
func StateOf(t testing.TB, tty *os.File) TerminalState {
	t.Helper()
	tio, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	flags, err := unix.FcntlInt(tty.Fd(), unix.F_GETFL, 0)
	if err != nil {
		t.Fatal(err)
	}
	return TerminalState{Termios: *tio, Flags: flags}
}

// Pending reads what waits in a terminal's input queue — what a shell
// reading the terminal would get next — without waiting for more. It
// reads in raw mode (a canonical read waits for a whole line), then puts
// the terminal's modes back.
func Pending(t testing.TB, slave *os.File) string {
	t.Helper()
	fd := int(slave.Fd())
	saved, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	raw := *saved
	raw.Lflag &^= unix.ICANON | unix.ECHO
	raw.Cc[unix.VMIN], raw.Cc[unix.VTIME] = 0, 0
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &raw); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = unix.IoctlSetTermios(fd, unix.TCSETS, saved) }()
	var b bytes.Buffer
	buf := make([]byte, 4096)
	for {
		n, err := unix.Read(fd, buf)
		if err != nil || n <= 0 {
			return b.String()
		}
		b.Write(buf[:n])
	}
}

// Terminal is a program running on a pseudo-terminal the test owns, as
// its controlling terminal: what a person at a shell sees and types.
type Terminal struct {
	Master *os.File
	Cmd    *exec.Cmd

	mu     sync.Mutex
	screen strings.Builder // everything the program wrote, as it came
	done   chan struct{}   // closed when the output ended
}

// StartOnTerminal starts a command in a session of its own whose
// controlling terminal is a new pseudo-terminal, on its fds 0, 1 and 2.
func StartOnTerminal(t testing.TB, env []string, name string, args ...string) *Terminal {
	t.Helper()
	master, slave := OpenPTY(t)
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close() // the program has it; the master sees the end when it exits
	term := &Terminal{Master: master, Cmd: cmd, done: make(chan struct{})}
	go term.read()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return term
}

// read collects the screen until the slave's last holder is gone (EIO).
func (term *Terminal) read() {
	defer close(term.done)
	buf := make([]byte, 4096)
	for {
		n, err := term.Master.Read(buf)
		term.mu.Lock()
		term.screen.Write(buf[:n])
		term.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// Screen returns everything written so far.
func (term *Terminal) Screen() string {
	term.mu.Lock()
	defer term.mu.Unlock()
	return term.screen.String()
}

// Type sends keys, as a person types them.
func (term *Terminal) Type(t testing.TB, keys string) {
	t.Helper()
	if _, err := term.Master.WriteString(keys); err != nil {
		t.Fatal(err)
	}
}

// Expect waits up to ten seconds for text to appear on the screen after
// the first `after` bytes, and returns the screen's length after it.
func (term *Terminal) Expect(t testing.TB, after int, text string) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		s := term.Screen()
		if after <= len(s) {
			if i := strings.Index(s[after:], text); i >= 0 {
				return after + i + len(text)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%q did not appear on the screen; it shows:\n%s", text, term.Screen())
	return 0
}

// Resize changes the terminal's size, as a person resizing the window:
// the kernel sends SIGWINCH to the terminal's foreground process group.
func (term *Terminal) Resize(t testing.TB, rows, cols uint16) {
	t.Helper()
	if err := unix.IoctlSetWinsize(int(term.Master.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: rows, Col: cols}); err != nil {
		t.Fatal(err)
	}
}

// Wait waits for the program to exit and its output to end, and returns
// its status, failing after a minute.
func (term *Terminal) Wait(t testing.TB) int {
	t.Helper()
	exited := make(chan error, 1)
	go func() { exited <- term.Cmd.Wait() }()
	select {
	case <-exited:
	case <-time.After(time.Minute):
		t.Fatalf("still running after a minute:\n%s", term.Screen())
	}
	select {
	case <-term.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("the terminal's output did not end:\n%s", term.Screen())
	}
	ws := term.Cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}
