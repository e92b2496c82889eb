package main

import (
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"nslab/02-mount/mountns"
	"nslab/internal/explain"
)

// The container's /etc/hostname, /etc/hosts and /etc/resolv.conf are
// bound over the rootfs's own, so the shared rootfs on disk is never
// written. They live on a small tmpfs that the init mounts for itself, in
// its own mount namespace (over the etc directory of its state directory:
// the host sees an empty directory there): writing 100 MB into /etc/hosts
// fills 64 KiB of the container's memory, not the host's /run. Every bind is nosuid, nodev and
// noexec, so no program the container writes there can ever run as
// setuid root; hostname and resolv.conf are read-only besides.

// etcFiles are the three files, and whether the container may write them.
var etcFiles = []struct {
	name     string
	writable bool
}{{"hostname", false}, {"hosts", true}, {"resolv.conf", false}}

// mountEtc writes the files and binds them over the rootfs's.
func mountEtc(root *os.File, s *spec, log *explain.Log) error {
	dir := filepath.Join(s.StateDir, "etc")
	if err := mountns.MountFS("tmpfs", "nslab-etc", dir, unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "size=64k,mode=755", log); err != nil {
		return err
	}
	for _, e := range etcFiles {
		source := filepath.Join(dir, e.name)
		if err := os.WriteFile(source, []byte(s.Etc[e.name]), 0o644); err != nil {
			return err
		}
		if err := bindEtcFile(root, source, e.name, e.writable, log); err != nil {
			return err
		}
	}
	return nil
}

// bindEtcFile binds one file over /etc/NAME of the rootfs (created empty
// if missing), then remounts the bind with its flags: a bind takes them
// from a second mount call, not the first. The remount needs the new
// mount itself, so the path is opened inside the root once more: the
// first descriptor names the file underneath.
func bindEtcFile(root *os.File, source, name string, writable bool, log *explain.Log) error {
	path := "etc/" + name
	magic, done, err := target(root, path, true, log)
	if err != nil {
		return err
	}
	err = mountns.Bind(source, magic, false, log)
	done()
	if err != nil {
		return err
	}
	flags := uintptr(unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC)
	if !writable {
		flags |= unix.MS_RDONLY
	}
	magic, done, err = target(root, path, true, log)
	if err != nil {
		return err
	}
	defer done()
	return mountns.Remount(magic, flags, log)
}
