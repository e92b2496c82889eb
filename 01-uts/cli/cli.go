// Package cli holds the conventions that every nslab program follows:
// GNU-style flags with a two-line --help, one-line error messages prefixed
// with the program's name, and the exit statuses that docker run made
// familiar (125 for our own errors, 126 and 127 for a command that cannot
// run or cannot be found, 128+N when the command was killed by signal N).
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

// Error is an error that knows the exit status it should end the program with.
type Error struct {
	Code int
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

// Failf returns an Error with status 125, the status for the program's own
// failures. The message should say what failed and what to do about it.
func Failf(format string, args ...interface{}) *Error {
	return &Error{Code: ExitSetup, Msg: fmt.Sprintf(format, args...)}
}

// Errorf returns an Error with the given exit status.
func Errorf(code int, format string, args ...interface{}) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// CodeOf returns the exit status that err asks for: its own for an *Error,
// 125 for anything else.
func CodeOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ExitSetup
}

// Exit prints err as one line, "prog: message", and ends the program with
// the status err asks for; a nil err ends it with status 0.
func Exit(prog string, err error) {
	if err == nil {
		os.Exit(0)
	}
	fmt.Fprintf(os.Stderr, "%s: %s\n", prog, err)
	os.Exit(CodeOf(err))
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
func New(name, usage, summary string) *Program {
	p := &Program{Name: name, Usage: usage, Summary: summary}
	p.Flags = pflag.NewFlagSet(name, pflag.ContinueOnError)
	// Stop at the first word that is not a flag, so that in
	// "01-uts hostname -f" the -f belongs to hostname, as with unshare(1).
	p.Flags.SetInterspersed(false)
	p.Flags.SortFlags = false
	p.Flags.Usage = func() {}
	return p
}

// Parse adds the shared flags after the chapter's own, parses args (without
// the program name) and returns the command words after the flags. It
// prints --help and exits 0, and ends the program with status 125 on a bad
// flag.
func (p *Program) Parse(args []string) []string {
	p.Flags.BoolVarP(&p.Verbose, "verbose", "v", false, "explain mode: print each kernel step and its shell equivalent")
	p.Flags.BoolVar(&p.Check, "check", false, "check that this kernel and distro allow what the chapter needs, then exit")
	p.Flags.BoolVarP(&p.help, "help", "h", false, "show this help")
	if err := p.Flags.Parse(args); err != nil {
		Exit(p.Name, Failf("%v — see %s --help", err, p.Name))
	}
	if p.help {
		p.PrintHelp()
		os.Exit(0)
	}
	return p.Flags.Args()
}

// PrintHelp writes the usage line, the chapter summary and the flags.
func (p *Program) PrintHelp() {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: %s\n\n%s\n\nFlags:\n", p.Usage, strings.TrimSpace(p.Summary))
	b.WriteString(p.Flags.FlagUsages())
	os.Stdout.WriteString(b.String())
}
