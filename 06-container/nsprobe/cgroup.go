package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

func init() {
	register("cgroup-mount", "DIR [plant]", "in a new cgroup namespace, mount cgroup2 on DIR, count the cgroups and processes seen (plant: make a cgroup)", cgroupMount)
}

// cgroupMount is the first half of the cgroup escape: a cgroup namespace
// of one's own, a cgroup2 mount, and a look at every cgroup it shows —
// whose cgroup.kill would end the processes in it. Run it in a user
// namespace that owns its mount namespace (unshare -U -r -m). A cgroup
// namespace belongs to a thread until the next clone, so this runs on a
// locked thread, and the mount is made from it.
func cgroupMount(args []string) error {
	if len(args) != 1 && (len(args) != 2 || args[1] != "plant") {
		return errUsage
	}
	runtime.LockOSThread()
	if err := unix.Unshare(unix.CLONE_NEWCGROUP); err != nil {
		return fmt.Errorf("unshare(CLONE_NEWCGROUP): %w", err)
	}
	if err := unix.Mount("none", args[0], "cgroup2", 0, ""); err != nil {
		return fmt.Errorf("mount cgroup2: %w", err)
	}
	entries, err := os.ReadDir(args[0])
	if err != nil {
		return err
	}
	n := 0
	for _, e := range entries {
		if e.IsDir() {
			fmt.Printf("cgroup-mount: sees cgroup %s\n", e.Name())
			n++
		}
	}
	fmt.Printf("cgroup-mount: %d cgroups below the root of the view\n", n)
	procs, err := os.ReadFile(filepath.Join(args[0], "cgroup.procs"))
	if err != nil {
		return err
	}
	fmt.Printf("cgroup-mount: %d processes in it\n", strings.Count(string(procs), "\n"))
	if len(args) == 1 {
		return nil
	}
	if err := os.Mkdir(filepath.Join(args[0], "planted"), 0o755); err != nil {
		return err
	}
	fmt.Println("cgroup-mount: made a cgroup")
	return nil
}
