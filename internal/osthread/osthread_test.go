package osthread

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// Each Run gets a thread that is not the main one, and a thread whose
// state was changed is never handed to the next Run.
func TestRunNeverOnMainThreadNorReused(t *testing.T) {
	seen := map[int]bool{}
	for i := 0; i < 20; i++ {
		var tid int
		err := Run(func() error {
			tid = unix.Gettid()
			// Change per-thread state: a private working directory.
			if err := unix.Unshare(unix.CLONE_FS); err != nil {
				return err
			}
			return unix.Chdir("/")
		})
		if err != nil {
			t.Fatal(err)
		}
		if tid == os.Getpid() {
			t.Fatal("Run ran on the main thread")
		}
		if seen[tid] {
			t.Fatalf("thread %d was used twice", tid)
		}
		seen[tid] = true
	}
}
