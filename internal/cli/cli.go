// Package cli holds the conventions that every nslab program follows:
// GNU-style flags with a two-line --help, one-line error messages prefixed
// with the program's name, and the exit statuses that docker run made
// familiar (125 for our own errors, 126 and 127 for a command that cannot
// run or cannot be found, 128+N when the command was killed by signal N).
//
// It is also the program's only way out. Everything else returns an
// error, wrapped with %w on the way up so that errors.Is and errors.As
// still see the cause; main hands it to Exit, which prints one line and
// picks the status. Deferred clean-up therefore runs on every path.
package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"
)

// Exit statuses of the program itself. Everything else is the status of
// the command it ran.
const (
	ExitSetup      = 125 // the program failed before or around the command
	ExitCannotRun  = 126 // the command exists but cannot be executed
	ExitNotFound   = 127 // the command does not exist
	ExitSignalBase = 128 // 128+N: the command was killed by signal N
)

// Error is an error that knows the exit status it should end the program
// with. It wraps its cause.
type Error struct {
	Code int
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }

// Unwrap gives errors.Is and errors.As the cause.
func (e *Error) Unwrap() error { return e.Err }

// Failf returns an error with status 125, the status for the program's own
// failures. It formats like fmt.Errorf, so %w keeps the cause. The message
// should say what failed and what to do about it.
func Failf(format string, args ...interface{}) error {
	return &Error{Code: ExitSetup, Err: fmt.Errorf(format, args...)}
}

// Errorf returns an error with the given exit status, formatted like
// fmt.Errorf.
func Errorf(code int, format string, args ...interface{}) error {
	return &Error{Code: code, Err: fmt.Errorf(format, args...)}
}

// ExitStatus is not a failure: the program is done and ends with this
// status, printing nothing — the status of the command it ran, or 0 after
// --help.
type ExitStatus int

func (s ExitStatus) Error() string { return fmt.Sprintf("exit status %d", int(s)) }

// Exited returns the error that ends the program with a command's status:
// nil for 0, an ExitStatus otherwise.
func Exited(status int) error {
	if status == 0 {
		return nil
	}
	return ExitStatus(status)
}

// CodeOf returns the exit status that err asks for: an ExitStatus's own,
// an *Error's code, and 125 for anything else.
func CodeOf(err error) int {
	var s ExitStatus
	if errors.As(err, &s) {
		return int(s)
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ExitSetup
}

// name is the program's name, for the lines Warnf prints.
var name = "nslab"

// Exit ends the program: status 0 for a nil err, the status an ExitStatus
// carries, and otherwise one line, "prog: message", with the status err
// asks for. Only main calls it.
func Exit(prog string, err error) {
	var s ExitStatus
	switch {
	case err == nil:
		os.Exit(0)
	case errors.As(err, &s):
		os.Exit(int(s))
	}
	fmt.Fprintf(os.Stderr, "%s: %s\n", prog, err)
	os.Exit(CodeOf(err))
}

// Warnf prints one line, "prog: message", for something the learner must
// know that does not end the program.
func Warnf(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "%s: %s\n", name, fmt.Sprintf(format, args...))
}

// Cleanup runs one clean-up step, for a defer. A step that fails is never
// dropped silently: it becomes the program's error when there is none yet
// (so a mount left behind makes the status non-zero), and is printed as
// one line when another error or a command's status is already on its way
// out.
//
//	defer cli.Cleanup(&err, "unmount the scratch tmpfs", func() error { ... })
func Cleanup(err *error, what string, step func() error) {
	cerr := step()
	if cerr == nil {
		return
	}
	cerr = fmt.Errorf("cleanup: %s: %w", what, cerr)
	if *err == nil {
		*err = cerr
		return
	}
	Warnf("%v", cerr)
}

// Program describes one chapter's command line: its name, a usage line,
// two lines about the chapter, and its flags. Every program has -v/--verbose
// (explain mode), --check (the environment doctor) and -h/--help.
type Program struct {
	Name    string
	Usage   string
	Summary string
	Flags   *pflag.FlagSet
	Verbose bool
	Check   bool
	help    bool
}

// New creates a Program with the flags every chapter shares.
func New(prog, usage, summary string) *Program {
	name = prog
	p := &Program{Name: prog, Usage: usage, Summary: summary}
	p.Flags = pflag.NewFlagSet(prog, pflag.ContinueOnError)
	// Stop at the first word that is not a flag, so that in
	// "01-uts hostname -f" the -f belongs to hostname, as with unshare(1).
	p.Flags.SetInterspersed(false)
	p.Flags.SortFlags = false
	p.Flags.Usage = func() {}
	return p
}

// Parse adds the shared flags after the chapter's own, parses args (without
// the program name) and returns the command words after the flags. After
// --help it prints the help and returns ExitStatus(0); a bad flag is an
// error with status 125.
func (p *Program) Parse(args []string) ([]string, error) {
	p.Flags.BoolVarP(&p.Verbose, "verbose", "v", false, "explain mode: print each kernel step and its shell equivalent")
	p.Flags.BoolVar(&p.Check, "check", false, "check that this kernel and distro allow what the chapter needs, then exit")
	p.Flags.BoolVarP(&p.help, "help", "h", false, "show this help")
	if err := p.Flags.Parse(args); err != nil {
		return nil, Failf("%v — see %s --help", err, p.Name)
	}
	if p.help {
		p.PrintHelp()
		return nil, ExitStatus(0)
	}
	return p.Flags.Args(), nil
}

// PrintHelp writes the usage line, the chapter summary and the flags.
func (p *Program) PrintHelp() {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: %s\n\n%s\n\nFlags:\n", p.Usage, strings.TrimSpace(p.Summary))
	b.WriteString(p.Flags.FlagUsages())
	os.Stdout.WriteString(b.String())
}
