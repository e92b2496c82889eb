package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"nslab/02-mount/mountns"
	"nslab/internal/cli"
	"nslab/internal/explain"
)

// buildRoot turns the rootfs directory into the container's "/": chapter
// 02's private mount tree, then /proc, /sys, /dev and the /etc files, then
// pivot_root (or, with --chroot, the escapable chroot).
func buildRoot(s *spec, log *explain.Log) error {
	r := s.Rootfs
	log.Note("private first: nothing mounted from here on may reach the host")
	if err := mountns.SetPropagation("/", "private", true, log); err != nil {
		return err
	}
	// pivot_root needs the new root to be a mount point; binding the
	// directory onto itself makes it one.
	if err := mountns.Bind(r, r, true, log); err != nil {
		return err
	}
	if err := mountns.MountFS("proc", "proc", filepath.Join(r, "proc"), unix.MS_NOSUID|unix.MS_NOEXEC|unix.MS_NODEV, "", log); err != nil {
		return err
	}
	if err := mountSys(filepath.Join(r, "sys"), log); err != nil {
		return err
	}
	if s.Protect.MaskProc {
		if err := maskProc(r, log); err != nil {
			return err
		}
	}
	if err := makeDev(filepath.Join(r, "dev"), s.Rootless, log); err != nil {
		return err
	}
	if err := mountEtc(r, s.EtcDir, log); err != nil {
		return err
	}
	if s.Chroot {
		return enterChroot(r, log)
	}
	return pivotRoot(r, log)
}

// mountSys mounts a read-only sysfs. The kernel allows it only in a
// network namespace the caller's user namespace owns (sysfs shows network
// devices), which a container always has.
func mountSys(target string, log *explain.Log) error {
	flags := uintptr(unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NOEXEC | unix.MS_NODEV)
	if err := mountns.MountFS("sysfs", "sysfs", target, flags, "", log); err != nil {
		return err
	}
	return nil
}

// mountEtc binds the container's hostname, hosts and resolv.conf over the
// rootfs's own, so that the shared rootfs on disk is never written. A
// missing target is created empty.
func mountEtc(rootfs, etcDir string, log *explain.Log) error {
	for _, name := range []string{"hostname", "hosts", "resolv.conf"} {
		target := filepath.Join(rootfs, "etc", name)
		if _, err := os.Lstat(target); os.IsNotExist(err) {
			if f, err := os.OpenFile(target, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644); err == nil {
				f.Close()
			}
		}
		if err := mountns.Bind(filepath.Join(etcDir, name), target, false, log); err != nil {
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
func pivotRoot(rootfs string, log *explain.Log) error {
	if err := os.Chdir(rootfs); err != nil {
		return err
	}
	log.Step(`pivot_root(".", ".")`, "cd "+rootfs+" && pivot_root . .")
	if err := unix.PivotRoot(".", "."); err != nil {
		return cli.Failf("pivot_root: %w", err)
	}
	if err := mountns.Unmount(".", true, log); err != nil {
		return err
	}
	log.Step(`chdir("/")`, "cd /")
	return chdirRoot()
}

// enterChroot is what --chroot does instead: change this process's root
// directory only. The host's mount tree is still there, reachable by a
// root process that calls chroot(2) again (docs/06-container.md shows how).
func enterChroot(rootfs string, log *explain.Log) error {
	log.Note("--chroot: the old root stays mounted, and root inside can escape to it")
	log.Step(fmt.Sprintf("chroot(%q); chdir(\"/\")", rootfs), "chroot "+rootfs)
	if err := unix.Chroot(rootfs); err != nil {
		return cli.Failf("chroot: %w", err)
	}
	return chdirRoot()
}

func chdirRoot() error {
	if err := os.Chdir("/"); err != nil {
		return err
	}
	return nil
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
