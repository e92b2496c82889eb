package main

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"nslab/internal/osthread"
)

func init() {
	register("ns-info", "PATH", "ask a namespace file its type, owner and ancestors with ioctl_ns(2)", nsInfo)
	register("join", "PID", "from a Go program's locked thread, try to join PID's mount and user namespaces with setns(2)", join)
}

// nsInfo asks the kernel about a namespace through the ioctls of
// ioctl_ns(2): NS_GET_NSTYPE (its CLONE_NEW* flag), NS_GET_USERNS (the
// user namespace that owns it) and NS_GET_PARENT (for PID and user
// namespaces, the one it was made in). Each answer is a new descriptor, a
// namespace file of its own; fstat gives its inode, the number in
// "user:[4026531837]". The walk up stops with EPERM at the top of what
// the caller may see.
func nsInfo(args []string) error {
	if err := need(args, 1); err != nil {
		return err
	}
	fd, err := unix.Open(args[0], unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	kind, err := unix.IoctlRetInt(fd, unix.NS_GET_NSTYPE)
	if err != nil {
		return fmt.Errorf("NS_GET_NSTYPE: %w", err)
	}
	fmt.Printf("ns-info: %s is %s\n", args[0], describeNS(fd, nsTypes[kind]))
	if owner, err := unix.IoctlRetInt(fd, unix.NS_GET_USERNS); err == nil {
		fmt.Printf("ns-info: owned by %s\n", describeNS(owner, "user"))
		unix.Close(owner)
	}
	if kind != unix.CLONE_NEWPID && kind != unix.CLONE_NEWUSER {
		return nil
	}
	for at := fd; ; {
		parent, err := unix.IoctlRetInt(at, unix.NS_GET_PARENT)
		if at != fd {
			unix.Close(at)
		}
		if errors.Is(err, unix.EPERM) {
			fmt.Println("ns-info: no parent in sight (EPERM): the top of this process's view")
			return nil
		}
		if err != nil {
			return fmt.Errorf("NS_GET_PARENT: %w", err)
		}
		fmt.Printf("ns-info: parent %s\n", describeNS(parent, nsTypes[kind]))
		at = parent
	}
}

// nsTypes names the CLONE_NEW* flags NS_GET_NSTYPE returns.
var nsTypes = map[int]string{
	unix.CLONE_NEWCGROUP: "cgroup", unix.CLONE_NEWIPC: "ipc", unix.CLONE_NEWNET: "net", unix.CLONE_NEWNS: "mnt",
	unix.CLONE_NEWPID: "pid", unix.CLONE_NEWTIME: "time", unix.CLONE_NEWUSER: "user", unix.CLONE_NEWUTS: "uts",
}

// describeNS writes a namespace descriptor as /proc/PID/ns shows it.
func describeNS(fd int, kind string) string {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return kind + ":[?]"
	}
	return fmt.Sprintf("%s:[%d]", kind, st.Ino)
}

// join tries, from a locked thread of a multi-threaded Go program, what
// setns(2) allows. A mount namespace: only once the thread has its own
// filesystem information (root, working directory), which Go's threads
// share — so unshare(CLONE_FS) first. A user namespace: never, for a
// process with more than one thread — and every Go program has several.
func join(args []string) error {
	if err := need(args, 1); err != nil {
		return err
	}
	return osthread.Run(func() error {
		mnt, err := os.Open("/proc/" + args[0] + "/ns/mnt")
		if err != nil {
			return err
		}
		defer mnt.Close()
		err = unix.Setns(int(mnt.Fd()), unix.CLONE_NEWNS)
		fmt.Printf("join: setns(mnt) sharing CLONE_FS with the other threads: %v\n", errText(err))
		if err := unix.Unshare(unix.CLONE_FS); err != nil {
			return fmt.Errorf("unshare(CLONE_FS): %w", err)
		}
		err = unix.Setns(int(mnt.Fd()), unix.CLONE_NEWNS)
		fmt.Printf("join: setns(mnt) after unshare(CLONE_FS): %v\n", errText(err))
		user, err := os.Open("/proc/" + args[0] + "/ns/user")
		if err != nil {
			return err
		}
		defer user.Close()
		err = unix.Setns(int(user.Fd()), unix.CLONE_NEWUSER)
		fmt.Printf("join: setns(user) from a process of several threads: %v\n", errText(err))
		return nil
	})
}

// errText is an error's text, or "ok".
func errText(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}
