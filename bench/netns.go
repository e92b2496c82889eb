package main

import (
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// ip netns add turns /run/netns into a shared bind mount of itself the
// first time it runs (so that named namespaces propagate into other mount
// namespaces), and leaves it so. The benchmark puts /run/netns back the way
// it found it.

type netnsDir struct{ existed, mounted bool }

var netnsBefore netnsDir

func netnsState() netnsDir {
	_, err := os.Stat("/run/netns")
	return netnsDir{existed: err == nil, mounted: mountedAt("/run/netns")}
}

func restoreNetns(before netnsDir) {
	if !before.mounted && mountedAt("/run/netns") {
		unix.Unmount("/run/netns", unix.MNT_DETACH)
	}
	if !before.existed {
		os.Remove("/run/netns") // only if empty
	}
}

func mountedAt(path string) bool {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 4 && f[4] == path {
			return true
		}
	}
	return false
}
