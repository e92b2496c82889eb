package labtest

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Running is a command started in the background, whose output a test
// reads line by line while it runs: to wait for a step, then signal it.
// A goroutine reads the output as it comes, so the command never blocks
// on a full pipe, whether or not the test reads.
type Running struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser

	mu     sync.Mutex
	out    strings.Builder // everything so far, stdout and stderr together
	lines  []string        // lines not yet returned by ReadLine
	eof    bool            // the output ended
	change chan struct{}   // closed and replaced whenever lines or eof change

	done chan struct{} // closed when the command has exited
	ws   syscall.WaitStatus
}

// Start starts a command with its stdout and stderr on one pipe.
func Start(t testing.TB, name string, args ...string) *Running {
	t.Helper()
	return StartOpts(t, Opts{}, name, args...)
}

// StartOpts is Start with options (Stdin is not used: the test writes).
func StartOpts(t testing.TB, o Opts, name string, args ...string) *Running {
	t.Helper()
	cmd := Command(o, name, args...)
	cmd.Stdin = nil
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close() // the command holds its own copy
	r := &Running{cmd: cmd, stdin: stdin, change: make(chan struct{}), done: make(chan struct{})}
	go r.read(pr)
	go func() {
		cmd.Wait()
		r.ws, _ = cmd.ProcessState.Sys().(syscall.WaitStatus)
		close(r.done)
	}()
	t.Cleanup(func() {
		stdin.Close()
		select {
		case <-r.done:
		default:
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-r.done
		}
	})
	return r
}

// read collects the output until every writer has closed the pipe.
func (r *Running) read(pr *os.File) {
	defer pr.Close()
	sc := bufio.NewScanner(pr)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		r.mu.Lock()
		r.out.WriteString(sc.Text() + "\n")
		r.lines = append(r.lines, sc.Text())
		r.signal()
		r.mu.Unlock()
	}
	r.mu.Lock()
	r.eof = true
	r.signal()
	r.mu.Unlock()
}

// signal wakes whoever waits for output; r.mu is held.
func (r *Running) signal() {
	close(r.change)
	r.change = make(chan struct{})
}

// ReadLine returns the next line of output, failing after ten seconds
// without one.
func (r *Running) ReadLine() (string, error) {
	deadline := time.After(10 * time.Second)
	for {
		r.mu.Lock()
		if len(r.lines) > 0 {
			line := r.lines[0]
			r.lines = r.lines[1:]
			r.mu.Unlock()
			return line, nil
		}
		if r.eof {
			r.mu.Unlock()
			return "", io.EOF
		}
		change := r.change
		r.mu.Unlock()
		select {
		case <-change:
		case <-deadline:
			return "", errors.New("no output for ten seconds")
		}
	}
}

// Output returns everything read so far.
func (r *Running) Output() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.out.String()
}

// Signal sends a signal to the command (not to its process group: the
// way kill(1) would).
func (r *Running) Signal(sig syscall.Signal) { r.cmd.Process.Signal(sig) }

// Pid is the command's process id.
func (r *Running) Pid() int { return r.cmd.Process.Pid }

// Enter writes an empty line to the command's standard input.
func (r *Running) Enter() { r.Send("") }

// Send writes a line to the command's standard input.
func (r *Running) Send(line string) { io.WriteString(r.stdin, line+"\n") }

// Close closes the command's standard input.
func (r *Running) Close() { r.stdin.Close() }

// Wait waits for the command to exit and its output to end, and returns
// its result, failing the test after a minute.
func (r *Running) Wait(t testing.TB) Result {
	t.Helper()
	timeout := time.After(time.Minute)
	select {
	case <-r.done:
	case <-timeout:
		t.Fatalf("still running after a minute:\n%s", r.Output())
	}
	for {
		r.mu.Lock()
		eof, change := r.eof, r.change
		r.mu.Unlock()
		if eof {
			break
		}
		select {
		case <-change:
		case <-timeout:
			t.Fatalf("output still open after a minute (a child kept it?):\n%s", r.Output())
		}
	}
	code := r.ws.ExitStatus()
	if r.ws.Signaled() {
		code = 128 + int(r.ws.Signal())
	}
	return Result{Stdout: r.Output(), Code: code}
}
