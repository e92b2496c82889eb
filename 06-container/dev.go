package main

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"nslab/02-mount/mountns"
	"nslab/internal/cli"
	"nslab/internal/explain"
)

// device is one node of the container's minimal /dev.
type device struct {
	name         string
	major, minor uint32
}

// devices are the character devices every program may expect, and
// nothing that reaches hardware.
var devices = []device{
	{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7},
	{"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
}

// devLinks are the conventional symbolic links into /proc.
var devLinks = map[string]string{
	"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1",
	"stderr": "/proc/self/fd/2", "ptmx": "pts/ptmx",
}

// makeDev builds /dev on a fresh tmpfs: the devices above, a private
// devpts instance for terminals (its own ptmx), /dev/shm, /dev/mqueue
// (ipc.go) and the links. As root the nodes are made with mknod(2); in a
// user namespace mknod is not allowed, so the host's nodes are bound in.
func makeDev(dev string, rootless bool, log *explain.Log) error {
	if err := mountns.MountFS("tmpfs", "nslab-dev", dev, unix.MS_NOSUID|unix.MS_NOEXEC, "mode=755,size=64k", log); err != nil {
		return err
	}
	for _, d := range devices {
		if err := makeDevice(dev, d, rootless, log); err != nil {
			return err
		}
	}
	if err := mountPts(dev, rootless, log); err != nil {
		return err
	}
	shm := filepath.Join(dev, "shm")
	if err := os.Mkdir(shm, 0o755); err != nil {
		return err
	}
	if err := mountns.MountFS("tmpfs", "shm", shm, unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "mode=1777,size=65536k", log); err != nil {
		return err
	}
	if err := mountMqueue(dev, log); err != nil {
		return err
	}
	for name, target := range devLinks {
		if err := os.Symlink(target, filepath.Join(dev, name)); err != nil {
			return err
		}
	}
	return nil
}

// makeDevice creates one device node, or binds the host's.
func makeDevice(dev string, d device, rootless bool, log *explain.Log) error {
	path := filepath.Join(dev, d.name)
	if rootless {
		if err := os.WriteFile(path, nil, 0o666); err != nil {
			return err
		}
		if err := mountns.Bind("/dev/"+d.name, path, false, log); err != nil {
			return err
		}
		return nil
	}
	log.Step(fmt.Sprintf("mknod(%q, S_IFCHR|0666, makedev(%d, %d))", path, d.major, d.minor),
		fmt.Sprintf("mknod -m 666 %s c %d %d", path, d.major, d.minor))
	if err := unix.Mknod(path, unix.S_IFCHR|0o666, int(unix.Mkdev(d.major, d.minor))); err != nil {
		return cli.Failf("mknod %s: %w", path, err)
	}
	// mknod's mode passes through the umask.
	if err := os.Chmod(path, 0o666); err != nil {
		return err
	}
	return nil
}

// mountPts mounts a new devpts instance: the container's terminals are
// its own, numbered from 0, and its ptmx allocates them there. gid=5 (tty)
// is only valid where group 5 is mapped, which a rootless container's
// single-id map does not do.
func mountPts(dev string, rootless bool, log *explain.Log) error {
	pts := filepath.Join(dev, "pts")
	if err := os.Mkdir(pts, 0o755); err != nil {
		return err
	}
	data := "newinstance,ptmxmode=0666,mode=0620"
	if !rootless {
		data += ",gid=5"
	}
	if err := mountns.MountFS("devpts", "devpts", pts, unix.MS_NOSUID|unix.MS_NOEXEC, data, log); err != nil {
		return err
	}
	return nil
}
