package main

import (
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"nslab/02-mount/mountns"
	"nslab/internal/explain"
)

// IPC. CLONE_NEWIPC (runtime.go) gives the container its own System V
// message queues, semaphore sets and shared memory segments, and its own
// POSIX message queues: an id from ipcs(1) on the host means nothing
// inside, and the other way round. POSIX queues are files of the mqueue
// filesystem; a mount of it shows the queues of the IPC namespace of the
// process that mounted it, so the container mounts its own.

// mountMqueue mounts the container's mqueue filesystem on /dev/mqueue.
func mountMqueue(dev string, log *explain.Log) error {
	dir := filepath.Join(dev, "mqueue")
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	if err := mountns.MountFS("mqueue", "mqueue", dir, unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "", log); err != nil {
		return err
	}
	return nil
}
