// Package doctor is the environment check behind every chapter's --check
// and `make doctor`. Each requirement becomes one line, "ok" or "FAIL"
// followed by the exact fix, because a class loses more time to a kernel
// setting than to any bug.
package doctor

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"nslab/01-uts/nsinfo"
)

// Result is one requirement: what was checked, whether it holds, and when
// it does not, how to fix it.
type Result struct {
	OK   bool
	What string
	Fix  string
}

// Pass and Fail build Results.
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

// Exit prints the results under a heading and ends the program: status 0
// when everything holds, 1 otherwise.
func Exit(prog string, results []Result) {
	fmt.Printf("%s --check\n", prog)
	if Report(os.Stdout, results) > 0 {
		os.Exit(1)
	}
	os.Exit(0)
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
	return Pass("kernel has %s namespaces (%s, since Linux %s)", k.File, k.FlagName, k.Since)
}

// Unshare checks that this process may create namespaces of the given
// kinds by really doing it, on a thread that is then thrown away.
//
// unshare(2) moves only the calling thread. Go lets us pin a goroutine to
// its thread with LockOSThread; when such a goroutine returns without
// unlocking, the runtime ends the thread, and the namespaces with it.
// CLONE_NEWUSER cannot be tested this way (the kernel refuses it in a
// multithreaded process), so UserNamespace starts a child instead. (Should
// the goroutine land on the main thread, which Go cannot end, that thread
// is parked in the new namespaces instead; --check exits soon after, so
// it does not matter here. Package netns, which runs for longer, keeps
// the main thread out of reach.)
func Unshare(flags uintptr) Result {
	errc := make(chan error)
	go func() {
		runtime.LockOSThread()
		errc <- unix.Unshare(int(flags))
	}()
	names := nsinfo.FlagNames(flags)
	if err := <-errc; err != nil {
		fix := "run as root"
		if err != unix.EPERM {
			fix = "see docs/troubleshooting.md"
		}
		return Fail(fmt.Sprintf("unshare(%s): %v", names, err), fix)
	}
	return Pass("unshare(%s) works here", names)
}

// UserNamespace checks that a process running as uid can create a user
// namespace and map itself to root there, the way chapter 03 does. It runs
// `unshare --user --map-root-user true` as that uid: the mapping write is
// where Ubuntu's AppArmor restriction bites, so creating the namespace
// alone would not be enough. As root, uid 65534 stands for the learners'
// unprivileged accounts.
func UserNamespace(uid int) Result {
	cmd := exec.Command("unshare", "--user", "--map-root-user", "true")
	if uid != os.Geteuid() {
		cmd.SysProcAttr = &syscall.SysProcAttr{
			Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)},
		}
	}
	who := fmt.Sprintf("uid %d", uid)
	out, err := cmd.CombinedOutput()
	if err != nil {
		why := strings.TrimSpace(string(out))
		if why == "" {
			why = err.Error()
		}
		return Fail(who+" cannot create a user namespace ("+why+")", UserNamespaceFix())
	}
	return Pass("%s can create a user namespace and map itself to root", who)
}

// UserNamespaceSysctls reads the settings that distributions use to forbid
// unprivileged user namespaces. Settings this kernel does not have are
// skipped.
func UserNamespaceSysctls() []Result {
	var results []Result
	if v, ok := sysctl("user/max_user_namespaces"); ok {
		if v == "0" {
			results = append(results, Fail("user.max_user_namespaces=0 forbids user namespaces",
				"sysctl -w user.max_user_namespaces=15000"))
		} else {
			results = append(results, Pass("user.max_user_namespaces=%s", v))
		}
	}
	if v, ok := sysctl("kernel/unprivileged_userns_clone"); ok {
		if v == "0" {
			results = append(results, Fail("kernel.unprivileged_userns_clone=0 (Debian's switch) forbids them for regular users",
				"sysctl -w kernel.unprivileged_userns_clone=1"))
		} else {
			results = append(results, Pass("kernel.unprivileged_userns_clone=%s", v))
		}
	}
	if v, ok := sysctl("kernel/apparmor_restrict_unprivileged_userns"); ok {
		if v == "1" {
			results = append(results, Fail("kernel.apparmor_restrict_unprivileged_userns=1",
				"Ubuntu 24.04 blocks unprivileged user namespaces: sysctl -w kernel.apparmor_restrict_unprivileged_userns=0"))
		} else {
			results = append(results, Pass("kernel.apparmor_restrict_unprivileged_userns=%s", v))
		}
	}
	return results
}

// UserNamespacesAllowed reports whether no sysctl forbids unprivileged
// user namespaces.
func UserNamespacesAllowed() bool {
	for _, r := range UserNamespaceSysctls() {
		if !r.OK {
			return false
		}
	}
	return true
}

// BridgeNetfilter checks that bridged traffic can flow. With br_netfilter
// loaded and net.bridge.bridge-nf-call-iptables=1, frames crossing a
// bridge go through the iptables FORWARD chain; Docker sets its policy to
// DROP, and then namespaces on the bridge cannot reach each other.
func BridgeNetfilter(bridge string) Result {
	b, err := os.ReadFile("/proc/sys/net/bridge/bridge-nf-call-iptables")
	if err != nil || strings.TrimSpace(string(b)) != "1" {
		return Pass("bridged traffic does not go through iptables (br_netfilter is off)")
	}
	out, err := exec.Command("iptables", "-S", "FORWARD").Output()
	if err != nil || !strings.Contains(string(out), "-P FORWARD DROP") {
		return Pass("bridged traffic goes through iptables, whose FORWARD chain does not drop it by default")
	}
	return Fail("bridged traffic goes through iptables (bridge-nf-call-iptables=1) and FORWARD drops it (Docker's setting)",
		fmt.Sprintf("iptables -I FORWARD -i %s -o %s -j ACCEPT, or sysctl -w net.bridge.bridge-nf-call-iptables=0", bridge, bridge))
}

// UserNamespaceFix names the likely fix when a user namespace cannot be
// created, from the first forbidding sysctl found.
func UserNamespaceFix() string {
	for _, r := range UserNamespaceSysctls() {
		if !r.OK {
			return r.Fix
		}
	}
	return "see docs/troubleshooting.md (running inside a container or WSL?)"
}

// Program checks that an executable is installed, for example busybox.
func Program(name, install string) Result {
	path, err := exec.LookPath(name)
	if err != nil {
		return Fail(name+" not found", install)
	}
	return Pass("%s at %s", name, path)
}

// sysctl reads /proc/sys/PATH; ok is false when the setting does not exist.
func sysctl(path string) (string, bool) {
	b, err := os.ReadFile("/proc/sys/" + path)
	if err != nil {
		return "", false
	}
	return strings.TrimSpace(string(b)), true
}
