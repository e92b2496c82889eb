package netns

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"nslab/internal/labtest"
	"nslab/internal/nsinfo"
)

func inode(t *testing.T, path string) uint64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return nsinfo.InodeOf(fi)
}

// Do runs in the namespace, and afterwards no thread of this process is
// left in it: the thread that entered it is gone.
func TestDoLeavesNoThreadBehind(t *testing.T) {
	labtest.NeedRoot(t)
	ns, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	want := inode(t, "/proc/self/fd/"+itoa(ns.Fd()))
	for i := 0; i < 20; i++ {
		var got uint64
		if err := ns.Do(func() error { got = inode(t, "/proc/thread-self/ns/net"); return nil }); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("Do ran in namespace %d, want %d", got, want)
		}
	}
	host := inode(t, "/proc/self/ns/net")
	tasks, _ := filepath.Glob("/proc/self/task/*/ns/net")
	for _, task := range tasks {
		fi, err := os.Stat(task)
		if err != nil {
			continue // a thread that ended since the glob: Do's, going away
		}
		if got := nsinfo.InodeOf(fi); got != host {
			t.Errorf("%s is in namespace %d, not the host's %d", task, got, host)
		}
	}
}

// Pin names the namespace like ip netns add; Unpin removes the name, and
// /run/netns when this test created it.
func TestPinAndUnpin(t *testing.T) {
	labtest.NeedRoot(t)
	labtest.NoTrace(t)
	ns, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	created, err := ns.Pin("nslab-pin-test")
	if err != nil {
		t.Fatal(err)
	}
	if !Exists("nslab-pin-test") {
		t.Fatal("not pinned")
	}
	if _, err := ns.Pin("nslab-pin-test"); err == nil {
		t.Error("pinned the same name twice")
	}
	same, err := Open(filepath.Join(RunDir, "nslab-pin-test"))
	if err != nil {
		t.Fatal(err)
	}
	if inode(t, "/proc/self/fd/"+itoa(same.Fd())) != inode(t, "/proc/self/fd/"+itoa(ns.Fd())) {
		t.Error("the pinned file is another namespace")
	}
	same.Close()
	if err := Unpin("nslab-pin-test", created); err != nil {
		t.Fatal(err)
	}
	if Exists("nslab-pin-test") {
		t.Error("still pinned")
	}
}

func TestCheckName(t *testing.T) {
	for name, ok := range map[string]bool{"lab": true, "": false, "..": false, "a/b": false} {
		if err := CheckName(name); (err == nil) != ok {
			t.Errorf("CheckName(%q) = %v", name, err)
		}
	}
}

func itoa(n int) string {
	return strconv.Itoa(n)
}
