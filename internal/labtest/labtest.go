// Package labtest is what the chapters' tests share: build a chapter's
// binary, run it (as root or as another uid) and look at the host from
// outside to prove that nothing was left behind.
//
// Tests that need root skip when not run as root; as root, nothing skips.
package labtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Nobody is the uid (and gid) that stands for an unprivileged learner.
const Nobody = 65534

// NeedRoot skips the test when it does not run as root.
func NeedRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: run `sudo make test`")
	}
}

// BuildDir is the directory Main builds into: readable by every uid, and
// removed when the tests end, so a test may put more there (a rootfs).
var BuildDir string

// Main builds the packages named by the keys of builds (directories
// relative to the test's package, "." for the chapter itself), stores each
// binary's path in the matching string, runs the tests, removes the
// binaries and returns the status for TestMain to exit with:
//
//	func TestMain(m *testing.M) { os.Exit(labtest.Main(m, ...)) }
//
// Binaries are built static and readable by every uid, so a test can run
// them as Nobody. The whole run holds the host lock (LockHost): packages
// whose tests look at the whole host take turns, even under
// `go test ./...`, which runs packages in parallel.
func Main(m *testing.M, builds map[string]*string) int {
	if fuzzing() {
		return m.Run()
	}
	unlock, err := LockHost()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer unlock()
	dir, err := os.MkdirTemp("", "nslab-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	BuildDir = dir
	for pkg, path := range builds {
		bin, err := Build(pkg, dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		*path = bin
	}
	return m.Run()
}

// fuzzing reports whether this process runs a fuzz target, as the
// coordinator or as one of its workers. Fuzz targets never need the
// chapters' binaries nor the host, and the workers are test processes of
// their own: waiting for the lock their coordinator holds would never end.
func fuzzing() bool {
	for _, a := range os.Args[1:] {
		if a == "-test.fuzzworker" || strings.HasPrefix(a, "-test.fuzz=") && a != "-test.fuzz=" {
			return true
		}
	}
	return false
}

// Prebuilt names a directory of binaries built beforehand, one per main
// package, named after its directory: where Go is not installed — the VM
// lane's guest (scripts/vm) — Build takes them from there.
const Prebuilt = "NSLAB_PREBUILT"

// Build compiles the main package in pkgDir into dir and returns the
// binary's path.
func Build(pkgDir, dir string) (string, error) {
	abs, err := filepath.Abs(pkgDir)
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, filepath.Base(abs))
	if pre := os.Getenv(Prebuilt); pre != "" {
		return out, copyFile(filepath.Join(pre, filepath.Base(abs)), out)
	}
	cmd := exec.Command("go", "build", "-o", out, ".")
	cmd.Dir = abs
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", pkgDir, err, msg)
	}
	return out, nil
}

// copyFile copies a prebuilt binary, executable by every uid.
func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return fmt.Errorf("%s=%s: %w", Prebuilt, filepath.Dir(from), err)
	}
	return os.WriteFile(to, b, 0o755)
}

// Result is what a finished command printed and its exit status.
type Result struct {
	Stdout string
	Stderr string
	Code   int
}

// Opts adjusts how Run starts a command.
type Opts struct {
	UID     int           // run as this uid and gid; 0 keeps root
	Stdin   string        // fed to standard input
	Env     []string      // extra environment variables
	Timeout time.Duration // default one minute
	Argv0   string        // argv[0], when it should not be the path
}

// Run runs a command to completion and returns its output and status.
func Run(t testing.TB, name string, args ...string) Result {
	t.Helper()
	return RunOpts(t, Opts{}, name, args...)
}

// RunAs runs a command as the given uid (and the same gid), with no
// supplementary groups.
func RunAs(t testing.TB, uid int, name string, args ...string) Result {
	t.Helper()
	return RunOpts(t, Opts{UID: uid}, name, args...)
}

// RunOpts runs a command with options. A command still running after the
// timeout is killed with its whole process group and fails the test.
func RunOpts(t testing.TB, o Opts, name string, args ...string) Result {
	t.Helper()
	if o.Timeout == 0 {
		o.Timeout = time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.Timeout)
	defer cancel()
	cmd := Command(o, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		t.Fatalf("%s %s: still running after %v\nstdout:\n%s\nstderr:\n%s",
			name, strings.Join(args, " "), o.Timeout, stdout.String(), stderr.String())
	}
	r := Result{Stdout: stdout.String(), Stderr: stderr.String()}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		ws := exitErr.Sys().(syscall.WaitStatus)
		r.Code = ws.ExitStatus()
		if ws.Signaled() {
			r.Code = 128 + int(ws.Signal())
		}
	default:
		t.Fatalf("%s: %v", name, err)
	}
	return r
}

// Command prepares a command in its own process group, so that a test can
// signal or kill it together with everything it started.
func Command(o Opts, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	if o.Argv0 != "" {
		cmd.Args[0] = o.Argv0
	}
	cmd.Env = append(os.Environ(), o.Env...)
	cmd.Stdin = strings.NewReader(o.Stdin)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if o.UID != 0 {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(o.UID), Gid: uint32(o.UID)}
		cmd.Dir = "/"
	}
	return cmd
}

// Want fails the test unless the command ended with the given status.
func (r Result) Want(t testing.TB, code int) Result {
	t.Helper()
	if r.Code != code {
		t.Fatalf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", r.Code, code, r.Stdout, r.Stderr)
	}
	return r
}

// Output is stdout and stderr together, for messages that may be on either.
func (r Result) Output() string { return r.Stdout + r.Stderr }

// Contains fails the test unless the output contains every string.
func (r Result) Contains(t testing.TB, wants ...string) Result {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(r.Output(), w) {
			t.Fatalf("output lacks %q\nstdout:\n%s\nstderr:\n%s", w, r.Stdout, r.Stderr)
		}
	}
	return r
}

// Matches fails the test unless the output matches every regular
// expression.
func (r Result) Matches(t testing.TB, patterns ...string) Result {
	t.Helper()
	for _, p := range patterns {
		if !regexp.MustCompile(p).MatchString(r.Output()) {
			t.Fatalf("output does not match %q\nstdout:\n%s\nstderr:\n%s", p, r.Stdout, r.Stderr)
		}
	}
	return r
}

// Lines splits output into lines, without the trailing empty one.
func Lines(s string) []string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// SharedDir returns a new directory that every uid may write to (mode
// 1777, like /tmp), removed when the test ends. t.TempDir is not enough:
// its parent is closed to other uids.
func SharedDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "nslab-shared-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o1777); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Rootfs builds a busybox root filesystem in a new directory below dir
// with scripts/mkrootfs.sh, adds the given extra binaries to
// /usr/local/bin, and returns its path.
func Rootfs(dir string, extra ...string) (string, error) {
	script, err := filepath.Abs(filepath.Join(moduleRoot(), "scripts", "mkrootfs.sh"))
	if err != nil {
		return "", err
	}
	rootfs := filepath.Join(dir, "rootfs")
	if out, err := exec.Command(script, rootfs).CombinedOutput(); err != nil {
		return "", fmt.Errorf("mkrootfs: %v\n%s", err, out)
	}
	bin := filepath.Join(rootfs, "usr", "local", "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return "", err
	}
	for _, e := range extra {
		b, err := os.ReadFile(e)
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(bin, filepath.Base(e)), b, 0o755); err != nil {
			return "", err
		}
	}
	return rootfs, nil
}

// moduleRoot finds the directory of go.mod above the working directory.
func moduleRoot() string {
	dir, _ := os.Getwd()
	for d := dir; d != "/"; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
	}
	return dir
}

// Sleep waits for ms milliseconds, for tests that poll.
func Sleep(ms int) { time.Sleep(time.Duration(ms) * time.Millisecond) }
