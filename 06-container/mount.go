package main

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"nslab/02-mount/mountns"
	"nslab/06-container/inroot"
	"nslab/internal/cli"
	"nslab/internal/explain"
)

// buildRoot turns the rootfs directory into the container's "/": chapter
// 02's private mount tree, the root's layer (layer.go), then /proc, /sys,
// /dev, the /etc files and the volumes, then pivot_root (or, with
// --chroot, the escapable chroot), and last the masks over /proc and
// /sys, made from the container's own /dev/null.
//
// Until pivot_root the init still sees the host's tree, so every path in
// the rootfs is opened inside it (package inroot) and mounted on through
// the descriptor: a symbolic link in the rootfs, even one swapped in
// while the init works, cannot lead a mount or a new file onto the host.
func buildRoot(s *spec, log *explain.Log) error {
	log.Note("private first: nothing mounted from here on may reach the host")
	if err := mountns.SetPropagation("/", "private", true, log); err != nil {
		return err
	}
	root, err := mountRoot(s, log)
	if err != nil {
		return err
	}
	defer root.Close()
	if s.RootMode == "ro" {
		if err := scratchDirs(root, log); err != nil {
			return err
		}
	}
	if err := mountProcAndSys(root, log); err != nil {
		return err
	}
	if err := makeDev(root, s.Rootless, log); err != nil {
		return err
	}
	if err := mountEtc(root, s, log); err != nil {
		return err
	}
	if err := mountVolumes(root, s.Volumes, log); err != nil {
		return err
	}
	if s.RootMode == "ro" {
		if err := readOnlyRoot(root, log); err != nil {
			return err
		}
	}
	if s.Chroot {
		err = enterChroot(root, log)
	} else {
		err = pivotRoot(root, log)
	}
	if err != nil || !s.Protect.MaskProc {
		return err
	}
	return maskProc(log)
}

// target opens a directory (or, with file, a regular file) of the rootfs
// inside the root, and returns the path mount(2) is given: the
// descriptor's magic link. done closes the descriptor once the mount is
// made.
func target(root *os.File, path string, file bool, log *explain.Log) (magic string, done func(), err error) {
	var f *os.File
	if file {
		f, err = inroot.File(root, path)
	} else {
		f, err = inroot.Dir(root, path)
	}
	if err != nil {
		return "", nil, cli.Failf("/%s of the root filesystem: %w", path, err)
	}
	if magic, err = inroot.Path(f); err != nil {
		f.Close()
		return "", nil, err
	}
	log.Note("%s is /%s of the root filesystem, opened inside it (openat2 RESOLVE_IN_ROOT)", magic, path)
	return magic, func() { f.Close() }, nil
}

// mountProcAndSys mounts the container's /proc and a read-only /sys. The
// new proc instance belongs to the init's PID namespace; the kernel allows
// sysfs only in a network namespace the caller's user namespace owns
// (sysfs shows network devices), which a container always has.
func mountProcAndSys(root *os.File, log *explain.Log) error {
	mounts := []struct {
		fstype, path string
		flags        uintptr
	}{
		{"proc", "proc", unix.MS_NOSUID | unix.MS_NOEXEC | unix.MS_NODEV},
		{"sysfs", "sys", unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NOEXEC | unix.MS_NODEV},
	}
	for _, m := range mounts {
		magic, done, err := target(root, m.path, false, log)
		if err != nil {
			return err
		}
		err = mountns.MountFS(m.fstype, m.fstype, magic, m.flags, "", log)
		done()
		if err != nil {
			return err
		}
	}
	return nil
}

// pivotRoot makes rootfs the root of this mount namespace and detaches the
// old root entirely: afterwards, no path leads back to the host's files.
//
// pivot_root(".", ".") is the trick the man page documents: with new_root
// and put_old the same directory, the old root ends up mounted on top of
// the new one, at "/", where umount2(".", MNT_DETACH) removes it — no
// directory for the old root has to be made in the rootfs.
//
// LAB 6.1 (guided): fchdir into the root, pivot_root(".", "."), then
// umount2(".", MNT_DETACH) and chdir("/") — docs/06-container.md
// "chroot is not a jail", pivot_root(2) "NOTES".
// Checked by TestChrootEscape.
func pivotRoot(root *os.File, log *explain.Log) error {
	if err := root.Chdir(); err != nil {
		return err
	}
	log.Step(`fchdir(rootfs); pivot_root(".", ".")`, "cd "+root.Name()+" && pivot_root . .")
	if err := unix.PivotRoot(".", "."); err != nil {
		return cli.Failf("pivot_root: %w", err)
	}
	if err := mountns.Unmount(".", true, log); err != nil {
		return err
	}
	log.Step(`chdir("/")`, "cd /")
	return os.Chdir("/")
}

// enterChroot is what --chroot does instead: change this process's root
// directory only. The host's mount tree is still there, reachable by a
// root process that calls chroot(2) again (docs/06-container.md shows how).
func enterChroot(root *os.File, log *explain.Log) error {
	log.Note("--chroot: the old root stays mounted, and root inside can escape to it")
	log.Step(`fchdir(rootfs); chroot("."); chdir("/")`, "chroot "+root.Name())
	if err := root.Chdir(); err != nil {
		return err
	}
	if err := unix.Chroot("."); err != nil {
		return cli.Failf("chroot: %w", err)
	}
	return os.Chdir("/")
}

// enterWorkdir changes to the working directory and checks that it is
// inside the new root: getcwd(2) prefixes "(unreachable)" to a directory
// that is not below the process's root.
func enterWorkdir(dir string, log *explain.Log) error {
	log.Step(fmt.Sprintf("chdir(%q)", dir), "cd "+dir)
	if err := os.Chdir(dir); err != nil {
		return cli.Failf("-w %s: %w", dir, err)
	}
	cwd, err := unix.Getwd()
	if err != nil || !strings.HasPrefix(cwd, "/") {
		return cli.Failf("-w %s: the working directory is outside the container's root (%q)", dir, cwd)
	}
	return nil
}
