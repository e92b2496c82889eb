package main

import (
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"nslab/02-mount/mountns"
	"nslab/internal/cli"
	"nslab/internal/explain"
)

// /proc and /sys are windows onto the kernel, and not all of the view is
// namespaced: /proc/kcore is the host's memory, /proc/keys the keyring,
// /proc/timer_list and /proc/sched_debug show every process of the host,
// /proc/sysrq-trigger reboots it, /proc/sys/kernel changes it. The init
// hides the first kind (/dev/null over a file, an empty read-only tmpfs
// over a directory) and makes the second read-only — the lists Docker uses.

var maskedPaths = []string{
	"proc/acpi", "proc/asound", "proc/kcore", "proc/keys", "proc/latency_stats",
	"proc/timer_list", "proc/timer_stats", "proc/sched_debug", "proc/scsi",
	"sys/firmware", "sys/devices/virtual/powercap",
}

var readOnlyPaths = []string{
	"proc/bus", "proc/fs", "proc/irq", "proc/sys", "proc/sysrq-trigger",
}

// maskProc applies both lists below rootfs. Paths this kernel does not
// have are skipped.
func maskProc(rootfs string, log *explain.Log) error {
	for _, p := range maskedPaths {
		if err := mask(filepath.Join(rootfs, p), log); err != nil {
			return cli.Failf("masking /%s: %w", p, err)
		}
	}
	for _, p := range readOnlyPaths {
		if err := freeze(filepath.Join(rootfs, p), log); err != nil {
			return cli.Failf("making /%s read-only: %w", p, err)
		}
	}
	return nil
}

// mask covers a file with /dev/null, or a directory with an empty
// read-only tmpfs.
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
// read-only. The remount must repeat proc's nosuid, nodev and noexec: in
// a user namespace the kernel refuses to clear them.
func freeze(path string, log *explain.Log) error {
	if _, err := os.Lstat(path); os.IsNotExist(err) {
		return nil
	}
	if err := mountns.Bind(path, path, false, log); err != nil {
		return err
	}
	return mountns.RemountReadOnly(path, unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, log)
}
