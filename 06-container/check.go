package main

import (
	"os"
	"path/filepath"
	"strings"

	"nslab/03-user/userns"
	"nslab/05-net/firewall"
	"nslab/06-container/seccomp"
	"nslab/internal/doctor"
	"nslab/internal/nsinfo"
)

// checks lists what this chapter needs from the machine.
func checks(f flags) []doctor.Result {
	var results []doctor.Result
	for _, k := range nsinfo.Kinds {
		if k.File != "time" {
			results = append(results, doctor.Kernel(k))
		}
	}
	if os.Geteuid() == 0 {
		results = append(results, doctor.Root(prog), doctor.Unshare(cloneFlags))
		results = append(results, firewall.BridgeNetfilter(f.bridge))
	} else {
		results = append(results, doctor.Pass("not root: 06-container runs --rootless (a user namespace, only lo)"))
		results = append(results, userns.Sysctls()...)
		results = append(results, userns.CheckCreate(os.Geteuid()))
	}
	results = append(results, seccompCheck())
	results = append(results, doctor.Program("busybox", "apt-get install busybox-static (Fedora: dnf install busybox) — make rootfs needs it"))
	if _, err := os.Stat(filepath.Join(f.rootfs, "bin", "sh")); err != nil {
		results = append(results, doctor.Fail("no root filesystem at "+f.rootfs, "make rootfs (make run-06 builds it on the way)"))
	} else {
		results = append(results, doctor.Pass("root filesystem at %s", f.rootfs))
	}
	return results
}

// seccompCheck tells whether the filter can be built for this
// architecture and the kernel has seccomp filters.
func seccompCheck() doctor.Result {
	if _, err := seccomp.Filter(); err != nil {
		return doctor.Fail(err.Error(), "run containers with --seccomp=off")
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil || !strings.Contains(string(status), "Seccomp_filters:") {
		return doctor.Fail("this kernel has no seccomp filters (CONFIG_SECCOMP_FILTER)", "run containers with --seccomp=off")
	}
	return doctor.Pass("seccomp filters work here (%d system calls refused)", len(seccomp.Denied))
}
