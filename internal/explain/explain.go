// Package explain is the workbook's explain mode (-v/--verbose). Each
// kernel-level step is printed as it happens, the way `set -x` prints
// shell commands: first the system call with its flags spelled out, then
// the shell command that does the same thing, so the Go code and the shell
// demos in the docs can be read side by side. With -v, 01-uts prints:
//
//	# [child] this process was born in a new UTS namespace, ...
//	+ [child] sethostname("lab")
//	  $ hostname lab
package explain

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// Log prints steps when On is true and stays silent otherwise.
type Log struct {
	On  bool
	Who string    // "parent", "child", "init": which process took the step
	W   io.Writer // where to print; os.Stderr when nil
}

// New returns a Log for the process named who.
func New(on bool, who string) *Log {
	return &Log{On: on, Who: who}
}

// Step prints one kernel-level step and, when shell is not empty, the shell
// command that does the same.
func (l *Log) Step(call, shell string) {
	if l == nil || !l.On {
		return
	}
	w := l.writer()
	fmt.Fprintf(w, "+ [%s] %s\n", l.Who, call)
	if shell != "" {
		fmt.Fprintf(w, "  $ %s\n", shell)
	}
}

// Stepf is Step with a formatted system call and no shell twin.
func (l *Log) Stepf(format string, args ...interface{}) {
	l.Step(fmt.Sprintf(format, args...), "")
}

// Note prints a line of commentary: why the next step is needed.
func (l *Log) Note(format string, args ...interface{}) {
	if l == nil || !l.On {
		return
	}
	fmt.Fprintf(l.writer(), "# [%s] %s\n", l.Who, fmt.Sprintf(format, args...))
}

// Enabled reports whether the log prints, for steps that cost something
// to describe (a dump of the kernel's tables).
func (l *Log) Enabled() bool { return l != nil && l.On }

func (l *Log) writer() io.Writer {
	if l.W != nil {
		return l.W
	}
	return os.Stderr
}

// Command joins a command line for a shell twin, quoting the words that a
// shell would split or expand.
func Command(words ...string) string {
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = quote(w)
	}
	return strings.Join(quoted, " ")
}

func quote(w string) string {
	if w != "" && strings.IndexFunc(w, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,+@%", r))
	}) < 0 {
		return w
	}
	return "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
}
