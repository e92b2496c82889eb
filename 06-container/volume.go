package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"nslab/02-mount/mountns"
	"nslab/06-container/inroot"
	"nslab/internal/cli"
	"nslab/internal/explain"
)

// Volumes: --volume HOST:CONTAINER[:ro] (docker run's -v; here, as in every
// chapter, -v is explain mode), a directory or file of the host bound
// into the container. The bind is made by the init, from inside the
// container's mount namespace, before pivot_root — while the host's path
// is still in its view. A descriptor opened in the host's namespace could
// not be mounted there: a mount may only be attached in the namespace its
// source belongs to. The container's path is resolved inside the root
// (package inroot) and created if missing: in the upper layer of the
// overlay, never in ./rootfs. ":ro" is read-only all the way down: the
// bind is recursive (submounts come along), and so is the read-only flag.

// volume is one --volume.
type volume struct {
	Host      string
	Container string
	ReadOnly  bool
	Dir       bool // the host's side is a directory (else a file)
}

// parseVolumes checks every --volume before anything is created.
func parseVolumes(specs []string) ([]volume, error) {
	var vols []volume
	for _, s := range specs {
		v, err := parseVolume(s)
		if err != nil {
			return nil, cli.Failf("--volume %q: %w", s, err)
		}
		vols = append(vols, v)
	}
	return vols, nil
}

// parseVolume reads HOST:CONTAINER[:ro|:rw].
func parseVolume(s string) (volume, error) {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return volume{}, errors.New("want HOST:CONTAINER or HOST:CONTAINER:ro")
	}
	v := volume{Host: parts[0], Container: parts[1]}
	if len(parts) == 3 {
		switch parts[2] {
		case "ro":
			v.ReadOnly = true
		case "rw":
		default:
			return v, fmt.Errorf("unknown option %q — want ro or rw", parts[2])
		}
	}
	for _, p := range []struct{ what, path string }{{"the host's path", v.Host}, {"the container's path", v.Container}} {
		if err := checkVolumePath(p.what, p.path); err != nil {
			return v, err
		}
	}
	if v.Container == "/" {
		return v, errors.New("the container's path is its root — choose a directory inside")
	}
	fi, err := os.Stat(v.Host)
	if err != nil {
		return v, fmt.Errorf("the host's path: %w", err)
	}
	v.Dir = fi.IsDir()
	return v, nil
}

// checkVolumePath wants an absolute, clean path without "..": a volume
// path that climbs is almost certainly a mistake, whatever it would
// resolve to.
func checkVolumePath(what, p string) error {
	if !strings.HasPrefix(p, "/") {
		return fmt.Errorf("%s %q is not absolute", what, p)
	}
	for _, part := range strings.Split(p, "/") {
		if part == ".." {
			return fmt.Errorf("%s %q climbs with \"..\" components", what, p)
		}
	}
	if filepath.Clean(p) != p {
		return fmt.Errorf("%s %q is not clean (want %s)", what, p, filepath.Clean(p))
	}
	return nil
}

// mountVolumes binds each volume into the root filesystem.
func mountVolumes(root *os.File, vols []volume, log *explain.Log) error {
	for _, v := range vols {
		if err := mountVolume(root, v, log); err != nil {
			return cli.Failf("--volume %s:%s: %w", v.Host, v.Container, err)
		}
	}
	return nil
}

// mountVolume makes the container's side if missing, binds the host's
// side over it, and makes it read-only with :ro.
func mountVolume(root *os.File, v volume, log *explain.Log) error {
	path := strings.TrimPrefix(v.Container, "/")
	if v.Dir {
		if err := inroot.MkdirAll(root, path, 0o755); err != nil {
			return err
		}
	} else if err := inroot.MkdirAll(root, filepath.Dir(path), 0o755); err != nil {
		return err
	}
	magic, done, err := target(root, path, !v.Dir, log)
	if err != nil {
		return err
	}
	err = mountns.Bind(v.Host, magic, true, log)
	done()
	if err != nil || !v.ReadOnly {
		return err
	}
	// The read-only flag goes on the new mount: open the path again, to
	// get the mount rather than what it covers.
	magic, done, err = target(root, path, !v.Dir, log)
	if err != nil {
		return err
	}
	defer done()
	return readOnlyTree(magic, log)
}

// readOnlyTree makes a mount and every mount below it read-only.
// mount_setattr(2) (Linux 5.12) does it in one call with AT_RECURSIVE,
// and sets only the flag asked for, so a flag the kernel locked (nosuid,
// nodev from the host, in a user namespace) stays. Older kernels get one
// remount per mount.
func readOnlyTree(magic string, log *explain.Log) error {
	log.Step(fmt.Sprintf("mount_setattr(AT_FDCWD, %q, AT_RECURSIVE, {attr_set: MOUNT_ATTR_RDONLY})", magic), "mount -o bind,remount,ro -R "+magic)
	attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}
	err := unix.MountSetattr(unix.AT_FDCWD, magic, unix.AT_RECURSIVE, &attr)
	if !errors.Is(err, unix.ENOSYS) {
		return err
	}
	return remountEachReadOnly(magic, log)
}

// remountEachReadOnly is readOnlyTree for kernels before 5.12: the mount
// and each below it remounted read-only, keeping the flags it has.
func remountEachReadOnly(magic string, log *explain.Log) error {
	top, err := os.Readlink(magic)
	if err != nil {
		return err
	}
	mounts, err := mountns.Read("/proc/self/mountinfo")
	if err != nil {
		return err
	}
	for _, m := range mountns.Under(mounts, top) {
		f, err := os.Open(m.MountPoint)
		if err != nil {
			return err
		}
		err = mountns.Remount(m.MountPoint, unix.MS_RDONLY|lockedFlags(f), log)
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}
