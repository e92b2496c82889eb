package seccomp

import (
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"

	"nslab/03-user/caps"
)

// call is one system call as the filter sees it.
type call struct {
	arch uint32
	nr   uint32
	args [6]uint64
}

// run interprets the classic BPF the filter uses (load word absolute,
// the jumps JEQ, JGE, JGT, JSET and JA, return) on a seccomp_data, so the
// program can be checked without installing it. It returns the action and
// how many instructions ran.
func run(t *testing.T, prog []unix.SockFilter, c call) (uint32, int) {
	t.Helper()
	data := make([]byte, 64)
	binary.LittleEndian.PutUint32(data[offsetNr:], c.nr)
	binary.LittleEndian.PutUint32(data[offsetArch:], c.arch)
	for i, a := range c.args {
		binary.LittleEndian.PutUint64(data[offsetArgs+8*i:], a)
	}
	var acc uint32
	steps := 0
	for pc := 0; pc < len(prog); pc++ {
		steps++
		in := prog[pc]
		switch in.Code {
		case unix.BPF_LD | unix.BPF_W | unix.BPF_ABS:
			acc = binary.LittleEndian.Uint32(data[in.K:])
		case unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K:
			pc += int(choose(acc == in.K, in.Jt, in.Jf))
		case unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K:
			pc += int(choose(acc >= in.K, in.Jt, in.Jf))
		case unix.BPF_JMP | unix.BPF_JGT | unix.BPF_K:
			pc += int(choose(acc > in.K, in.Jt, in.Jf))
		case unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K:
			pc += int(choose(acc&in.K != 0, in.Jt, in.Jf))
		case unix.BPF_JMP | unix.BPF_JA:
			pc += int(in.K)
		case unix.BPF_RET | unix.BPF_K:
			return in.K, steps
		default:
			t.Fatalf("instruction %d: unexpected code %#x", pc, in.Code)
		}
	}
	t.Fatal("the program ran off its end")
	return 0, 0
}

func choose(c bool, a, b uint8) uint8 {
	if c {
		return a
	}
	return b
}

// defaultCaps is the container's default set (06-container's security.go).
func defaultCaps(t *testing.T) caps.Set {
	s, err := caps.Of("CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "SETGID", "SETUID", "SETPCAP", "SETFCAP",
		"NET_BIND_SERVICE", "NET_RAW", "SYS_CHROOT", "KILL", "AUDIT_WRITE")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// arches are the two architectures, to check both tables whatever this
// machine is.
var arches = []arch{
	{audit: unix.AUDIT_ARCH_X86_64, x32Bit: 0x40000000, table: amd64Table},
	{audit: unix.AUDIT_ARCH_AARCH64, table: arm64Table},
}

// Every name the policy uses is a system call of amd64 or arm64: a typo
// would otherwise be skipped silently, and the call refused.
func TestEveryNameIsASystemCall(t *testing.T) {
	var names []string
	for _, g := range Allowed {
		names = append(names, g.Calls...)
	}
	for _, list := range WithCapability {
		names = append(names, list...)
	}
	for _, c := range Checks {
		names = append(names, c.Call)
	}
	for _, e := range Answered {
		names = append(names, e.Call)
	}
	for _, r := range Refused {
		names = append(names, r.Call)
	}
	for _, n := range names {
		_, amd := amd64Table[n]
		_, arm := arm64Table[n]
		if !amd && !arm {
			t.Errorf("%q is not a system call of amd64 or arm64", n)
		}
	}
}

// The literal table agrees with golang.org/x/sys for this machine.
func TestTableAgreesWithXSys(t *testing.T) {
	a, err := machine()
	if err != nil {
		t.Fatalf("this test runs on amd64 and arm64: %v", err)
	}
	for name, want := range map[string]uint32{
		"read": unix.SYS_READ, "openat": unix.SYS_OPENAT, "clone": unix.SYS_CLONE, "clone3": unix.SYS_CLONE3,
		"ioctl": unix.SYS_IOCTL, "keyctl": unix.SYS_KEYCTL, "io_uring_setup": unix.SYS_IO_URING_SETUP,
		"fsopen": unix.SYS_FSOPEN, "mount_setattr": unix.SYS_MOUNT_SETATTR, "seccomp": unix.SYS_SECCOMP,
	} {
		if got := a.table[name]; got != want {
			t.Errorf("%s: table %d, x/sys %d", name, got, want)
		}
	}
}

// Nothing is both allowed and listed as refused.
func TestRefusedAreRefused(t *testing.T) {
	for _, a := range arches {
		prog, err := build(a, caps.Full())
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range Refused {
			nr, ok := a.table[r.Call]
			if !ok {
				continue
			}
			if got, _ := run(t, prog, call{arch: a.audit, nr: nr}); got != retEPERM {
				t.Errorf("%#x: %s with every capability: action %#x, want EPERM", a.audit, r.Call, got)
			}
		}
	}
}

func TestDecisions(t *testing.T) {
	for _, a := range arches {
		prog, err := build(a, defaultCaps(t))
		if err != nil {
			t.Fatal(err)
		}
		nr := func(name string) uint32 { return a.table[name] }
		for _, c := range []struct {
			what string
			call call
			want uint32
		}{
			{"read", call{nr: nr("read")}, retAllow},
			{"execve", call{nr: nr("execve")}, retAllow},
			{"chroot (CAP_SYS_CHROOT is in the set)", call{nr: nr("chroot")}, retAllow},
			{"mount (no CAP_SYS_ADMIN)", call{nr: nr("mount")}, retEPERM},
			{"keyctl", call{nr: nr("keyctl")}, retEPERM},
			{"io_uring_setup", call{nr: nr("io_uring_setup")}, retEPERM},
			{"fsopen", call{nr: nr("fsopen")}, retEPERM},
			{"clone3", call{nr: nr("clone3")}, retErrno(unix.ENOSYS)},
			{"a thread", call{nr: nr("clone"), args: [6]uint64{unix.CLONE_VM | unix.CLONE_FS | unix.CLONE_FILES | unix.CLONE_SIGHAND | unix.CLONE_THREAD}}, retAllow},
			{"clone(CLONE_NEWUSER)", call{nr: nr("clone"), args: [6]uint64{unix.CLONE_NEWUSER}}, retEPERM},
			{"clone(CLONE_NEWNET|SIGCHLD)", call{nr: nr("clone"), args: [6]uint64{unix.CLONE_NEWNET | uint64(unix.SIGCHLD)}}, retEPERM},
			{"unshare(CLONE_NEWUSER)", call{nr: nr("unshare"), args: [6]uint64{unix.CLONE_NEWUSER}}, retEPERM},
			{"unshare(CLONE_FS)", call{nr: nr("unshare"), args: [6]uint64{unix.CLONE_FS}}, retAllow},
			{"ioctl(TIOCSTI)", call{nr: nr("ioctl"), args: [6]uint64{0, unix.TIOCSTI}}, retEPERM},
			{"ioctl(TIOCSTI) with a high bit set", call{nr: nr("ioctl"), args: [6]uint64{0, 1<<32 | unix.TIOCSTI}}, retEPERM},
			{"ioctl(TIOCLINUX)", call{nr: nr("ioctl"), args: [6]uint64{0, unix.TIOCLINUX}}, retEPERM},
			{"ioctl(TCGETS)", call{nr: nr("ioctl"), args: [6]uint64{0, unix.TCGETS}}, retAllow},
			{"socket(AF_VSOCK)", call{nr: nr("socket"), args: [6]uint64{unix.AF_VSOCK}}, retEPERM},
			{"socket(AF_INET)", call{nr: nr("socket"), args: [6]uint64{unix.AF_INET}}, retAllow},
			{"personality(PER_LINUX)", call{nr: nr("personality"), args: [6]uint64{0}}, retAllow},
			{"personality(ADDR_NO_RANDOMIZE)", call{nr: nr("personality"), args: [6]uint64{0x0040000}}, retEPERM},
			{"a call newer than the table", call{nr: a.last() + 1}, retErrno(unix.ENOSYS)},
		} {
			c.call.arch = a.audit
			if got, _ := run(t, prog, c.call); got != c.want {
				t.Errorf("%#x: %s: action %#x, want %#x", a.audit, c.what, got, c.want)
			}
		}
	}
}

// With CAP_SYS_ADMIN added, the calls it guards are allowed whole, as in
// Docker's profile — but not the refused ones.
func TestSysAdminLiftsItsChecks(t *testing.T) {
	a := arches[0]
	admin, _ := caps.Of("SYS_ADMIN")
	prog, err := build(a, defaultCaps(t)|admin)
	if err != nil {
		t.Fatal(err)
	}
	for name, args := range map[string][6]uint64{"mount": {}, "clone3": {}, "clone": {unix.CLONE_NEWUSER}, "unshare": {unix.CLONE_NEWUSER}, "sethostname": {}} {
		if got, _ := run(t, prog, call{arch: a.audit, nr: a.table[name], args: args}); got != retAllow {
			t.Errorf("%s with CAP_SYS_ADMIN: action %#x, want allow", name, got)
		}
	}
	if got, _ := run(t, prog, call{arch: a.audit, nr: a.table["io_uring_setup"]}); got != retEPERM {
		t.Errorf("io_uring_setup with CAP_SYS_ADMIN: %#x, want EPERM", got)
	}
}

// A call from another architecture is killed before its number is looked
// at; x32 calls are refused; the search takes a handful of steps.
func TestArchitectureAndCost(t *testing.T) {
	for _, a := range arches {
		prog, err := build(a, defaultCaps(t))
		if err != nil {
			t.Fatal(err)
		}
		if prog[0].Code != unix.BPF_LD|unix.BPF_W|unix.BPF_ABS || prog[0].K != offsetArch {
			t.Fatalf("first instruction %+v does not load the architecture", prog[0])
		}
		if got, _ := run(t, prog, call{arch: unix.AUDIT_ARCH_I386, nr: 20}); got != retKill {
			t.Errorf("%#x: an i386 call: action %#x, want kill", a.audit, got)
		}
		if a.x32Bit != 0 {
			if got, _ := run(t, prog, call{arch: a.audit, nr: a.x32Bit | a.table["getpid"]}); got != retEPERM {
				t.Errorf("x32 getpid: action %#x, want EPERM", got)
			}
		}
		most := 0
		for nr := uint32(0); nr <= a.last()+1; nr++ {
			if _, steps := run(t, prog, call{arch: a.audit, nr: nr, args: [6]uint64{1, 1}}); steps > most {
				most = steps
			}
		}
		if most > 40 {
			t.Errorf("%#x: a call takes up to %d instructions (%d in the program)", a.audit, most, len(prog))
		}
		t.Logf("%#x: %d instructions, at most %d run for one call", a.audit, len(prog), most)
	}
}

// Installed for real in a child process.
func TestInstalled(t *testing.T) {
	if os.Getenv("NSLAB_SECCOMP_CHILD") == "1" {
		installedChild()
		return
	}
	if _, err := machine(); err != nil {
		t.Fatalf("this test runs on amd64 and arm64: %v", err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestInstalled$")
	cmd.Env = append(os.Environ(), "NSLAB_SECCOMP_CHILD=1")
	out, err := cmd.CombinedOutput()
	want := "keyctl: operation not permitted\nio_uring_setup: operation not permitted\n" +
		"unshare(CLONE_NEWUSER): operation not permitted\nclone3: function not implemented\n" +
		"newer than the table: function not implemented\ngetpid: ok\n"
	if err != nil || string(out) != want {
		t.Errorf("child: %v\n%s\nwant:\n%s", err, out, want)
	}
}

func installedChild() {
	runtime.LockOSThread()
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		panic(err)
	}
	prog, err := Filter(0)
	if err != nil {
		panic(err)
	}
	if err := Install(prog); err != nil {
		panic(err)
	}
	a, _ := machine()
	for _, c := range []struct {
		what string
		nr   uintptr
		arg  uintptr
	}{
		{"keyctl", unix.SYS_KEYCTL, 0},
		{"io_uring_setup", unix.SYS_IO_URING_SETUP, 0},
		{"unshare(CLONE_NEWUSER)", unix.SYS_UNSHARE, unix.CLONE_NEWUSER},
		{"clone3", unix.SYS_CLONE3, 0},
		{"newer than the table", uintptr(a.last() + 1), 0},
	} {
		_, _, errno := unix.Syscall(c.nr, c.arg, 0, 0)
		fmt.Printf("%s: %v\n", c.what, errno)
	}
	if unix.Getpid() > 0 {
		fmt.Println("getpid: ok")
	}
	os.Exit(0)
}
