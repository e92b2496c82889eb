package main

import (
	"os"
	"syscall"

	"nslab/03-user/caps"
	"nslab/03-user/userns"
	"nslab/internal/explain"
)

// The user namespace, chapter 03, for a rootless container: the runtime
// maps the caller's uid and gid to root inside, by hand, while the init
// waits for its spec.

// mapToRoot writes "0 UID 1", setgroups "deny" and "0 GID 1" for the init.
func mapToRoot(pid int, log *explain.Log) error {
	uids, gids := userns.Single(os.Getuid()), userns.Single(os.Getgid())
	if err := userns.WriteMaps(pid, uids, gids, true, nil, log); err != nil {
		return err
	}
	return nil
}

// keepCapabilities makes the init's capabilities survive its execve. The
// init is executed right after clone, before the runtime has written its
// maps: as an unmapped uid, for which execve(2) drops every capability
// (chapter 03). Ambient capabilities are kept.
func keepCapabilities(attr *syscall.SysProcAttr) {
	attr.AmbientCaps = allCaps()
}

// allCaps lists every capability this kernel knows.
func allCaps() []uintptr {
	var all []uintptr
	last := caps.Last()
	for c := 0; c <= last; c++ {
		all = append(all, uintptr(c))
	}
	return all
}
