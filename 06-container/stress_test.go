//go:build stress

package main

import (
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"nslab/internal/labtest"
)

// The long runs behind make test-stress (go test -tags stress).

// Five hundred containers in a row leave the host exactly as they found
// it: links (the bridge stays, by design), mounts, named namespaces,
// leases and state under /run/nslab, and the descriptors of this process.
func TestStressSequential(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	runC(t, noDNS, "--", "true").Want(t, 0) // creates the bridge, which stays
	// The kernel removes the veth pair with the container's network
	// namespace, asynchronously: let it finish before the snapshot.
	waitUntil(t, "the first container's veth to go", func() bool { return len(veths(t)) == 0 })
	labtest.NoTrace(t)
	for i := 0; i < 500; i++ {
		r := labtest.Run(t, bin, args(t, noDNS, "--net=bridge", "--", "/bin/true")...)
		if r.Code != 0 {
			t.Fatalf("run %d: status %d\n%s", i, r.Code, r.Output())
		}
	}
}

// veths lists the host ends of container veth pairs.
func veths(t *testing.T) []string {
	var names []string
	entries, _ := os.ReadDir("/sys/class/net")
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "vnsl") {
			names = append(names, e.Name())
		}
	}
	return names
}

// The runtime is killed with SIGKILL at a random moment of set-up or run,
// fifty times. Each time the container's processes must die with it, and
// at the end one normal run and --cleanup leave the host as it was. The
// seed is printed; NSLAB_SEED=N replays a run.
func TestStressKill(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	seed := time.Now().UnixNano()
	if s, err := strconv.ParseInt(os.Getenv("NSLAB_SEED"), 10, 64); err == nil {
		seed = s
	}
	t.Logf("seed %d (replay with NSLAB_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewSource(seed))
	for trial := 0; trial < 50; trial++ {
		mark := fmt.Sprint(7700000 + trial)
		c := labtest.Command(labtest.Opts{}, bin, args(t, noDNS, "--", "sleep", mark)...)
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		delay := time.Duration(rng.Intn(40000)) * time.Microsecond
		time.Sleep(delay)
		c.Process.Signal(syscall.SIGKILL)
		c.Wait()
		waitUntil(t, fmt.Sprintf("trial %d (killed after %v): the container's sleep to die", trial, delay), func() bool {
			return len(processes(t, "sleep\x00"+mark+"\x00")) == 0
		})
	}
	runC(t, noDNS, "--", "true").Want(t, 0)
}
