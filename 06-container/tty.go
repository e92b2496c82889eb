package main

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"nslab/internal/explain"
)

// A terminal of the container's own (-t). The host's terminal must never
// reach a container: a program holding a descriptor of it can type into
// it with ioctl(TIOCSTI) — commands that the shell which started the
// container runs when it gets the terminal back, as root under sudo — or
// reconfigure it with a dozen other ioctls. So the command gets a
// pseudo-terminal from the container's own devpts instance, and the
// runtime copies between the two.
//
// A pseudo-terminal is a pair: the master, which a terminal emulator (here
// the runtime) reads and writes, and the slave, /dev/pts/N, which the
// program sees as its terminal. The init opens /dev/ptmx — the container's
// own, from its devpts instance (mount option newinstance) — which
// allocates a pair and returns the master; TIOCGPTPEER opens the slave from
// the master without a path (Linux 4.13). The master goes to the runtime
// over a unix socket (SCM_RIGHTS passes a descriptor between processes);
// the slave becomes the command's standard streams and its controlling
// terminal (pid1.go).

// openTerminal allocates the container's pseudo-terminal, sends its master
// to the runtime over sock and returns the slave's descriptor.
func openTerminal(sock int, log *explain.Log) (int, error) {
	log.Step(`open("/dev/ptmx"); ioctl(master, TIOCSPTLCK, 0); ioctl(master, TIOCGPTPEER)`, "")
	master, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("open /dev/ptmx: %w", err)
	}
	defer unix.Close(master)
	// unlockpt(3): a new pair is locked until its master says otherwise.
	if err := unix.IoctlSetPointerInt(master, unix.TIOCSPTLCK, 0); err != nil {
		return -1, fmt.Errorf("unlock the pty: %w", err)
	}
	slave, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(master), unix.TIOCGPTPEER, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC)
	if errno != 0 {
		return -1, fmt.Errorf("open the pty's slave (TIOCGPTPEER): %w", errno)
	}
	log.Step("sendmsg(socket, SCM_RIGHTS [master])", "")
	if err := unix.Sendmsg(sock, []byte{'m'}, unix.UnixRights(master), nil, 0); err != nil {
		unix.Close(int(slave))
		return -1, fmt.Errorf("handing the terminal to the runtime: %w", err)
	}
	unix.Close(sock)
	return int(slave), nil
}

// receiveMaster waits for the master the init sends. An init that fails
// before sending closes its end: that is io.EOF here, and the init's own
// message says why.
func receiveMaster(sock *os.File) (*os.File, error) {
	oob := make([]byte, unix.CmsgSpace(4))
	n, oobn, _, _, err := unix.Recvmsg(int(sock.Fd()), make([]byte, 1), oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("receiving the terminal: %w", err)
	}
	if n == 0 {
		return nil, errNoTerminal
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return nil, fmt.Errorf("receiving the terminal: no descriptor in the message")
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return nil, fmt.Errorf("receiving the terminal: %d descriptors, want 1", len(fds))
	}
	return os.NewFile(uintptr(fds[0]), "pty master"), nil
}

// errNoTerminal: the init ended before it sent a terminal.
var errNoTerminal = errors.New("the init sent no terminal")

// hostTerminal is a terminal of the runtime's, as it was before the
// runtime changed it: its modes (termios) and its file status flags.
type hostTerminal struct {
	fd      int
	termios *unix.Termios
	flags   int
}

// saveTerminal records the state of fd, or returns nil when fd is not a
// terminal.
func saveTerminal(fd int) *hostTerminal {
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return nil
	}
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		return nil
	}
	return &hostTerminal{fd: fd, termios: t, flags: flags}
}

// makeRaw puts the terminal in raw mode, as cfmakeraw(3) does: no echo,
// no line editing, no signals from Ctrl-C or Ctrl-Z, no output
// processing. Every byte then goes to the container's terminal, whose own
// line discipline does all of that for the programs inside: Ctrl-C ends
// the command in the foreground there, not the runtime here.
func (h *hostTerminal) makeRaw() error {
	raw := *h.termios
	raw.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	raw.Oflag &^= unix.OPOST
	raw.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	raw.Cflag &^= unix.CSIZE | unix.PARENB
	raw.Cflag |= unix.CS8
	raw.Cc[unix.VMIN], raw.Cc[unix.VTIME] = 1, 0
	return unix.IoctlSetTermios(h.fd, unix.TCSETS, &raw)
}

// restore puts the terminal's modes and file status flags back.
func (h *hostTerminal) restore() error {
	if err := unix.IoctlSetTermios(h.fd, unix.TCSETS, h.termios); err != nil {
		return fmt.Errorf("restoring the terminal's modes: %w", err)
	}
	if _, err := unix.FcntlInt(uintptr(h.fd), unix.F_SETFL, h.flags); err != nil {
		return fmt.Errorf("restoring the terminal's file status flags: %w", err)
	}
	return nil
}

// copyWindowSize gives the container's terminal the size of the host's:
// at the start, and at every SIGWINCH. The kernel then sends SIGWINCH to
// the container's foreground programs, and vi or top redraw.
func copyWindowSize(from int, master *os.File) {
	ws, err := unix.IoctlGetWinsize(from, unix.TIOCGWINSZ)
	if err != nil {
		return
	}
	_ = unix.IoctlSetWinsize(int(master.Fd()), unix.TIOCSWINSZ, ws)
}
