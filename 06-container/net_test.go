package main

import (
	"strings"
	"testing"

	"nslab/internal/labtest"
)

func sleep() { labtest.Sleep(10) }

func TestEth0AndRoute(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	r := runC(t, noDNS, "--ip", "10.99.0.9", "--", "sh", "-c", "ip -4 -o addr show eth0 | awk '{print $4}'; ip route").Want(t, 0)
	lines := labtest.Lines(r.Stdout)
	if len(lines) != 3 || lines[0] != "10.99.0.9/24" || !strings.HasPrefix(lines[1], "default via 10.99.0.1 dev eth0") ||
		!strings.HasPrefix(lines[2], "10.99.0.0/24 dev eth0") {
		t.Errorf("inside:\n%s", r.Stdout)
	}
	none := runC(t, "--net=none", "--", "ip", "-o", "link").Want(t, 0)
	if n := len(labtest.Lines(none.Stdout)); n != 1 || !strings.Contains(none.Stdout, "lo: <LOOPBACK,UP") {
		t.Errorf("--net=none has:\n%s", none.Stdout)
	}
}

// Two containers side by side get different addresses and reach each
// other over the bridge.
func TestTwoContainersTalk(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	a := labtest.Start(t, bin, args(t, noDNS, "--hostname", "alpha", "--ip", "10.99.0.50", "--", "nsprobe", "listen", "0.0.0.0:8080")...)
	waitFor(t, a, "listening")
	runC(t, noDNS, "--hostname", "beta", "--", "nsprobe", "connect", "10.99.0.50:8080").Want(t, 0).Contains(t, "connect: hello from alpha")
	a.Wait(t).Want(t, 0).Matches(t, `greeted 10\.99\.0\.\d+:`)
}
