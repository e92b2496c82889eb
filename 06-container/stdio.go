package main

import (
	"io"
	"os"
	"sync"

	"golang.org/x/sys/unix"

	"nslab/internal/cli"
)

// The container's standard streams. No descriptor of the host's terminal
// may enter the container — not as the command's stdin, stdout or stderr,
// and not as the init's own — so the runtime decides, stream by stream:
//
//   - with -t, the command gets the container's own pseudo-terminal on 0,
//     1 and 2 (tty.go), and the runtime copies between it and its own
//     streams, the host's terminal in raw mode;
//   - without -t, a stream that is a terminal is replaced by a pipe the
//     runtime copies through; a pipe or a file is passed on as it is
//     (neither can type into a terminal);
//   - the init's standard input is /dev/null, and with -i=false the
//     command's is too.
//
// And the command starts a session of its own (pid1.go), so no terminal
// of the runtime's is its controlling terminal either.
type streams struct {
	tty, interactive bool

	// What the init gets: its fds 1 and 2, and fds 5 and 6 (init.go).
	devNull, initOut, initErr *os.File
	cmdIn                     *os.File // without -t
	ttySock                   *os.File // with -t: the init's end of the socket

	ttyPeer   *os.File   // with -t: the runtime's end, where the master arrives
	childEnds []*os.File // the init's ends of the runtime's pipes, closed once it runs
	copies    sync.WaitGroup
	host      *hostTerminal // with -t and a terminal: the host's, as it was
	master    *os.File      // with -t: the container's terminal
}

// newStreams arranges the streams before the init starts.
func newStreams(tty, interactive bool) (*streams, error) {
	s := &streams{tty: tty, interactive: interactive}
	var err error
	if s.devNull, err = os.Open(os.DevNull); err != nil {
		return nil, err
	}
	if s.initOut, err = s.output(os.Stdout); err != nil {
		return nil, err
	}
	if s.initErr, err = s.output(os.Stderr); err != nil {
		return nil, err
	}
	if !tty {
		s.cmdIn, err = s.input()
	}
	return s, err
}

// isTerminal reports whether the descriptor is a terminal.
func isTerminal(fd int) bool {
	_, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	return err == nil
}

// output is what the container gets for one of the runtime's output
// streams: the stream itself, or a pipe copied to it when it is a
// terminal.
func (s *streams) output(to *os.File) (*os.File, error) {
	if !isTerminal(int(to.Fd())) {
		return to, nil
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	s.childEnds = append(s.childEnds, w)
	s.copies.Add(1)
	go func() {
		defer s.copies.Done()
		_, _ = io.Copy(to, r)
		r.Close()
	}()
	return w, nil
}

// input is the command's standard input without -t.
func (s *streams) input() (*os.File, error) {
	if !s.interactive {
		return s.devNull, nil
	}
	if !isTerminal(0) {
		return os.Stdin, nil
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	s.childEnds = append(s.childEnds, r)
	go func() {
		_, _ = io.Copy(w, os.Stdin)
		w.Close() // the end of the input is the command's EOF
	}()
	return r, nil
}

// socket makes the pair of unix sockets the pty's master will cross from
// the init to the runtime.
func (s *streams) socket() error {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	s.ttyPeer, s.ttySock = os.NewFile(uintptr(fds[0]), "tty socket"), os.NewFile(uintptr(fds[1]), "tty socket")
	s.childEnds = append(s.childEnds, s.ttySock)
	return nil
}

// initFiles are the init's fds 3 and up after the spec and the lifeline:
// 5, the command's standard input, and 6, the socket for the terminal.
func (s *streams) initFiles() []*os.File { return []*os.File{s.cmdIn, s.ttySock} }

// started closes the init's ends: the init has its own copies now, and a
// pipe ends only when every copy of its write end is closed.
func (s *streams) started() {
	for _, f := range s.childEnds {
		f.Close()
	}
	s.childEnds = nil
}

// attachTerminal takes the container's terminal from the init and
// attaches it. An init that failed before it sent one has said why on its
// stderr: nothing to do.
func (s *streams) attachTerminal() error {
	master, err := receiveMaster(s.ttyPeer)
	s.ttyPeer.Close()
	if err == errNoTerminal {
		return nil
	}
	if err != nil {
		return err
	}
	return s.attach(master)
}

// attach puts the host's terminal in raw mode and starts copying both
// ways between it and the container's terminal, whose master this is.
func (s *streams) attach(master *os.File) error {
	s.master = master
	if s.host = saveTerminal(0); s.host != nil && s.interactive {
		if err := s.host.makeRaw(); err != nil {
			return cli.Failf("raw mode for the terminal: %w", err)
		}
	}
	s.resize()
	if s.interactive {
		go func() { _, _ = io.Copy(master, os.Stdin) }()
	}
	s.copies.Add(1)
	go func() {
		defer s.copies.Done()
		// When the last program holding the container's terminal ends,
		// reads of the master fail with EIO: the end of the output.
		_, _ = io.Copy(os.Stdout, master)
	}()
	return nil
}

// resize copies the host terminal's window size to the container's; with
// no terminal on the host side, the container's is 80 by 24.
func (s *streams) resize() {
	if s.master == nil {
		return
	}
	for _, fd := range []int{0, 1, 2} {
		if isTerminal(fd) {
			copyWindowSize(fd, s.master)
			return
		}
	}
	_ = unix.IoctlSetWinsize(int(s.master.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 24, Col: 80})
}

// finish waits until the container's output has been copied out.
func (s *streams) finish() {
	s.copies.Wait()
	if s.master != nil {
		s.master.Close()
	}
}

// restore gives the host's terminal back as it was, on every way out.
func (s *streams) restore() error {
	if s.host == nil {
		return nil
	}
	return s.host.restore()
}
