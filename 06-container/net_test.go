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
	r := runC(t, "--ip", "10.99.0.9", "--", "sh", "-c", "ip -4 -o addr show eth0 | awk '{print $4}'; ip route").Want(t, 0)
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
	a := labtest.Start(t, bin, args(t, "--hostname", "alpha", "--ip", "10.99.0.50", "--", "nsprobe", "listen", "0.0.0.0:8080")...)
	waitFor(t, a, "listening")
	runC(t, "--hostname", "beta", "--", "nsprobe", "connect", "10.99.0.50:8080").Want(t, 0).Contains(t, "connect: hello from alpha")
	a.Wait(t).Want(t, 0).Matches(t, `greeted 10\.99\.0\.\d+:`)
}

// The bridge's address is the containers' gateway on the host. The host
// here is a network namespace the test makes, so that the only traffic is
// between namespaces the test created.
func TestContainerReachesBridgeAddress(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	script := `ip link set lo up
"$P" listen 0.0.0.0:9000 > "$D/listener" &
"$BIN" --rootfs "$R" --bridge nslabsim0 -- nsprobe connect 10.99.0.1:9000
status=$?; wait; cat "$D/listener"
"$BIN" --cleanup --bridge nslabsim0 >/dev/null
exit $status`
	r := labtest.RunOpts(t, labtest.Opts{Env: []string{"BIN=" + bin, "R=" + rootfs(t), "P=" + probe, "D=" + labtest.SharedDir(t)}},
		"unshare", "--net", "sh", "-c", script).Want(t, 0)
	r.Contains(t, "connect: hello from ", "listen: greeted 10.99.0.2:")
}
