package labtest

import (
	"fmt"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// The host lock. Tests that compare the whole host before and after
// (links, mounts, /run/nslab) would see another package's containers as
// their own leftovers; `go test ./...` runs packages in parallel, as
// separate processes. So such tests hold an exclusive flock(2) on the
// temporary directory — a file every machine has, that every uid may open,
// and that the lock leaves unchanged. The kernel drops the lock when a
// test process dies, so it never goes stale.

var host struct {
	sync.Mutex
	dir   *os.File // open while held
	holds int      // Main and NoTrace may hold it at once, in one process
}

// LockHost waits for the host lock and returns the function that releases
// it. Within one process the lock is shared: a second hold just counts.
func LockHost() (unlock func(), err error) {
	host.Lock()
	defer host.Unlock()
	if host.holds == 0 {
		f, err := os.Open(os.TempDir())
		if err != nil {
			return nil, fmt.Errorf("host lock: %w", err)
		}
		if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
			f.Close()
			return nil, fmt.Errorf("host lock: flock %s: %w", os.TempDir(), err)
		}
		host.dir = f
	}
	host.holds++
	return release, nil
}

func release() {
	host.Lock()
	defer host.Unlock()
	host.holds--
	if host.holds == 0 {
		host.dir.Close()
		host.dir = nil
	}
}
