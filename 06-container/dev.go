package main

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"nslab/02-mount/mountns"
	"nslab/06-container/inroot"
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

// ptyMax is how many pseudo-terminals the container's devpts instance may
// hold (its max= option, LXC's lxc.pty.max). The kernel shares 3072
// between all instances other than the host's (kernel.pty.max minus
// kernel.pty.reserve): without a limit, one container could take them all.
const ptyMax = 64

// makeDev builds /dev on a fresh tmpfs: the devices above, a private
// devpts instance for terminals (its own ptmx), /dev/shm, /dev/mqueue
// (ipc.go) and the links. Everything is made relative to the tmpfs's own
// descriptor. As root the nodes are made with mknod(2); in a user
// namespace mknod is not allowed, so the host's nodes are bound in — which
// the container cannot chmod or chown: they belong to the host's root,
// who is not mapped inside.
func makeDev(root *os.File, rootless bool, log *explain.Log) error {
	magic, done, err := target(root, "dev", false, log)
	if err != nil {
		return err
	}
	err = mountns.MountFS("tmpfs", "nslab-dev", magic, unix.MS_NOSUID|unix.MS_NOEXEC, "mode=755,size=64k", log)
	done()
	if err != nil {
		return err
	}
	dev, err := inroot.Dir(root, "dev") // the tmpfs now
	if err != nil {
		return err
	}
	defer dev.Close()
	for _, d := range devices {
		if err := makeDevice(dev, d, rootless, log); err != nil {
			return err
		}
	}
	if err := mountIn(dev, "pts", "devpts", unix.MS_NOSUID|unix.MS_NOEXEC, ptsOptions(rootless), log); err != nil {
		return err
	}
	if err := mountIn(dev, "shm", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "mode=1777,size=65536k", log); err != nil {
		return err
	}
	if err := mountMqueue(dev, log); err != nil {
		return err
	}
	for name, to := range devLinks {
		if err := unix.Symlinkat(to, int(dev.Fd()), name); err != nil {
			return fmt.Errorf("symlink /dev/%s: %w", name, err)
		}
	}
	return nil
}

// makeDevice creates one device node in dev, or binds the host's.
func makeDevice(dev *os.File, d device, rootless bool, log *explain.Log) error {
	if rootless {
		return bindHostDevice(dev, d.name, log)
	}
	log.Step(fmt.Sprintf("mknodat(dev, %q, S_IFCHR|0666, makedev(%d, %d))", d.name, d.major, d.minor),
		fmt.Sprintf("mknod -m 666 /dev/%s c %d %d", d.name, d.major, d.minor))
	if err := unix.Mknodat(int(dev.Fd()), d.name, unix.S_IFCHR|0o666, int(unix.Mkdev(d.major, d.minor))); err != nil {
		return fmt.Errorf("mknod /dev/%s: %w", d.name, err)
	}
	// mknod's mode passes through the umask.
	return unix.Fchmodat(int(dev.Fd()), d.name, 0o666, 0)
}

// bindHostDevice creates an empty file in dev and binds the host's node
// of the same name over it.
func bindHostDevice(dev *os.File, name string, log *explain.Log) error {
	f, err := inroot.Open(dev, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL, 0o666)
	if err != nil {
		return err
	}
	defer f.Close()
	magic, err := inroot.Path(f)
	if err != nil {
		return err
	}
	return mountns.Bind("/dev/"+name, magic, false, log)
}

// mountIn makes directory name in dir and mounts a filesystem there.
func mountIn(dir *os.File, name, fstype string, flags uintptr, data string, log *explain.Log) error {
	if err := unix.Mkdirat(int(dir.Fd()), name, 0o755); err != nil {
		return fmt.Errorf("mkdir /dev/%s: %w", name, err)
	}
	d, err := inroot.Dir(dir, name)
	if err != nil {
		return err
	}
	defer d.Close()
	magic, err := inroot.Path(d)
	if err != nil {
		return err
	}
	return mountns.MountFS(fstype, fstype, magic, flags, data, log)
}

// ptsOptions are the options of a new devpts instance: the container's
// terminals are its own, numbered from 0, its ptmx allocates them there,
// and there are at most ptyMax of them. gid=5 (tty) is only valid where
// group 5 is mapped, which a rootless container's single-id map does not
// do.
func ptsOptions(rootless bool) string {
	data := fmt.Sprintf("newinstance,ptmxmode=0666,mode=0620,max=%d", ptyMax)
	if !rootless {
		data += ",gid=5"
	}
	return data
}
