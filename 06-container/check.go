package main

import (
	"debug/elf"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"nslab/03-user/userns"
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
	if err := staticBinary(); err != nil {
		results = append(results, doctor.Fail(prog+" is dynamically linked", "build it with CGO_ENABLED=0 (make build does)"))
	} else {
		results = append(results, doctor.Pass("%s is statically linked: its init can run inside the container's root", prog))
	}
	results = append(results, kernelFeatures()...)
	if os.Geteuid() == 0 {
		results = append(results, doctor.Root(prog), doctor.Unshare(cloneFlags))
		results = append(results, firewallCheck(f.bridge), cgroupCheck())
	} else {
		results = append(results, doctor.Pass("not root: 06-container runs --rootless (a user namespace)"))
		results = append(results, userns.Sysctls()...)
		results = append(results, userns.CheckCreate(os.Geteuid()), helperCheck())
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

// helperCheck tells whether a rootless container can have a network.
func helperCheck() doctor.Result {
	mode := rootlessNet()
	switch {
	case mode != "none":
		return doctor.Pass("a rootless container gets a network through %s", mode)
	case checkTun() != nil:
		return doctor.Fail("slirp4netns and pasta need /dev/net/tun, which you cannot open: a rootless container has only lo", "as root: chmod 0666 /dev/net/tun")
	}
	return doctor.Fail("neither slirp4netns nor pasta is installed: a rootless container has only lo", "apt-get install slirp4netns (Fedora: dnf install slirp4netns)")
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

// kernelFeatures checks the kernel interface the set-up relies on that is
// newest: openat2 (Linux 5.6), which resolves paths inside the root.
func kernelFeatures() []doctor.Result {
	var results []doctor.Result
	fd, err := unix.Openat2(unix.AT_FDCWD, "/", &unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: unix.RESOLVE_IN_ROOT})
	if err != nil {
		results = append(results, doctor.Fail("openat2(RESOLVE_IN_ROOT): "+err.Error(), "boot Linux 5.6 or newer"))
	} else {
		unix.Close(fd)
		results = append(results, doctor.Pass("openat2(RESOLVE_IN_ROOT) works (Linux 5.6+): paths are resolved inside the root"))
	}
	return results
}

// cgroupCheck looks for the unified (v2) hierarchy, where each container
// gets a cgroup of its own, and for the controllers the limits need in
// it. cgroup v1 alone is not supported.
func cgroupCheck() doctor.Result {
	root, err := unifiedRoot()
	if err != nil {
		return doctor.Fail("no cgroup v2 hierarchy (cgroup v1 alone is not supported)", err.Error())
	}
	// Limits are optional: without the controllers the container still
	// runs, so this is said, not failed.
	if checkLimits(limits{Memory: 1, Pids: 1, CPUs: 1}, false) != nil {
		return doctor.Pass("cgroup v2 hierarchy at %s: each container gets a cgroup of its own under nslab/ — but cgroup v1 holds the controllers, so --memory, --pids and --cpus are refused (boot with systemd.unified_cgroup_hierarchy=1 cgroup_no_v1=all for them)", root)
	}
	return doctor.Pass("cgroup v2 hierarchy at %s with the memory, pids and cpu controllers: each container gets a cgroup of its own under nslab/, with the limits asked for", root)
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
