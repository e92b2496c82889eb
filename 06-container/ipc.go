package main

import (
	"os"

	"golang.org/x/sys/unix"

	"nslab/internal/explain"
)

// IPC. CLONE_NEWIPC (runtime.go) gives the container its own System V
// message queues, semaphore sets and shared memory segments, and its own
// POSIX message queues: an id from ipcs(1) on the host means nothing
// inside, and the other way round. POSIX queues are files of the mqueue
// filesystem; a mount of it shows the queues of the IPC namespace of the
// process that mounted it, so the container mounts its own.

// mountMqueue mounts the container's mqueue filesystem on /dev/mqueue.
func mountMqueue(dev *os.File, log *explain.Log) error {
	return mountIn(dev, "mqueue", "mqueue", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "", log)
}
