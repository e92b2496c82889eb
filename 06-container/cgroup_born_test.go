//go:build go1.20 && !nslab_move

package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"nslab/internal/labtest"
)

// Built with Go 1.20 or newer, the runtime has the init born in its
// cgroup: -v shows clone3 with CLONE_INTO_CGROUP and the cgroup the
// runtime made, and no write of the init's PID to cgroup.procs follows.
func TestInitBornInItsCgroup(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	r := runC(t, "--net=none", "-v", "--", "grep", "^0::", "/proc/self/cgroup").Want(t, 0)
	made := regexp.MustCompile(`mkdir\("(/sys/fs/cgroup[^"]*/nslab/[0-9a-f]{12})"\)`).FindStringSubmatch(r.Stderr)
	if made == nil {
		t.Fatalf("-v shows no cgroup made:\n%s", r.Stderr)
	}
	if !strings.Contains(r.Stderr, "|CLONE_INTO_CGROUP, cgroup="+made[1]+") + execve") {
		t.Errorf("-v shows no clone3 into %s:\n%s", made[1], r.Stderr)
	}
	if strings.Contains(r.Stderr, made[1]+"/cgroup.procs") {
		t.Errorf("the init was moved into its cgroup after all:\n%s", r.Stderr)
	}
	if r.Stdout != "0::/\n" {
		t.Errorf("inside, /proc/self/cgroup says %q, want the root of its cgroup namespace, 0::/", r.Stdout)
	}
}

// Where a seccomp filter around the runtime answers clone3 with ENOSYS —
// older container engines' default profiles do — the runtime clones, then
// moves the init into its cgroup, as a Go 1.19 build does: the container
// starts, in its cgroup.
func TestCloneThreeRefused(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	argv := append([]string{bin}, args(t, "--net=none", "-v", "--", "grep", "^0::", "/proc/self/cgroup")...)
	r := labtest.RunOpts(t, labtest.Opts{Env: []string{underClone3Filter + "=1"}}, os.Args[0], argv...).Want(t, 0)
	made := regexp.MustCompile(`mkdir\("(/sys/fs/cgroup[^"]*/nslab/[0-9a-f]{12})"\)`).FindStringSubmatch(r.Stderr)
	if made == nil {
		t.Fatalf("-v shows no cgroup made:\n%s", r.Stderr)
	}
	if !strings.Contains(r.Stderr, made[1]+"/cgroup.procs") {
		t.Errorf("with clone3 refused, the init was not moved into %s:\n%s", made[1], r.Stderr)
	}
	if r.Stdout != "0::/\n" {
		t.Errorf("inside, /proc/self/cgroup says %q, want 0::/", r.Stdout)
	}
}
