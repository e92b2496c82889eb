// Package seccomp builds and installs the container's system call filter:
// a classic BPF program, the same bytecode tcpdump uses, that the kernel
// runs on every system call of the filtered thread and its descendants.
//
// The program sees a struct seccomp_data — the call's number, the
// architecture it was made in, and its arguments — and returns an action.
// This one checks the architecture first (a number means a different call
// on another ABI), then looks the number up in a binary search tree of
// ranges built from the policy (policy.go): a few comparisons per call
// instead of one per listed call.
package seccomp

import (
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"

	"nslab/03-user/caps"
)

// Offsets into struct seccomp_data { int nr; __u32 arch; __u64 ip; __u64 args[6]; }.
const (
	offsetNr   = 0
	offsetArch = 4
	offsetArgs = 16
)

// Actions a filter returns; the low 16 bits of RET_ERRNO carry the errno.
const (
	retAllow = unix.SECCOMP_RET_ALLOW
	retEPERM = unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)
	retKill  = unix.SECCOMP_RET_KILL_PROCESS
)

func retErrno(e unix.Errno) uint32 { return unix.SECCOMP_RET_ERRNO | uint32(e) }

// arch describes the machine the filter is built for.
type arch struct {
	audit  uint32            // AUDIT_ARCH_*: what seccomp_data.arch holds
	x32Bit uint32            // x86-64's x32 ABI marks its calls with this bit; 0 elsewhere
	table  map[string]uint32 // name → number
}

// machine returns the running architecture, or an error where the filter
// is not built.
func machine() (arch, error) {
	switch runtime.GOARCH {
	case "amd64":
		return arch{audit: unix.AUDIT_ARCH_X86_64, x32Bit: 0x40000000, table: amd64Table}, nil
	case "arm64":
		return arch{audit: unix.AUDIT_ARCH_AARCH64, table: arm64Table}, nil
	}
	return arch{}, fmt.Errorf("seccomp: no system call table for %s", runtime.GOARCH)
}

// last is the highest number the table knows.
func (a arch) last() uint32 {
	var max uint32
	for _, nr := range a.table {
		if nr > max {
			max = nr
		}
	}
	return max
}

// Number returns the number of a system call on this architecture.
func Number(name string) (uint32, bool) {
	a, err := machine()
	if err != nil {
		return 0, false
	}
	nr, ok := a.table[name]
	return nr, ok
}

// decision is what the filter does with one system call number: return
// ret, or, with a check, test an argument first.
type decision struct {
	ret   uint32
	check *Check
}

// decisions applies the policy to every number this architecture's table
// knows. held are the capabilities the container keeps.
//
// LAB 6.3 (challenge): decide, for each system call number, allow or
// refuse with which errno — docs/06-container.md "The seccomp filter",
// seccomp(2).
// Checked by TestAttackSystemCalls.
func decisions(a arch, held caps.Set) map[uint32]decision {
	d := map[uint32]decision{}
	allow := func(name string) {
		if nr, ok := a.table[name]; ok {
			d[nr] = decision{ret: retAllow}
		}
	}
	for _, g := range Allowed {
		for _, name := range g.Calls {
			allow(name)
		}
	}
	for c, names := range WithCapability {
		if held.Has(c) {
			for _, name := range names {
				allow(name)
			}
		}
	}
	admin := held.Has(unix.CAP_SYS_ADMIN)
	for _, e := range Answered {
		if nr, ok := a.table[e.Call]; ok && !admin {
			d[nr] = decision{ret: retErrno(e.Errno)}
		}
	}
	for i := range Checks {
		c := &Checks[i]
		nr, ok := a.table[c.Call]
		switch {
		case !ok:
		case admin && c.AdminLifts:
			d[nr] = decision{ret: retAllow}
		default:
			d[nr] = decision{check: c}
		}
	}
	return d
}

// span is a run of consecutive numbers that get the same decision.
type span struct {
	first, last uint32
	decision
}

// spans covers 0 … max with runs of equal decisions; a number no list
// names is refused with EPERM.
func spans(d map[uint32]decision, max uint32) []span {
	var out []span
	for nr := uint32(0); nr <= max; nr++ {
		dec, ok := d[nr]
		if !ok {
			dec = decision{ret: retEPERM}
		}
		if n := len(out); n > 0 && dec.check == nil && out[n-1].check == nil && out[n-1].ret == dec.ret {
			out[n-1].last = nr
			continue
		}
		out = append(out, span{first: nr, last: nr, decision: dec})
	}
	return out
}

// Filter builds the program for this machine and the capabilities the
// container keeps:
//
//	load arch;  if arch != AUDIT_ARCH: kill the process
//	load nr;    if nr has the x32 bit: EPERM          (x86-64 only)
//	            if nr > the table's last: ENOSYS      (a newer kernel's call)
//	            the search tree over the spans
//
// A call from a foreign ABI is killed rather than refused: its numbers
// mean other calls, so the rest of the program would check the wrong ones.
func Filter(held caps.Set) ([]unix.SockFilter, error) {
	a, err := machine()
	if err != nil {
		return nil, err
	}
	return build(a, held)
}

// build is Filter for a given architecture.
func build(a arch, held caps.Set) ([]unix.SockFilter, error) {
	max := a.last()
	prog := []unix.SockFilter{
		stmt(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, offsetArch),
		jump(unix.BPF_JMP|unix.BPF_JEQ|unix.BPF_K, a.audit, 1, 0),
		stmt(unix.BPF_RET|unix.BPF_K, retKill),
		stmt(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, offsetNr),
	}
	if a.x32Bit != 0 {
		prog = append(prog,
			jump(unix.BPF_JMP|unix.BPF_JGE|unix.BPF_K, a.x32Bit, 0, 1),
			stmt(unix.BPF_RET|unix.BPF_K, retEPERM))
	}
	prog = append(prog,
		jump(unix.BPF_JMP|unix.BPF_JGT|unix.BPF_K, max, 0, 1),
		stmt(unix.BPF_RET|unix.BPF_K, retErrno(unix.ENOSYS)))
	prog = append(prog, tree(spans(decisions(a, held), max))...)
	if len(prog) > unix.BPF_MAXINSNS {
		return nil, fmt.Errorf("seccomp: the program has %d instructions, more than the kernel's %d", len(prog), unix.BPF_MAXINSNS)
	}
	return prog, nil
}

// tree emits a binary search over the spans, with the call's number in the
// accumulator. Each inner node splits at a span's first number:
//
//	if nr >= first: jump to the right half   (JGE, then a long jump)
//	<left half>
//	<right half>
//
// Conditional jumps reach at most 255 instructions ahead, so the right
// half is reached through BPF_JA, whose offset is 32 bits. Every leaf ends
// in a return, so no half runs into the next.
func tree(s []span) []unix.SockFilter {
	if len(s) == 1 {
		return leaf(s[0])
	}
	mid := len(s) / 2
	left, right := tree(s[:mid]), tree(s[mid:])
	out := []unix.SockFilter{
		jump(unix.BPF_JMP|unix.BPF_JGE|unix.BPF_K, s[mid].first, 0, 1),
		stmt(unix.BPF_JMP|unix.BPF_JA, uint32(len(left))),
	}
	return append(append(out, left...), right...)
}

// leaf returns the span's action, or tests the argument of its check:
// load the argument's low 32 bits, compare, return.
func leaf(s span) []unix.SockFilter {
	c := s.check
	if c == nil {
		return []unix.SockFilter{stmt(unix.BPF_RET|unix.BPF_K, s.ret)}
	}
	out := []unix.SockFilter{stmt(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, argLow(c.Arg))}
	if c.Bits != 0 {
		out = append(out,
			jump(unix.BPF_JMP|unix.BPF_JSET|unix.BPF_K, c.Bits, 0, 1),
			stmt(unix.BPF_RET|unix.BPF_K, retEPERM))
	}
	for _, v := range c.Deny {
		out = append(out,
			jump(unix.BPF_JMP|unix.BPF_JEQ|unix.BPF_K, v, 0, 1),
			stmt(unix.BPF_RET|unix.BPF_K, retEPERM))
	}
	if len(c.Only) == 0 {
		return append(out, stmt(unix.BPF_RET|unix.BPF_K, retAllow))
	}
	for _, v := range c.Only {
		out = append(out,
			jump(unix.BPF_JMP|unix.BPF_JEQ|unix.BPF_K, v, 0, 1),
			stmt(unix.BPF_RET|unix.BPF_K, retAllow))
	}
	return append(out, stmt(unix.BPF_RET|unix.BPF_K, retEPERM))
}

// argLow is the offset of the low 32 bits of argument i: the first word of
// the 64-bit slot on a little-endian machine (amd64 and arm64 are).
func argLow(i int) uint32 { return offsetArgs + 8*uint32(i) }

func stmt(code uint16, k uint32) unix.SockFilter {
	return unix.SockFilter{Code: code, K: k}
}

func jump(code uint16, k uint32, jt, jf uint8) unix.SockFilter {
	return unix.SockFilter{Code: code, Jt: jt, Jf: jf, K: k}
}

// Install attaches the program to the calling thread, and so to every
// thread and process it starts afterwards; it can never be removed. The
// kernel requires no_new_privs first, or CAP_SYS_ADMIN.
//
// It calls seccomp(2) through unix.Syscall directly: Go promises that a
// pointer converted to uintptr stays valid only in the argument list of
// such a call, and runtime.KeepAlive keeps the program itself alive until
// the kernel has copied it.
func Install(prog []unix.SockFilter) error {
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	_, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, 0, uintptr(unsafe.Pointer(&fprog)))
	runtime.KeepAlive(prog)
	runtime.KeepAlive(&fprog)
	if errno != 0 {
		return errno
	}
	return nil
}

// Size says how big the program is for a set of capabilities: its
// instructions and the number of spans its tree searches.
func Size(held caps.Set) (instructions, spanCount int, err error) {
	prog, err := Filter(held)
	if err != nil {
		return 0, 0, err
	}
	a, _ := machine()
	return len(prog), len(spans(decisions(a, held), a.last())), nil
}
