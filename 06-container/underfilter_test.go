package main

import (
	"fmt"
	"os"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"

	"nslab/06-container/seccomp"
)

// underClone3Filter, set in the environment of this test binary, makes it
// a wrapper instead: it refuses clone3 to itself with ENOSYS, as the
// seccomp profiles of older container engines do, then becomes the
// command its arguments name — the runtime, which inherits the filter.
const underClone3Filter = "NSLAB_TEST_UNDER_CLONE3_FILTER"

// runUnderClone3Filter never returns: it execs os.Args[1:], or exits 125.
func runUnderClone3Filter() {
	runtime.LockOSThread() // the filter is the thread's; exec keeps this one
	prog := []unix.SockFilter{
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 0}, // seccomp_data.nr
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, K: unix.SYS_CLONE3, Jt: 0, Jf: 1},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
	}
	if err := seccomp.Install(prog); err != nil {
		fmt.Fprintln(os.Stderr, "installing the clone3 filter:", err)
		os.Exit(125)
	}
	env := []string{}
	for _, kv := range os.Environ() {
		if len(kv) <= len(underClone3Filter) || kv[:len(underClone3Filter)+1] != underClone3Filter+"=" {
			env = append(env, kv)
		}
	}
	err := syscall.Exec(os.Args[1], os.Args[1:], env)
	fmt.Fprintln(os.Stderr, "exec:", err)
	os.Exit(125)
}
