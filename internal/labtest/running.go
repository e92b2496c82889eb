package labtest

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Running is a command started in the background, whose output a test
// reads line by line while it runs: to wait for a step, then signal it.
type Running struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines *bufio.Reader
	mu    sync.Mutex
	out   bytes.Buffer // everything read so far, stdout and stderr together
	done  chan struct{}
	ws    syscall.WaitStatus
}

// Start starts a command with its stdout and stderr on one pipe.
func Start(t testing.TB, name string, args ...string) *Running {
	t.Helper()
	cmd := Command(Opts{}, name, args...)
	cmd.Stdin = nil
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &Running{cmd: cmd, stdin: stdin, done: make(chan struct{})}
	r.lines = bufio.NewReader(io.TeeReader(pr, lockedWriter{r}))
	go func() {
		cmd.Wait()
		r.ws, _ = cmd.ProcessState.Sys().(syscall.WaitStatus)
		pw.Close()
		close(r.done)
	}()
	t.Cleanup(func() {
		select {
		case <-r.done:
		default:
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-r.done
		}
	})
	return r
}

type lockedWriter struct{ r *Running }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.r.mu.Lock()
	defer w.r.mu.Unlock()
	return w.r.out.Write(p)
}

// ReadLine returns the next line of output, failing after ten seconds.
func (r *Running) ReadLine() (string, error) {
	type result struct {
		line string
		err  error
	}
	c := make(chan result, 1)
	go func() {
		line, err := r.lines.ReadString('\n')
		c <- result{strings.TrimSuffix(line, "\n"), err}
	}()
	select {
	case res := <-c:
		return res.line, res.err
	case <-time.After(10 * time.Second):
		return "", errors.New("no output for ten seconds")
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

// Enter writes an empty line to the command's standard input.
func (r *Running) Enter() { io.WriteString(r.stdin, "\n") }

// Close closes the command's standard input.
func (r *Running) Close() { r.stdin.Close() }

// Wait reads the rest of the output up to its end, waits for the command
// and returns its result, failing the test after a minute.
func (r *Running) Wait(t testing.TB) Result {
	t.Helper()
	drained := make(chan struct{})
	go func() {
		io.Copy(io.Discard, r.lines)
		close(drained)
	}()
	select {
	case <-drained:
	case <-time.After(time.Minute):
		t.Fatalf("still running after a minute:\n%s", r.Output())
	}
	<-r.done
	code := r.ws.ExitStatus()
	if r.ws.Signaled() {
		code = 128 + int(r.ws.Signal())
	}
	return Result{Stdout: r.Output(), Code: code}
}
