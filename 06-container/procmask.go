package main

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"nslab/02-mount/mountns"
	"nslab/internal/explain"
)

// /proc and /sys are windows onto the kernel, and not all of the view is
// namespaced: /proc/kcore is the host's memory, /proc/keys the keyring,
// /proc/timer_list and /proc/sched_debug show every process of the host,
// /proc/kpageflags, /proc/kpagecount, /proc/slabinfo and the physical
// addresses in /proc/vmallocinfo are what kernel exploits read first,
// /proc/sysrq-trigger reboots the host, /proc/sys/kernel changes it. The
// init hides the first kind (the container's /dev/null over a file, an
// empty read-only tmpfs over a directory) and makes the second read-only —
// Docker's lists, and the four more.
//
// It does so after pivot_root, with the container's own /dev/null: bound
// before, from the host's, a mask would be the host's device node, and
// "chmod 600 /proc/keys" inside would change the host's /dev/null for
// every user of the machine.

var maskedPaths = []string{
	"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
	"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
	"/proc/kpageflags", "/proc/kpagecount", "/proc/kpagecgroup", "/proc/slabinfo", "/proc/vmallocinfo",
	"/sys/firmware", "/sys/devices/virtual/powercap",
}

var readOnlyPaths = []string{
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
}

// maskProc applies both lists. Paths this kernel does not have are
// skipped.
func maskProc(log *explain.Log) error {
	for _, p := range maskedPaths {
		if err := mask(p, log); err != nil {
			return fmt.Errorf("masking %s: %w", p, err)
		}
	}
	for _, p := range readOnlyPaths {
		if err := freeze(p, log); err != nil {
			return fmt.Errorf("making %s read-only: %w", p, err)
		}
	}
	return nil
}

// mask covers a file with the container's /dev/null, or a directory with
// an empty read-only tmpfs.
func mask(path string, log *explain.Log) error {
	fi, err := os.Lstat(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return mountns.MountFS("tmpfs", "masked", path, unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "size=0", log)
	}
	return mountns.Bind("/dev/null", path, false, log)
}

// freeze makes a path read-only: a bind mount onto itself, remounted
// read-only, keeping proc's nosuid, nodev and noexec.
func freeze(path string, log *explain.Log) error {
	if _, err := os.Lstat(path); os.IsNotExist(err) {
		return nil
	}
	if err := mountns.Bind(path, path, false, log); err != nil {
		return err
	}
	return mountns.Remount(path, unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, log)
}
