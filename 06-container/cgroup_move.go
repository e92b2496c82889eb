//go:build !go1.20 || nslab_move

package main

import (
	"os"
	"syscall"
)

// bornIn cannot ask for CLONE_INTO_CGROUP: Go 1.19's SysProcAttr has no
// field for it (cgroup_born.go, with Go 1.20 or newer, does). The runtime
// moves the init into its cgroup after the clone instead. make bench
// builds this way on purpose too (-tags nslab_move), to show both.
func bornIn(*syscall.SysProcAttr, *os.File) bool { return false }
