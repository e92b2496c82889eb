package main

import (
	"fmt"
	"strings"
	"testing"

	"nslab/internal/labtest"
)

// 32 containers at once on the bridge: 32 distinct addresses from the
// allocator, each reaches its neighbour, and all is gone afterwards.
func TestThirtyTwoAtOnce(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	const n = 32
	script := `ip -4 -o addr show eth0 | awk '{print $4}'
nsprobe listen 0.0.0.0:8080 >/dev/null &
read next
nsprobe connect "$next:8080"; status=$?
wait; exit $status`
	var cs []*labtest.Running
	for i := 0; i < n; i++ {
		cs = append(cs, labtest.Start(t, bin, args(t, noDNS, "--hostname", fmt.Sprintf("c%02d", i), "--", "sh", "-c", script)...))
	}
	addrs := map[string]int{}
	var order []string
	for i, c := range cs {
		line, err := c.ReadLine()
		if err != nil || !strings.HasPrefix(line, "10.99.0.") {
			t.Fatalf("container %d: address %q, %v\n%s", i, line, err, c.Output())
		}
		a := strings.TrimSuffix(line, "/24")
		if j, taken := addrs[a]; taken {
			t.Fatalf("containers %d and %d both have %s", j, i, a)
		}
		addrs[a] = i
		order = append(order, a)
	}
	// A listener may not be up yet when its neighbour connects: nsprobe
	// connect retries while the connection is refused.
	for i, c := range cs {
		c.Send(order[(i+1)%n])
	}
	for i, c := range cs {
		r := c.Wait(t).Want(t, 0)
		r.Contains(t, fmt.Sprintf("connect: hello from c%02d", (i+1)%n))
	}
}
