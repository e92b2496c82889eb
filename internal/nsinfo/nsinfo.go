// Package nsinfo names the eight Linux namespace types and reads a
// process's namespaces from /proc.
//
// Every process has one link per namespace type in /proc/PID/ns. The link's
// target, for example "uts:[4026531838]", names the namespace by the inode
// number of a file in the kernel's nsfs: two processes are in the same
// namespace exactly when their links show the same inode (on the same
// device). Opening the link gives a file descriptor that setns(2) accepts
// and that keeps the namespace alive while it is open.
package nsinfo

import (
	"fmt"
	"os"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Kind is one namespace type.
type Kind struct {
	File     string  // name of the link in /proc/PID/ns
	Flag     uintptr // the CLONE_NEW* flag for clone(2), unshare(2) and setns(2)
	FlagName string
	Since    string // the kernel release where the flag appeared
	Isolates string
}

// Kinds lists the namespace types in the order the kernel gained them.
// CLONE_NEWTIME shares its bit with the exit-signal field of clone(2), so
// only unshare(2) and clone3(2) accept it.
var Kinds = []Kind{
	{"mnt", unix.CLONE_NEWNS, "CLONE_NEWNS", "2.4.19", "mount points"},
	{"uts", unix.CLONE_NEWUTS, "CLONE_NEWUTS", "2.6.19", "hostname and NIS domain name"},
	{"ipc", unix.CLONE_NEWIPC, "CLONE_NEWIPC", "2.6.19", "System V IPC, POSIX message queues"},
	{"pid", unix.CLONE_NEWPID, "CLONE_NEWPID", "2.6.24", "process IDs"},
	{"net", unix.CLONE_NEWNET, "CLONE_NEWNET", "2.6.24", "network devices, addresses, routes, ports"},
	{"user", unix.CLONE_NEWUSER, "CLONE_NEWUSER", "3.8", "user and group IDs, capabilities"},
	{"cgroup", unix.CLONE_NEWCGROUP, "CLONE_NEWCGROUP", "4.6", "the cgroup root directory"},
	{"time", unix.CLONE_NEWTIME, "CLONE_NEWTIME", "5.6", "boot-time and monotonic clocks"},
}

// Lookup returns the Kind whose /proc/PID/ns link is named file.
func Lookup(file string) (Kind, bool) {
	for _, k := range Kinds {
		if k.File == file {
			return k, true
		}
	}
	return Kind{}, false
}

// FlagNames spells out a set of CLONE_NEW* flags, "CLONE_NEWUTS|CLONE_NEWNS".
func FlagNames(flags uintptr) string {
	var names []string
	for _, k := range Kinds {
		if flags&k.Flag != 0 {
			names = append(names, k.FlagName)
			flags &^= k.Flag
		}
	}
	if flags != 0 {
		names = append(names, fmt.Sprintf("%#x", flags))
	}
	return strings.Join(names, "|")
}

// Path returns /proc/PID/ns/FILE; pid 0 means the calling process.
func Path(pid int, file string) string {
	if pid == 0 {
		return "/proc/self/ns/" + file
	}
	return fmt.Sprintf("/proc/%d/ns/%s", pid, file)
}

// Link reads the namespace link, for example "uts:[4026531838]".
func Link(pid int, file string) (string, error) {
	return os.Readlink(Path(pid, file))
}

// Inode returns the inode number that identifies the namespace.
func Inode(pid int, file string) (uint64, error) {
	fi, err := os.Stat(Path(pid, file))
	if err != nil {
		return 0, err
	}
	return InodeOf(fi), nil
}

// InodeOf returns the inode number of a stat result, for a namespace file
// opened some other way (/proc/self/fd/N, /run/netns/NAME).
func InodeOf(fi os.FileInfo) uint64 {
	return fi.Sys().(*syscall.Stat_t).Ino
}
