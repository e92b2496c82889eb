package userns

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"

	"nslab/internal/doctor"
)

// The settings distributions use to forbid unprivileged user namespaces,
// and what --check says about them. 06-container's --rootless asks the
// same questions.

// Sysctls reads the settings that forbid unprivileged user namespaces.
// Settings this kernel does not have are left out.
func Sysctls() []doctor.Result {
	var results []doctor.Result
	if v, ok := doctor.Sysctl("user/max_user_namespaces"); ok {
		if v == "0" {
			results = append(results, doctor.Fail("user.max_user_namespaces=0 forbids user namespaces",
				"sysctl -w user.max_user_namespaces=15000"))
		} else {
			results = append(results, doctor.Pass("user.max_user_namespaces=%s", v))
		}
	}
	if v, ok := doctor.Sysctl("kernel/unprivileged_userns_clone"); ok {
		if v == "0" {
			results = append(results, doctor.Fail("kernel.unprivileged_userns_clone=0 (Debian's switch) forbids them for regular users",
				"sysctl -w kernel.unprivileged_userns_clone=1"))
		} else {
			results = append(results, doctor.Pass("kernel.unprivileged_userns_clone=%s", v))
		}
	}
	if v, ok := doctor.Sysctl("kernel/apparmor_restrict_unprivileged_userns"); ok {
		if v == "1" {
			results = append(results, doctor.Fail("kernel.apparmor_restrict_unprivileged_userns=1",
				"Ubuntu 24.04 blocks unprivileged user namespaces: sysctl -w kernel.apparmor_restrict_unprivileged_userns=0"))
		} else {
			results = append(results, doctor.Pass("kernel.apparmor_restrict_unprivileged_userns=%s", v))
		}
	}
	return results
}

// Allowed reports whether no sysctl forbids unprivileged user namespaces.
func Allowed() bool {
	for _, r := range Sysctls() {
		if !r.OK {
			return false
		}
	}
	return true
}

// Fix names the likely fix when a user namespace cannot be created, from
// the first forbidding sysctl found.
func Fix() string {
	for _, r := range Sysctls() {
		if !r.OK {
			return r.Fix
		}
	}
	return "see docs/troubleshooting.md (running inside a container or WSL?)"
}

// CheckCreate checks that a process running as uid can create a user
// namespace and map itself to root there, the way chapter 03 does. It runs
// `unshare --user --map-root-user true` as that uid: the mapping write is
// where Ubuntu's AppArmor restriction bites, so creating the namespace
// alone would not be enough. As root, uid 65534 stands for the learners'
// unprivileged accounts.
func CheckCreate(uid int) doctor.Result {
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
		return doctor.Fail(who+" cannot create a user namespace ("+why+")", Fix())
	}
	return doctor.Pass("%s can create a user namespace and map itself to root", who)
}
