package main

import (
	"debug/elf"
	"os"
	"path/filepath"
	"strings"

	"nslab/03-user/userns"
	"nslab/05-net/firewall"
	"nslab/06-container/seccomp"
	"nslab/internal/cli"
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
	set, _ := capabilities(nil, nil)
	size, spans, err := seccomp.Size(set)
	if err != nil {
		return doctor.Fail(err.Error(), "run containers with --seccomp=off")
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil || !strings.Contains(string(status), "Seccomp_filters:") {
		return doctor.Fail("this kernel has no seccomp filters (CONFIG_SECCOMP_FILTER)", "run containers with --seccomp=off")
	}
	return doctor.Pass("seccomp filters work here (an allow-list: %d instructions, a search over %d ranges of system calls)", size, spans)
}

// staticBinary checks that this program is statically linked. Its init
// runs this same binary again after pivot_root (pid1.go), inside the
// container's root, where the host's dynamic loader and C library are not:
// a cgo build (CGO_ENABLED=1, the default when a C compiler is installed)
// could not start there.
func staticBinary() error {
	f, err := elf.Open("/proc/self/exe")
	if err != nil {
		return nil // not an ELF file we can read: let the kernel decide
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return cli.Failf("%s is dynamically linked (a cgo build): its init cannot run inside the container's root — build it with CGO_ENABLED=0, as make build does", prog)
		}
	}
	return nil
}
