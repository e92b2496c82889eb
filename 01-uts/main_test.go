package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"nslab/internal/labtest"
	"nslab/internal/nsinfo"
)

var bin string

func TestMain(m *testing.M) { os.Exit(labtest.Main(m, map[string]*string{".": &bin})) }

func hostname(t *testing.T) string {
	t.Helper()
	h, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestHostnameInsideHostUnchanged(t *testing.T) {
	labtest.NeedRoot(t)
	before := hostname(t)
	r := labtest.Run(t, bin, "--hostname", "lab", "--", "hostname").Want(t, 0)
	if got := strings.TrimSpace(r.Stdout); got != "lab" {
		t.Errorf("hostname inside = %q, want lab", got)
	}
	if after := hostname(t); after != before {
		t.Errorf("host hostname changed from %q to %q", before, after)
	}
	r.Contains(t, "(unchanged)")
}

func TestDomainnameInside(t *testing.T) {
	labtest.NeedRoot(t)
	before, _ := os.ReadFile("/proc/sys/kernel/domainname")
	r := labtest.Run(t, bin, "--domainname", "lab.test", "--", "cat", "/proc/sys/kernel/domainname").Want(t, 0)
	if got := strings.TrimSpace(r.Stdout); got != "lab.test" {
		t.Errorf("domain name inside = %q, want lab.test", got)
	}
	after, _ := os.ReadFile("/proc/sys/kernel/domainname")
	if string(after) != string(before) {
		t.Errorf("host domain name changed from %q to %q", before, after)
	}
}

// The child's /proc/self/ns/uts names another namespace than the test's,
// while its other namespaces are the host's.
func TestChildHasOwnUTSNamespace(t *testing.T) {
	labtest.NeedRoot(t)
	r := labtest.Run(t, bin, "--", "readlink", "/proc/self/ns/uts", "/proc/self/ns/net").Want(t, 0)
	lines := labtest.Lines(r.Stdout)
	if len(lines) != 2 {
		t.Fatalf("readlink printed %q", r.Stdout)
	}
	hostUTS, _ := nsinfo.Link(0, "uts")
	hostNet, _ := nsinfo.Link(0, "net")
	if lines[0] == hostUTS {
		t.Errorf("child uts namespace %s is the host's", lines[0])
	}
	if lines[1] != hostNet {
		t.Errorf("child net namespace %s, want the host's %s", lines[1], hostNet)
	}
	r.Contains(t, "host:   "+hostUTS, "child:  "+lines[0])
}

// Without a command and without a terminal, the child prints a report.
func TestReportWithoutCommand(t *testing.T) {
	labtest.NeedRoot(t)
	r := labtest.Run(t, bin, "--hostname", "reporter").Want(t, 0)
	if !strings.HasPrefix(r.Stdout, "child:  uts:[") || !strings.Contains(r.Stdout, "hostname=reporter") {
		t.Errorf("report = %q", r.Stdout)
	}
}

func TestExitStatusPassesThrough(t *testing.T) {
	labtest.NeedRoot(t)
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"true"}, 0},
		{[]string{"sh", "-c", "exit 42"}, 42},
		{[]string{"sh", "-c", "kill -TERM $$"}, 128 + 15},
		{[]string{"no-such-command"}, 127},
		{[]string{"/etc/hostname"}, 126},
	} {
		labtest.Run(t, bin, append([]string{"--"}, c.args...)...).Want(t, c.code)
	}
}

// Bad names are refused with status 125 before any namespace exists: in
// explain mode, no clone step is printed.
func TestBadHostnameRejected(t *testing.T) {
	labtest.NeedRoot(t)
	long := strings.Repeat("h", 65)
	cases := map[string][]string{
		"hostname is empty":    {"--hostname", ""},
		"hostname is 65 bytes": {"--hostname", long},
		"domain name is empty": {"--domainname", ""},
	}
	for want, args := range cases {
		r := labtest.Run(t, bin, append([]string{"-v"}, args...)...).Want(t, 125)
		r.Contains(t, "01-uts: "+want)
		if strings.Contains(r.Output(), "clone(") {
			t.Errorf("%v: a namespace was created before the check:\n%s", args, r.Output())
		}
	}
	labtest.Run(t, bin, "--hostname", strings.Repeat("h", 64), "--", "true").Want(t, 0)
}

func TestUnprivilegedPointsToChapter03(t *testing.T) {
	labtest.NeedRoot(t)
	r := labtest.RunAs(t, labtest.Nobody, bin, "--", "hostname").Want(t, 125)
	r.Contains(t, "01-uts: clone(CLONE_NEWUTS): operation not permitted", "chapter 03")
	if strings.Count(r.Stderr, "01-uts:") != 1 {
		t.Errorf("want one error line, got:\n%s", r.Stderr)
	}
}

// With --user, an unprivileged user gets a UTS namespace too, and the
// host's hostname is still unchanged.
func TestUserFlagLetsNobodyIn(t *testing.T) {
	labtest.NeedRoot(t)
	before := hostname(t)
	r := labtest.RunAs(t, labtest.Nobody, bin, "--user", "--hostname", "mine", "--", "hostname").Want(t, 0)
	if got := strings.TrimSpace(r.Stdout); got != "mine" {
		t.Errorf("hostname inside = %q, want mine", got)
	}
	if after := hostname(t); after != before {
		t.Errorf("host hostname changed from %q to %q", before, after)
	}
}

func TestExplainMode(t *testing.T) {
	labtest.NeedRoot(t)
	r := labtest.Run(t, bin, "-v", "--hostname", "lab", "--", "true").Want(t, 0)
	r.Contains(t,
		`+ [parent] clone(CLONE_NEWUTS) + execve("/proc/self/exe")`,
		"$ unshare --uts",
		`+ [child] sethostname("lab")`,
		"$ hostname lab",
	)
}

func TestCheck(t *testing.T) {
	labtest.NeedRoot(t)
	labtest.Run(t, bin, "--check").Want(t, 0).Contains(t, "ok    unshare(CLONE_NEWUTS) works here")
	labtest.RunAs(t, labtest.Nobody, bin, "--check").Want(t, 1).Contains(t, "FAIL  not root")
}

func TestHelp(t *testing.T) {
	r := labtest.Run(t, bin, "--help").Want(t, 0)
	r.Contains(t, "Usage: 01-uts [flags] [--] [COMMAND [ARG...]]", "--hostname", "--verbose", "--check")
	labtest.Run(t, bin, "--no-such-flag").Want(t, 125).Contains(t, "01-uts: unknown flag: --no-such-flag")
}

// Bad input, and the child stage started by hand (it would rename the
// host): one line, status 125, no panic, nothing changed.
func TestBadInput(t *testing.T) {
	before := hostname(t)
	labtest.Refused(t, bin, []labtest.Refusal{
		{Args: []string{"--hostname", ""}, Status: 125},
		{Args: []string{"--hostname", strings.Repeat("h", 65)}, Status: 125},
		{Args: []string{"--domainname", ""}, Status: 125},
		{Args: []string{"--user=perhaps"}, Status: 125},
		{Args: []string{"--no-such-flag"}, Status: 125},
		{Args: []string{"--", "/no/such/command"}, Status: 127, Nobody: 125},
		{Args: []string{"--hostname", "handmade", "--", "true"}, Argv0: "nslab:child", Status: 125},
	})
	if after := hostname(t); after != before {
		t.Errorf("the host's hostname changed from %q to %q", before, after)
	}
}

// --join enters the UTS namespace of a running 01-uts on a thread of its
// own: the command started from it sees the other hostname, while the
// joining process's own namespace — and the host's name — never change.
func TestJoin(t *testing.T) {
	labtest.NeedRoot(t)
	before := hostname(t)
	c := labtest.Start(t, bin, "--hostname", "joinme", "--", "sh", "-c", "echo ready; read x; exit 0")
	for {
		line, err := c.ReadLine()
		if err != nil {
			t.Fatal(err)
		}
		if line == "ready" {
			break
		}
	}
	child := childOf(t, c.Pid())
	inside, _ := nsinfo.Link(child, "uts")
	r := labtest.Run(t, bin, "-v", "--join", strconv.Itoa(child), "--", "hostname").Want(t, 0)
	if strings.TrimSpace(r.Stdout) != "joinme" {
		t.Errorf("hostname after the join: %q", r.Stdout)
	}
	r.Contains(t, "joined: "+inside+"  hostname=joinme", "$ nsenter --uts --target "+strconv.Itoa(child)+" hostname", "(the main thread never left)")
	c.Close()
	c.Wait(t).Want(t, 0)
	if after := hostname(t); after != before {
		t.Errorf("the host's hostname changed to %q", after)
	}
	labtest.Run(t, bin, "--join", "999999999").Want(t, 125).Contains(t, "no such process")
	labtest.RunAs(t, labtest.Nobody, bin, "--join", strconv.Itoa(os.Getpid())).Want(t, 125).Contains(t, "--join needs root")
}

// childOf returns the PID of a process's child.
func childOf(t *testing.T, pid int) int {
	t.Helper()
	for i := 0; i < 100; i++ {
		paths, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
		for _, p := range paths {
			b, _ := os.ReadFile(p)
			if f := strings.Fields(string(b)); len(f) > 0 {
				n, _ := strconv.Atoi(f[0])
				return n
			}
		}
		labtest.Sleep(10)
	}
	t.Fatalf("process %d has no child", pid)
	return 0
}
