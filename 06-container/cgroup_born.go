//go:build go1.20 && !nslab_move

package main

import (
	"os"
	"syscall"
)

// bornIn asks the clone of the init to place it in its cgroup at once:
// clone3(2) with CLONE_INTO_CGROUP (Linux 5.7), which Go 1.20's
// SysProcAttr.UseCgroupFD passes. Moving the init after the clone — a
// write to cgroup.procs — takes the writer side of the kernel's cgroup
// threadgroup lock, which waits for an RCU grace period: 3 to 10 ms
// here, the largest row of --timings with --net=none. A process born in
// its cgroup takes only the reader side, as every fork does. It reports
// whether this Go can ask; built with Go 1.19, it cannot (cgroup_move.go).
func bornIn(attr *syscall.SysProcAttr, dir *os.File) bool {
	attr.UseCgroupFD, attr.CgroupFD = true, int(dir.Fd())
	return true
}
