package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"nslab/01-uts/cli"
	"nslab/01-uts/doctor"
	"nslab/01-uts/explain"
	"nslab/01-uts/nsinfo"
	"nslab/05-net/netlink"
	"nslab/06-container/seccomp"
)

// cleanup is --cleanup: remove what runtimes killed with SIGKILL left
// behind (their leases and state directories), and, when no container is
// running, the bridge and the state directory itself.
func cleanup(f flags, log *explain.Log) error {
	root := stateRoot(f.rootless)
	if _, err := os.Stat(root); errors.Is(err, os.ErrNotExist) && f.rootless {
		return nil
	}
	unlock, err := lockDir(root)
	if err != nil {
		return cli.Failf("%v", err)
	}
	defer unlock()
	live, removed := sweep(root)
	for _, r := range removed {
		fmt.Printf("removed stale %s\n", r)
	}
	if live > 0 {
		fmt.Printf("%d containers are running; the bridge %s and %s stay\n", live, f.bridge, root)
		return nil
	}
	if !f.rootless {
		if err := removeBridge(f.bridge, log); err != nil {
			return err
		}
	}
	// Only empty directories go. The state directory is removed while
	// this process holds its lock: a runtime waiting for the lock sees
	// that the directory it locked is gone, and starts again.
	for _, d := range []string{leaseDir(root, f.bridge), filepath.Join(root, "leases"), filepath.Join(root, "containers"), root} {
		os.Remove(d)
	}
	return nil
}

// removeBridge deletes the bridge if it is there.
func removeBridge(name string, log *explain.Log) error {
	host, err := netlink.Dial()
	if err != nil {
		return cli.Failf("%v", err)
	}
	defer host.Close()
	br, err := host.LinkByName(name)
	if errors.Is(err, netlink.ErrNoLink) {
		return nil
	}
	if err != nil {
		return cli.Failf("%v", err)
	}
	if br.Kind != "bridge" {
		return cli.Failf("%s is a %q link, not a bridge; leaving it alone", name, br.Kind)
	}
	log.Step("RTM_DELLINK "+name, "ip link del "+name)
	if err := host.DeleteLink(br); err != nil {
		return cli.Failf("%v", err)
	}
	fmt.Printf("removed bridge %s\n", name)
	return nil
}

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
		results = append(results, doctor.BridgeNetfilter(f.bridge))
	} else {
		results = append(results, doctor.Pass("not root: 06-container runs --rootless (a user namespace, only lo)"))
		results = append(results, doctor.UserNamespaceSysctls()...)
		results = append(results, doctor.UserNamespace(os.Geteuid()))
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
