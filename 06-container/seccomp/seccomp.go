// Package seccomp builds and installs the container's system call filter:
// a classic BPF program, the same bytecode tcpdump uses, that the kernel
// runs on every system call of the filtered thread and its descendants.
//
// The program sees a struct seccomp_data — the call's number, the
// architecture it was made in, and its arguments — and returns an action.
// This one checks the architecture first (a number means a different
// call on another ABI: on x86-64, 32-bit and x32 calls use other tables),
// then answers EPERM to each call in Denied and allows the rest.
package seccomp

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A rule is one denied system call, and the reason it is denied.
type rule struct {
	Name string
	Why  string
}

// Denied are the calls a container may not make. Most also need a
// capability the container does not have; the filter is a second wall,
// and the only one for keyctl, add_key, request_key and userfaultfd, which
// need no capability at all.
var Denied = []rule{
	{"kexec_load", "loads a new kernel to boot into"},
	{"kexec_file_load", "loads a new kernel to boot into"},
	{"init_module", "loads code into the kernel"},
	{"finit_module", "loads code into the kernel"},
	{"delete_module", "unloads kernel code the host relies on"},
	{"open_by_handle_at", "opens any file of a filesystem by handle, outside the container's root (the 2014 \"shocker\" escape)"},
	{"keyctl", "the kernel keyring is not namespaced: the host's keys"},
	{"add_key", "the kernel keyring is not namespaced"},
	{"request_key", "the kernel keyring is not namespaced"},
	{"bpf", "loads programs into the kernel"},
	{"perf_event_open", "observes other processes and the kernel"},
	{"userfaultfd", "a favourite tool for winning kernel races in exploits"},
	{"swapon", "changes the host's swap"},
	{"swapoff", "changes the host's swap"},
	{"acct", "switches process accounting for the whole host"},
	{"settimeofday", "the clock is not namespaced: sets the host's time"},
	{"clock_settime", "the clock is not namespaced: sets the host's time"},
	{"clock_adjtime", "the clock is not namespaced: adjusts the host's time"},
	{"adjtimex", "the clock is not namespaced: adjusts the host's time"},
}

// Offsets into struct seccomp_data { int nr; __u32 arch; __u64 ip; __u64 args[6]; }.
const (
	offsetNr   = 0
	offsetArch = 4
)

// Actions a filter returns (the low 16 bits of RET_ERRNO carry the errno).
const (
	retAllow = unix.SECCOMP_RET_ALLOW
	retErrno = unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)
	retKill  = unix.SECCOMP_RET_KILL_PROCESS
)

func stmt(code uint16, k uint32) unix.SockFilter {
	return unix.SockFilter{Code: code, K: k}
}

func jump(code uint16, k uint32, jt, jf uint8) unix.SockFilter {
	return unix.SockFilter{Code: code, Jt: jt, Jf: jf, K: k}
}

// Filter builds the program for this machine's architecture:
//
//	load arch;  if arch != AUDIT_ARCH: kill the process
//	load nr;    if nr >= the x32 bit: EPERM        (x86-64 only)
//	            if nr == denied[i]:   EPERM        (one test per call)
//	allow
//
// A call from a foreign ABI is killed rather than refused: its numbers
// mean other calls, so the rest of the program would check the wrong
// ones.
func Filter() ([]unix.SockFilter, error) {
	var nrs []uint32
	for _, r := range Denied {
		nr, ok := numbers[r.Name]
		if !ok {
			return nil, fmt.Errorf("seccomp: no number for %s on this architecture", r.Name)
		}
		nrs = append(nrs, nr)
	}
	prog := []unix.SockFilter{
		stmt(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, offsetArch),
		jump(unix.BPF_JMP|unix.BPF_JEQ|unix.BPF_K, auditArch, 1, 0),
		stmt(unix.BPF_RET|unix.BPF_K, retKill),
		stmt(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, offsetNr),
	}
	if x32Bit != 0 {
		prog = append(prog,
			jump(unix.BPF_JMP|unix.BPF_JGE|unix.BPF_K, x32Bit, 0, 1),
			stmt(unix.BPF_RET|unix.BPF_K, retErrno))
	}
	for _, nr := range nrs {
		prog = append(prog,
			jump(unix.BPF_JMP|unix.BPF_JEQ|unix.BPF_K, nr, 0, 1),
			stmt(unix.BPF_RET|unix.BPF_K, retErrno))
	}
	return append(prog, stmt(unix.BPF_RET|unix.BPF_K, retAllow)), nil
}

// Install attaches the program to the calling thread, and so to every
// process it starts afterwards; it can never be removed. The kernel
// requires no_new_privs first, or CAP_SYS_ADMIN.
func Install(prog []unix.SockFilter) error {
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	return unix.Prctl(unix.PR_SET_SECCOMP, unix.SECCOMP_MODE_FILTER, uintptr(unsafe.Pointer(&fprog)), 0, 0)
}

// Number returns the number of a system call on this architecture.
func Number(name string) (uint32, bool) {
	nr, ok := numbers[name]
	return nr, ok
}
