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

// The container's root: copy-on-write by default. ./rootfs is shared by
// every container and every later run, so none of them may write to it.
// overlayfs stacks a writable layer over it: the rootfs is the read-only
// lower layer; the first write to a file copies it up into the upper
// layer, and the write goes there; a deletion leaves a whiteout (a 0:0
// character device) in the upper layer that hides the lower file; the
// work directory is overlayfs's scratch space, on the upper's filesystem.
// Upper and work live on a tmpfs of the container's own, with a size: a
// container can fill its layer, never the host's /run, and the layer
// goes when it does.
//
// Root modes:
//
//	overlay   (default) the rootfs read-only below a tmpfs layer
//	rw        --rootfs-rw: the rootfs directory itself, written through
//	ro        --read-only: the rootfs read-only, a tmpfs on /tmp and /run

// rootMode picks the root's mode from the flags.
func rootMode(f flags) (string, error) {
	switch {
	case f.rootfsRW && f.readOnly:
		return "", cli.Failf("--rootfs-rw and --read-only: choose one")
	case f.rootfsRW:
		return "rw", nil
	case f.readOnly:
		return "ro", nil
	}
	return "overlay", nil
}

// checkLowerPath refuses a rootfs path overlayfs's options could not
// hold: its paths are separated by ':' and its options by ','.
func checkLowerPath(rootfs string) error {
	if strings.ContainsAny(rootfs, ":,\\") {
		return cli.Failf("--rootfs %s: overlayfs cannot take a path with ':', ',' or '\\' — move it, or use --rootfs-rw", rootfs)
	}
	return nil
}

// parseSize reads --layer-size: a number of bytes with k, m or g.
func parseSize(s string) (string, error) {
	n := strings.TrimRight(strings.ToLower(s), "kmg")
	if n == "" || len(s)-len(n) > 1 || strings.TrimLeft(n, "0123456789") != "" || strings.Trim(n, "0") == "" {
		return "", cli.Failf("--layer-size %q: want a size such as 256m or 1g", s)
	}
	return strings.ToLower(s), nil
}

// mountLayer makes, as root, the tmpfs for the container's upper and work
// directories under its state directory. It is a mount on the host — so
// that the host can look at the upper layer while the container runs —
// removed with the container (unmountLayer).
func mountLayer(dir, size string, log *explain.Log) (string, error) {
	layer := filepath.Join(dir, "layer")
	if err := os.Mkdir(layer, 0o700); err != nil {
		return "", cli.Failf("layer: %w", err)
	}
	if err := mountns.MountFS("tmpfs", "nslab-layer", layer, unix.MS_NOSUID|unix.MS_NODEV, "mode=0700,size="+size, log); err != nil {
		return "", cli.Failf("layer: %w", err)
	}
	for _, d := range []string{"upper", "work"} {
		if err := os.Mkdir(filepath.Join(layer, d), 0o755); err != nil {
			return layer, cli.Failf("layer: %w", err)
		}
	}
	return layer, nil
}

// unmountLayer removes the layer's tmpfs, when one is mounted there: not
// in a rootless container (its layer is in its own mount namespace), nor
// in one whose runtime was killed before it got that far.
func unmountLayer(layer string) error {
	if !isMountPoint(layer) {
		return nil
	}
	if err := unix.Unmount(layer, unix.MNT_DETACH); err != nil {
		return fmt.Errorf("unmount %s: %w", layer, err)
	}
	return nil
}

// isMountPoint reports whether something is mounted on path: then it is
// on another device than its parent directory.
func isMountPoint(path string) bool {
	var st, parent unix.Stat_t
	return unix.Lstat(path, &st) == nil && unix.Lstat(filepath.Dir(path), &parent) == nil && st.Dev != parent.Dev
}

// mountRoot makes the rootfs directory a mount point carrying the root's
// mode, and returns it opened: pivot_root needs the new root to be a mount
// point, and everything after is done relative to it.
func mountRoot(s *spec, log *explain.Log) (*os.File, error) {
	r := s.Rootfs
	switch s.RootMode {
	case "overlay":
		if err := mountOverlay(s, log); err != nil {
			return nil, err
		}
	default:
		// Binding the directory onto itself makes it a mount point.
		if err := mountns.Bind(r, r, true, log); err != nil {
			return nil, err
		}
	}
	return os.Open(r)
}

// mountOverlay mounts the overlay on the rootfs directory itself, in the
// init's mount namespace: the lower layer's path is looked up before the
// mount covers it. Rootless, the layer's tmpfs is the init's own (a user
// namespace may mount tmpfs and overlayfs, Linux 5.11+), and overlayfs
// keeps its bookkeeping in user.* extended attributes (userxattr), which
// tmpfs stores only since Linux 6.6: the init tries one first.
func mountOverlay(s *spec, log *explain.Log) error {
	opts := "lowerdir=" + s.Rootfs + ",upperdir=" + filepath.Join(s.Layer, "upper") + ",workdir=" + filepath.Join(s.Layer, "work")
	if s.Rootless {
		if err := rootlessLayer(s, log); err != nil {
			return err
		}
		opts += ",userxattr"
	}
	log.Note("the rootfs is the read-only lower layer, writes go to the upper layer on a tmpfs")
	return mountns.MountFS("overlay", "overlay", s.Rootfs, 0, opts, log)
}

// rootlessLayer mounts the layer's tmpfs in the init's own mount
// namespace, and checks that it holds user.* extended attributes.
func rootlessLayer(s *spec, log *explain.Log) error {
	if err := mountns.MountFS("tmpfs", "nslab-layer", s.Layer, unix.MS_NOSUID|unix.MS_NODEV, "mode=0700,size="+s.LayerSize, log); err != nil {
		return err
	}
	if err := unix.Setxattr(s.Layer, "user.nslab", []byte("probe"), 0); err != nil {
		return cli.Failf("a rootless overlay needs tmpfs with user extended attributes (Linux 6.6): %w — use --rootfs-rw, or run as root", err)
	}
	for _, d := range []string{"upper", "work"} {
		if err := os.Mkdir(filepath.Join(s.Layer, d), 0o755); err != nil {
			return err
		}
	}
	return nil
}

// scratchDirs begins --read-only: a tmpfs on /tmp and /run, where
// programs expect to write — before the volumes, which may go below them.
func scratchDirs(root *os.File, log *explain.Log) error {
	for _, d := range []string{"tmp", "run"} {
		if err := mkdirInRoot(root, d); err != nil {
			// A rootfs without it that this user may not change: go on
			// without that tmpfs.
			log.Note("no /%s in the rootfs (%v): no tmpfs there", d, err)
			continue
		}
		magic, done, err := target(root, d, false, log)
		if err != nil {
			return err
		}
		err = mountns.MountFS("tmpfs", "tmpfs", magic, unix.MS_NOSUID|unix.MS_NODEV, "mode=1777,size=64m", log)
		done()
		if err != nil {
			return err
		}
	}
	return nil
}

// readOnlyRoot ends --read-only: the root itself read-only. The remount
// must keep the flags a rootless container's bind inherited locked from
// the host (nosuid, nodev).
func readOnlyRoot(root *os.File, log *explain.Log) error {
	magic, err := inroot.Path(root)
	if err != nil {
		return err
	}
	return mountns.Remount(magic, unix.MS_RDONLY|lockedFlags(root), log)
}

// mkdirInRoot creates a directory of the rootfs if it is missing.
func mkdirInRoot(root *os.File, path string) error {
	err := unix.Mkdirat(int(root.Fd()), path, 0o755)
	if err == nil || errors.Is(err, unix.EEXIST) {
		return nil
	}
	return fmt.Errorf("mkdir /%s: %w", path, err)
}

// lockedFlags are the nosuid, nodev and noexec flags a mount already has:
// in a user namespace the kernel refuses a remount that would drop one the
// host set.
func lockedFlags(f *os.File) uintptr {
	var st unix.Statfs_t
	if unix.Fstatfs(int(f.Fd()), &st) != nil {
		return 0
	}
	var flags uintptr
	for _, m := range []struct{ st, ms uintptr }{
		{unix.ST_NOSUID, unix.MS_NOSUID}, {unix.ST_NODEV, unix.MS_NODEV}, {unix.ST_NOEXEC, unix.MS_NOEXEC},
	} {
		if uintptr(st.Flags)&m.st != 0 {
			flags |= m.ms
		}
	}
	return flags
}
