package caps

import (
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

// Limit on a locked thread, then a child started from it: the child's
// sets are exactly what was kept. Limit runs in a child test process, so
// the test binary itself keeps its capabilities.
func TestLimit(t *testing.T) {
	if os.Getenv("NSLAB_CAPS_CHILD") == "1" {
		runtime.LockOSThread()
		keep, _ := Of("CHOWN", "KILL")
		if err := Limit(keep); err != nil {
			panic(err)
		}
		out, err := exec.Command("grep", "^Cap", "/proc/self/status").Output()
		if err != nil {
			panic(err)
		}
		os.Stdout.Write(out)
		os.Exit(0)
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root: run `sudo make test`")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestLimit$")
	cmd.Env = append(os.Environ(), "NSLAB_CAPS_CHILD=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	// grep runs as root: execve gives it the bounding set, which is now
	// CHOWN and KILL (bits 0 and 5).
	for _, want := range []string{"CapInh:\t0000000000000021", "CapPrm:\t0000000000000021", "CapEff:\t0000000000000021", "CapBnd:\t0000000000000021", "CapAmb:\t0000000000000000"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
}

func TestOf(t *testing.T) {
	if s, err := Of("chown", "CAP_KILL"); err != nil || s != 1<<0|1<<5 {
		t.Errorf("Of = %v, %v", s, err)
	}
	if _, err := Of("FLY"); err == nil {
		t.Error("unknown name accepted")
	}
}
