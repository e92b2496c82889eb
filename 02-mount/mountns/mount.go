package mountns

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"

	"nslab/internal/explain"
)

// msFlag names one mount(2) flag and the mount(8) option that sets it.
type msFlag struct {
	flag   uintptr
	name   string
	option string
}

var msFlags = []msFlag{
	{unix.MS_RDONLY, "MS_RDONLY", "ro"},
	{unix.MS_NOSUID, "MS_NOSUID", "nosuid"},
	{unix.MS_NODEV, "MS_NODEV", "nodev"},
	{unix.MS_NOEXEC, "MS_NOEXEC", "noexec"},
	{unix.MS_REMOUNT, "MS_REMOUNT", "remount"},
	{unix.MS_BIND, "MS_BIND", "bind"},
	{unix.MS_REC, "MS_REC", ""},
	{unix.MS_PRIVATE, "MS_PRIVATE", ""},
	{unix.MS_SLAVE, "MS_SLAVE", ""},
	{unix.MS_SHARED, "MS_SHARED", ""},
	{unix.MS_UNBINDABLE, "MS_UNBINDABLE", ""},
}

// FlagNames spells out mount(2) flags: "MS_REC|MS_PRIVATE".
func FlagNames(flags uintptr) string {
	var names []string
	for _, f := range msFlags {
		if flags&f.flag != 0 {
			names = append(names, f.name)
		}
	}
	if len(names) == 0 {
		return "0"
	}
	return strings.Join(names, "|")
}

// options returns the mount(8) options for flags, for the shell twin.
func options(flags uintptr, data string) string {
	var opts []string
	for _, f := range msFlags {
		if flags&f.flag != 0 && f.option != "" {
			opts = append(opts, f.option)
		}
	}
	if data != "" {
		opts = append(opts, data)
	}
	return strings.Join(opts, ",")
}

// Propagations maps the names mount(8) uses to the flags that set them.
var Propagations = map[string]uintptr{
	"private":    unix.MS_PRIVATE,
	"slave":      unix.MS_SLAVE,
	"shared":     unix.MS_SHARED,
	"unbindable": unix.MS_UNBINDABLE,
}

// SetPropagation changes how mount and unmount events travel between
// target and its peers. With recursive, every mount beneath target changes
// too — what "mount --make-rprivate /" does. Only the caller's mount
// namespace is affected.
//
// LAB 2.1 (guided): look the kind up in Propagations and mount(2) with
// no source and that flag (MS_REC with recursive) — docs/02-mount.md,
// mount_namespaces(7) "Shared subtrees".
// Checked by TestNoLeakOnSystemdLikeHost.
func SetPropagation(target, kind string, recursive bool, log *explain.Log) error {
	flag, ok := Propagations[kind]
	if !ok {
		return fmt.Errorf("unknown propagation %q: want private, slave, shared or unbindable", kind)
	}
	shell := "mount --make-" + kind + " " + target
	if recursive {
		flag |= unix.MS_REC
		shell = "mount --make-r" + kind + " " + target
	}
	log.Step(fmt.Sprintf("mount(NULL, %q, NULL, %s, NULL)", target, FlagNames(flag)), shell)
	if err := unix.Mount("", target, "", flag, ""); err != nil {
		return fmt.Errorf("make %s %s: %w", target, kind, err)
	}
	return nil
}

// MountFS mounts a filesystem of type fstype (tmpfs, proc, sysfs...) on
// target. source is the name that mountinfo will show for it.
func MountFS(fstype, source, target string, flags uintptr, data string, log *explain.Log) error {
	shell := fmt.Sprintf("mount -t %s", fstype)
	if opts := options(flags, data); opts != "" {
		shell += " -o " + opts
	}
	log.Step(fmt.Sprintf("mount(%q, %q, %q, %s, %q)", source, target, fstype, FlagNames(flags), data),
		shell+" "+source+" "+target)
	if err := unix.Mount(source, target, fstype, flags, data); err != nil {
		return fmt.Errorf("mount %s on %s: %w", fstype, target, err)
	}
	return nil
}

// Bind makes the directory (or file) source visible at target as well:
// one filesystem tree, two places. With recursive, the mounts beneath
// source come along (--rbind).
//
// LAB 2.2 (open): mount(2) source on target with MS_BIND (and MS_REC) —
// docs/02-mount.md, mount(2) "Creating a bind mount".
// Checked by TestTmpfsAndBindInside.
func Bind(source, target string, recursive bool, log *explain.Log) error {
	flags := uintptr(unix.MS_BIND)
	shell := "mount --bind "
	if recursive {
		flags |= unix.MS_REC
		shell = "mount --rbind "
	}
	log.Step(fmt.Sprintf("mount(%q, %q, NULL, %s, NULL)", source, target, FlagNames(flags)), shell+source+" "+target)
	if err := unix.Mount(source, target, "", flags, ""); err != nil {
		return fmt.Errorf("bind %s on %s: %w", source, target, err)
	}
	return nil
}

// Remount sets the flags of an existing bind mount (MS_RDONLY, MS_NOSUID,
// ...). A bind mount takes its flags from a second mount call: the first
// one cannot set them. In a user namespace the kernel refuses to clear a
// flag the original mount had locked (nosuid, nodev, noexec on a mount
// from the host), so give them again.
func Remount(target string, flags uintptr, log *explain.Log) error {
	flags |= unix.MS_REMOUNT | unix.MS_BIND
	log.Step(fmt.Sprintf("mount(NULL, %q, NULL, %s, NULL)", target, FlagNames(flags)),
		"mount -o "+options(flags, "")+" "+target)
	if err := unix.Mount("", target, "", flags, ""); err != nil {
		return fmt.Errorf("remount %s: %w", target, err)
	}
	return nil
}

// Unmount removes the mount at target. With detach (MNT_DETACH, "umount
// -l") it disappears from the tree at once and is freed once unused.
func Unmount(target string, detach bool, log *explain.Log) error {
	flags, call, shell := 0, "umount2(%q, 0)", "umount "
	if detach {
		flags, call, shell = unix.MNT_DETACH, "umount2(%q, MNT_DETACH)", "umount -l "
	}
	log.Step(fmt.Sprintf(call, target), shell+target)
	if err := unix.Unmount(target, flags); err != nil {
		return fmt.Errorf("unmount %s: %w", target, err)
	}
	return nil
}
