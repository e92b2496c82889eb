package main

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"nslab/02-mount/mountns"
	"nslab/05-net/netlink"
	"nslab/05-net/netns"
)

// stepNew creates namespace a: only lo, down, and no way to reach even
// 127.0.0.1.
func (l *lab) stepNew() error {
	if err := l.newNamespace("a"); err != nil {
		return err
	}
	if err := l.describeLinks("a"); err != nil {
		return err
	}
	return l.expectNoConnect("a", netip.MustParseAddr("127.0.0.1"))
}

// stepLoopback brings lo up; the kernel gives it 127.0.0.1/8 and a route.
func (l *lab) stepLoopback() error {
	if err := l.setUp("a", "lo"); err != nil {
		return err
	}
	if err := l.describeLinks("a"); err != nil {
		return err
	}
	l.say("(ip calls an up loopback UNKNOWN: it has no carrier to report)")
	return l.expectConnect("a", "a", netip.MustParseAddr("127.0.0.1"))
}

// stepHostVeth joins the host and namespace a with a veth pair, the peer
// created directly inside a as eth0.
//
// LAB 5.2 (open): one RTM_NEWLINK for the pair, the peer born in a
// (IFLA_NET_NS_FD); then addresses and links up on both sides —
// docs/05-net.md, veth(4), rtnetlink(7).
// Checked by TestWalkThrough.
func (l *lab) stepHostVeth() error {
	p := l.plan
	if err := l.addVeth("", p.hostVeth, "a", "eth0"); err != nil {
		return err
	}
	if err := l.address("", p.hostVeth, p.hostAddr); err != nil {
		return err
	}
	if err := l.address("a", "eth0", p.addrs["a"]); err != nil {
		return err
	}
	l.say("host: %s %s  <— veth —>  %s: eth0 %s", p.hostVeth, p.prefix(p.hostAddr), l.name("a"), p.prefix(p.addrs["a"]))
	if err := l.expectConnect("", "a", p.addrs["a"]); err != nil {
		return err
	}
	return l.expectConnect("a", "", p.hostAddr)
}

// stepPair joins namespaces b and c with a veth pair made from inside b.
func (l *lab) stepPair() error {
	p := l.plan
	for _, n := range []string{"b", "c"} {
		if err := l.newNamespace(n); err != nil {
			return err
		}
	}
	if err := l.addVeth("b", "eth0", "c", "eth0"); err != nil {
		return err
	}
	for _, n := range []string{"b", "c"} {
		if err := l.address(n, "eth0", p.addrs[n]); err != nil {
			return err
		}
	}
	l.say("%s: eth0 %s  <— veth —>  %s: eth0 %s", l.name("b"), p.prefix(p.addrs["b"]), l.name("c"), p.prefix(p.addrs["c"]))
	if err := l.expectConnect("b", "c", p.addrs["c"]); err != nil {
		return err
	}
	return l.expectConnect("c", "b", p.addrs["b"])
}

// stepBridge creates a bridge on the host and plugs three namespaces into
// it, each through a veth pair whose host end is a bridge port.
//
// LAB 5.3 (challenge): the bridge, and a port for each namespace
// (IFLA_MASTER) — docs/05-net.md "A bridge", ip-link(8).
// Checked by TestBridgeCarriesTheTestsOwnConnection.
func (l *lab) stepBridge() error {
	p := l.plan
	l.log.Step("RTM_NEWLINK kind bridge", "ip link add "+p.bridge+" type bridge")
	if err := l.host.AddBridge(p.bridge); err != nil {
		return err
	}
	l.onUndo("bridge "+p.bridge, func() error { return l.deleteLink(p.bridge) })
	if err := l.setUp("", p.bridge); err != nil {
		return err
	}
	for _, n := range []string{"d", "e", "f"} {
		if err := l.newNamespace(n); err != nil {
			return err
		}
		end := p.bridgeEnd[n]
		if err := l.addVeth("", end, n, "eth0"); err != nil {
			return err
		}
		if err := l.plug(end); err != nil {
			return err
		}
		if err := l.address(n, "eth0", p.addrs[n]); err != nil {
			return err
		}
		l.say("%s: eth0 %s  <— veth —>  %s, a port of %s", l.name(n), p.prefix(p.addrs[n]), end, p.bridge)
	}
	for _, c := range [][2]string{{"d", "e"}, {"e", "f"}, {"f", "d"}} {
		if err := l.expectConnect(c[0], c[1], p.addrs[c[1]]); err != nil {
			return fmt.Errorf("%w (if Docker runs here, see %s --check)", err, prog)
		}
	}
	return nil
}

// stepPinned shows what keeps namespace a alive — a bind mount in
// /run/netns, no process — then deletes it the way "ip netns del" does,
// and watches the host's end of its veth pair disappear with it.
func (l *lab) stepPinned() error {
	p := l.plan
	path := netns.RunDir + "/" + l.name("a")
	mounts, err := mountns.Read("/proc/self/mountinfo")
	if err != nil {
		return err
	}
	if m, ok := mountns.Find(mounts, path); ok {
		l.say("%s is a bind mount of the namespace's nsfs file:", path)
		l.say("  %s", m.Line)
	}
	l.say("processes in %s: %d — the mount and this program's descriptor keep it alive", l.name("a"), processesIn(l.ns["a"]))
	if err := l.deleteNamespace("a"); err != nil {
		return err
	}
	l.say("ip netns del %s: unmounted %s and closed the descriptor", l.name("a"), path)
	if !l.waitGone(p.hostVeth) {
		return fmt.Errorf("%s still exists after %s was deleted", p.hostVeth, l.name("a"))
	}
	l.say("the host's %s is gone too: the namespace ended, and its eth0 with it — and a veth pair dies whole", p.hostVeth)
	return nil
}

// waitGone polls until a host link is gone: a namespace is torn down
// asynchronously, after its last reference goes.
func (l *lab) waitGone(name string) bool {
	for i := 0; i < 100; i++ {
		if _, err := l.host.LinkByName(name); errors.Is(err, netlink.ErrNoLink) {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}
