// Package doctor is the environment check behind every chapter's --check
// and `make doctor`. Each chapter lists what it needs as Results — one
// line each, "ok" or "FAIL" followed by the exact fix, because a class
// loses more time to a kernel setting than to any bug — and doctor runs
// and prints them. The checks that only name a namespace type, root, or a
// program live here; the ones that know a chapter's subject (user
// namespace sysctls, the host's firewall) live with that chapter.
package doctor

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"golang.org/x/sys/unix"

	"nslab/internal/cli"
	"nslab/internal/nsinfo"
	"nslab/internal/osthread"
)

// Result is one requirement: what was checked, whether it holds, and when
// it does not, how to fix it.
type Result struct {
	OK   bool
	What string
	Fix  string
}

// Pass describes a requirement that holds.
func Pass(format string, args ...interface{}) Result {
	return Result{OK: true, What: fmt.Sprintf(format, args...)}
}

// Fail describes a requirement that does not hold and the fix for it.
func Fail(what, fix string) Result {
	return Result{What: what, Fix: fix}
}

// Report prints one line per result and returns the number of failures.
func Report(w io.Writer, results []Result) int {
	failed := 0
	for _, r := range results {
		if r.OK {
			fmt.Fprintf(w, "ok    %s\n", r.What)
			continue
		}
		failed++
		fmt.Fprintf(w, "FAIL  %s — %s\n", r.What, r.Fix)
	}
	return failed
}

// Run prints the results under a heading and returns the program's exit:
// status 0 when everything holds, 1 otherwise.
func Run(prog string, results []Result) error {
	fmt.Printf("%s --check\n", prog)
	if Report(os.Stdout, results) > 0 {
		return cli.ExitStatus(1)
	}
	return nil
}

// Root checks that the program runs as root. who names what needs it.
func Root(who string) Result {
	if os.Geteuid() == 0 {
		return Pass("running as root")
	}
	return Fail("not root: "+who+" needs root",
		"run it with sudo (chapter 03 and 06-container --rootless show what a regular user can do)")
}

// Kernel checks that the kernel was built with the namespace type: the
// /proc/self/ns link exists only when it was.
func Kernel(k nsinfo.Kind) Result {
	if _, err := os.Stat(nsinfo.Path(0, k.File)); err != nil {
		return Fail(fmt.Sprintf("kernel has no %s namespaces (%s)", k.File, k.FlagName),
			fmt.Sprintf("boot Linux %s or newer built with the %s namespace option", k.Since, k.File))
	}
	return Pass("kernel has %s namespaces (%s, since Linux %s): %s", k.File, k.FlagName, k.Since, k.Isolates)
}

// Unshare checks that this process may create namespaces of the given
// kinds by really doing it, on a thread that is then thrown away
// (package osthread). CLONE_NEWUSER cannot be tested this way — the kernel
// refuses it in a multithreaded process — so chapter 03 starts a child
// instead.
func Unshare(flags uintptr) Result {
	err := osthread.Run(func() error { return unix.Unshare(int(flags)) })
	names := nsinfo.FlagNames(flags)
	if err != nil {
		fix := "run as root"
		if !errors.Is(err, unix.EPERM) {
			fix = "see docs/troubleshooting.md"
		}
		return Fail(fmt.Sprintf("unshare(%s): %v", names, err), fix)
	}
	return Pass("unshare(%s) works here", names)
}

// Program checks that an executable is installed, for example busybox.
func Program(name, install string) Result {
	path, err := exec.LookPath(name)
	if err != nil {
		return Fail(name+" not found", install)
	}
	return Pass("%s at %s", name, path)
}

// Sysctl reads /proc/sys/PATH; ok is false when the setting does not exist.
func Sysctl(path string) (string, bool) {
	b, err := os.ReadFile("/proc/sys/" + path)
	if err != nil {
		return "", false
	}
	return strings.TrimSpace(string(b)), true
}
