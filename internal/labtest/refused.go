package labtest

import (
	"path/filepath"
	"strings"
	"testing"
)

// Refusal is one bad input to a program and the status it must end with:
// 125 for the program's own refusal, 126 or 127 for a command that cannot
// run.
type Refusal struct {
	Args   []string
	Status int    // as root, and as Nobody unless AsNobody says otherwise
	Nobody int    // the status as Nobody, when it differs (0: the same)
	Argv0  string // run as this argv[0], e.g. "nslab:child" for a stage run by hand
}

// Refused runs each bad input as root and as Nobody, and checks that the
// program refuses the way every nslab program must: the status asked for,
// one line "PROG: ..." on stderr (the program's report may surround it),
// no panic and no Go stack — and nothing left on the host (links, mounts,
// /run/nslab, named namespaces).
func Refused(t *testing.T, bin string, cases []Refusal) {
	t.Helper()
	refused(t, bin, []int{0, Nobody}, cases)
}

// RefusedToNobody is Refused for what root may do and Nobody may not: a
// demonstration that needs root, for example.
func RefusedToNobody(t *testing.T, bin string, cases []Refusal) {
	t.Helper()
	refused(t, bin, []int{Nobody}, cases)
}

func refused(t *testing.T, bin string, uids []int, cases []Refusal) {
	t.Helper()
	NeedRoot(t)
	prog := filepath.Base(bin)
	for _, c := range cases {
		for _, uid := range uids {
			c, uid := c, uid
			name := strings.Join(append([]string{c.Argv0}, c.Args...), " ")
			t.Run(strings.TrimSpace(name)+map[int]string{0: " as root", Nobody: " as nobody"}[uid], func(t *testing.T) {
				NoTrace(t)
				r := runRefusal(t, uid, bin, c)
				want := c.Status
				if uid == Nobody && c.Nobody != 0 {
					want = c.Nobody
				}
				if r.Code != want {
					t.Fatalf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", r.Code, want, r.Stdout, r.Stderr)
				}
				if strings.Contains(r.Output(), "panic") || strings.Contains(r.Output(), "goroutine ") {
					t.Fatalf("a Go panic:\n%s", r.Output())
				}
				lines := Lines(r.Stderr)
				n := 0
				for _, l := range lines {
					if strings.HasPrefix(l, prog+":") {
						n++
					}
				}
				if n != 1 {
					t.Fatalf("want one line \"%s: ...\" on stderr; got:\n%s", prog, r.Stderr)
				}
			})
		}
	}
}

// runRefusal runs one case. A stage started by hand as root runs inside
// scratch namespaces of its own (UTS, IPC, network, mount, PID): the
// program must refuse on its own, but should that check ever break, the
// hostname it sets or the mounts it makes stay there and not on this
// machine.
func runRefusal(t *testing.T, uid int, bin string, c Refusal) Result {
	t.Helper()
	if c.Argv0 == "" || uid != 0 {
		return RunOpts(t, Opts{UID: uid, Argv0: c.Argv0}, bin, c.Args...)
	}
	wrap := []string{"--uts", "--ipc", "--net", "--mount", "--propagation", "private", "--pid", "--fork", "--",
		"bash", "-c", `exec -a "$0" "$@"`, c.Argv0, bin}
	return Run(t, "unshare", append(wrap, c.Args...)...)
}
