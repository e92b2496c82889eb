package seccomp

import (
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// run interprets the subset of classic BPF the filter uses (load word
// absolute, jump if equal / greater or equal, return) on a seccomp_data,
// so the program can be checked instruction by instruction without
// installing it.
func run(t *testing.T, prog []unix.SockFilter, arch, nr uint32) uint32 {
	t.Helper()
	data := make([]byte, 64)
	binary.LittleEndian.PutUint32(data[offsetNr:], nr)
	binary.LittleEndian.PutUint32(data[offsetArch:], arch)
	var acc uint32
	for pc := 0; pc < len(prog); pc++ {
		in := prog[pc]
		switch in.Code {
		case unix.BPF_LD | unix.BPF_W | unix.BPF_ABS:
			acc = binary.LittleEndian.Uint32(data[in.K:])
		case unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K:
			pc += int(choose(acc == in.K, in.Jt, in.Jf))
		case unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K:
			pc += int(choose(acc >= in.K, in.Jt, in.Jf))
		case unix.BPF_RET | unix.BPF_K:
			return in.K
		default:
			t.Fatalf("instruction %d: unexpected code %#x", pc, in.Code)
		}
	}
	t.Fatal("the program ran off its end")
	return 0
}

func choose(c bool, a, b uint8) uint8 {
	if c {
		return a
	}
	return b
}

func filter(t *testing.T) []unix.SockFilter {
	t.Helper()
	prog, err := Filter()
	if err != nil {
		t.Skipf("no filter on %s: %v", runtime.GOARCH, err)
	}
	return prog
}

// Decoded, the program denies each listed call with EPERM and allows
// the others.
func TestDecodedFilter(t *testing.T) {
	prog := filter(t)
	for _, r := range Denied {
		nr, _ := Number(r.Name)
		if got := run(t, prog, auditArch, nr); got != retErrno {
			t.Errorf("%s (%d): action %#x, want EPERM", r.Name, nr, got)
		}
	}
	for _, name := range []uint32{unix.SYS_READ, unix.SYS_WRITE, unix.SYS_EXECVE, unix.SYS_GETPID, unix.SYS_CLONE} {
		if got := run(t, prog, auditArch, name); got != retAllow {
			t.Errorf("syscall %d: action %#x, want allow", name, got)
		}
	}
}

// A call from another architecture is killed before its number is looked
// at: the architecture check comes first.
func TestForeignArchitectureIsKilled(t *testing.T) {
	prog := filter(t)
	if prog[0].Code != unix.BPF_LD|unix.BPF_W|unix.BPF_ABS || prog[0].K != offsetArch {
		t.Fatalf("first instruction %+v does not load the architecture", prog[0])
	}
	for _, arch := range []uint32{unix.AUDIT_ARCH_I386, unix.AUDIT_ARCH_ARM, 0} {
		if arch == auditArch {
			continue
		}
		if got := run(t, prog, arch, unix.SYS_GETPID); got != retKill {
			t.Errorf("arch %#x: action %#x, want kill", arch, got)
		}
	}
	if x32Bit != 0 {
		if got := run(t, prog, auditArch, x32Bit|unix.SYS_GETPID); got != retErrno {
			t.Errorf("x32 getpid: action %#x, want EPERM", got)
		}
	}
}

// Installed for real in a child process: keyctl is refused, getpid works.
func TestInstalled(t *testing.T) {
	if os.Getenv("NSLAB_SECCOMP_CHILD") == "1" {
		runtime.LockOSThread()
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			panic(err)
		}
		prog, _ := Filter()
		if err := Install(prog); err != nil {
			panic(err)
		}
		_, _, errno := unix.Syscall(unix.SYS_KEYCTL, 0, 0, 0)
		fmt.Printf("keyctl: %v; getpid: %v\n", errno, unix.Getpid() > 0)
		os.Exit(0)
	}
	filter(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestInstalled$")
	cmd.Env = append(os.Environ(), "NSLAB_SECCOMP_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil || string(out) != "keyctl: operation not permitted; getpid: true\n" {
		t.Errorf("child: %v\n%s", err, out)
	}
}
