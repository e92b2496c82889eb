// Package inroot opens paths inside a root filesystem as the container
// will see them, and mounts onto what it opened.
//
// The container's init prepares the root filesystem while it still sees
// the host's: it mounts /proc, /sys and /dev over directories of the
// rootfs and creates files under its /etc. Resolving those paths with an
// ordinary open(2) would follow a symbolic link in the rootfs out into the
// host ("proc -> /", "etc -> /etc"), and checking for links first does not
// help: whoever can write the rootfs can swap a directory for a link
// between the check and the use.
//
// So every path is opened with openat2(2) and RESOLVE_IN_ROOT (Linux
// 5.6): the kernel resolves it as if the rootfs were "/" — an absolute
// link restarts at the rootfs, ".." stops there — in one step that cannot
// be raced. A mount then goes onto the descriptor it got, through its
// magic link /proc/thread-self/fd/N, so the path is never resolved again.
// This is how runc does it.
package inroot

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Open opens path inside root (an open directory), resolving every
// component — symbolic links too — within it. flags are open(2) flags;
// mode is used with O_CREAT. openat2 returns EAGAIN when a rename or mount
// elsewhere raced the lookup; it is tried again.
func Open(root *os.File, path string, flags int, mode uint32) (*os.File, error) {
	how := unix.OpenHow{Flags: uint64(flags | unix.O_CLOEXEC), Mode: uint64(mode), Resolve: unix.RESOLVE_IN_ROOT}
	for try := 0; ; try++ {
		fd, err := unix.Openat2(int(root.Fd()), path, &how)
		if err == unix.EAGAIN && try < 100 {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "openat2 in root", Path: path, Err: err}
		}
		return os.NewFile(uintptr(fd), filepath.Join(root.Name(), path)), nil
	}
}

// Dir opens a directory inside root to mount on. It refuses the root
// itself: a link such as "proc -> /" resolves to it, and a mount there
// would cover the whole container.
func Dir(root *os.File, path string) (*os.File, error) {
	d, err := Open(root, path, unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		return nil, err
	}
	if same(d, root) {
		d.Close()
		return nil, fmt.Errorf("%s resolves to the root itself", path)
	}
	return d, nil
}

// File opens a regular file inside root to mount on, creating it empty if
// it is missing. A link is followed within the root (etc/resolv.conf ->
// ../run/resolv.conf is common in images). O_PATH opens nothing: a FIFO
// or a device planted there is looked at, not opened.
func File(root *os.File, path string) (*os.File, error) {
	f, err := Open(root, path, unix.O_PATH, 0)
	if errors.Is(err, unix.ENOENT) {
		// Missing, or a link to a missing file: O_CREAT creates it,
		// following a last link within the root.
		f, err = Open(root, path, unix.O_WRONLY|unix.O_CREAT|unix.O_NONBLOCK, 0o644)
	}
	if err != nil {
		return nil, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		f.Close()
		return nil, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		f.Close()
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	return f, nil
}

// same reports whether two open files are the same inode.
func same(a, b *os.File) bool {
	var sa, sb unix.Stat_t
	return unix.Fstat(int(a.Fd()), &sa) == nil && unix.Fstat(int(b.Fd()), &sb) == nil &&
		sa.Dev == sb.Dev && sa.Ino == sb.Ino
}

// Path is the magic link of an open file: mount(2) given this path mounts
// onto the very file that was opened, whatever its name now leads to.
// It checks once that /proc is a procfs, where these links exist.
func Path(f *os.File) (string, error) {
	if err := checkProc(); err != nil {
		return "", err
	}
	return fmt.Sprintf("/proc/thread-self/fd/%d", f.Fd()), nil
}

// checkProc makes sure /proc is the kernel's procfs and not something
// mounted over it, whose "fd" links could point anywhere.
func checkProc() error {
	var st unix.Statfs_t
	if err := unix.Statfs("/proc", &st); err != nil {
		return fmt.Errorf("statfs /proc: %w", err)
	}
	if st.Type != unix.PROC_SUPER_MAGIC {
		return fmt.Errorf("/proc is not a procfs (type %#x)", st.Type)
	}
	return nil
}

// MkdirAll creates a directory inside root, and its parents, each one
// made relative to its parent opened inside the root: a link on the way
// leads within the root too.
func MkdirAll(root *os.File, path string, mode uint32) error {
	parent, name := filepath.Split(filepath.Clean("/" + path))
	if name == "" {
		return nil // the root itself
	}
	if err := MkdirAll(root, parent, mode); err != nil {
		return err
	}
	dir, err := Open(root, parent, unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		return err
	}
	defer dir.Close()
	err = unix.Mkdirat(int(dir.Fd()), name, mode)
	if err == nil || errors.Is(err, unix.EEXIST) {
		return nil
	}
	return &os.PathError{Op: "mkdirat in root", Path: path, Err: err}
}
