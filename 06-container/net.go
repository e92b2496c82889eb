package main

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"

	"golang.org/x/sys/unix"

	"nslab/05-net/netlink"
	"nslab/05-net/netns"
	"nslab/internal/cli"
	"nslab/internal/explain"
)

// The network, chapter 05 put to work. The runtime (on the host) keeps one
// bridge with the gateway address, leases each container an address, and
// creates a veth pair per container whose peer is born inside the
// container's network namespace as eth0. The container's init then
// configures its side from inside: lo, eth0's address, the default route.

// parseSubnet reads --subnet and --ip: an IPv4 subnet from /8 to /29,
// and an address in it that is neither its network, its broadcast nor
// its gateway address.
func parseSubnet(subnet, ip string) (netip.Prefix, netip.Addr, error) {
	p, err := netip.ParsePrefix(subnet)
	if err != nil || !p.Addr().Is4() {
		return netip.Prefix{}, netip.Addr{}, cli.Failf("--subnet %q: not an IPv4 CIDR like %s", subnet, defaultSubnet)
	}
	p = p.Masked()
	if p.Bits() < 8 || p.Bits() > 29 {
		return netip.Prefix{}, netip.Addr{}, cli.Failf("--subnet %s: want a prefix from /8 to /29", p)
	}
	if ip == "" {
		return p, netip.Addr{}, nil
	}
	want, err := netip.ParseAddr(ip)
	if err != nil {
		return p, want, cli.Failf("--ip %q: not an IPv4 address", ip)
	}
	if !want.Is4() || !p.Contains(want) || want == p.Addr() || want == netlink.Broadcast(p) || want == gateway(p) {
		return p, want, cli.Failf("--ip %s is not a container address of --subnet %s (the gateway is %s)", want, p, gateway(p))
	}
	return p, want, nil
}

// checkSubnet parses --subnet and --ip, and refuses a subnet that
// overlaps a route of the host other than the bridge's own.
func checkSubnet(host *netlink.Conn, bridge, subnet, ip string) (netip.Prefix, netip.Addr, error) {
	p, want, err := parseSubnet(subnet, ip)
	if err != nil {
		return p, want, err
	}
	br, err := host.LinkByName(bridge)
	if err != nil && !errors.Is(err, netlink.ErrNoLink) {
		return p, want, err
	}
	routes, err := host.Routes()
	if err != nil {
		return p, want, err
	}
	for _, r := range routes {
		if r.Dst.Bits() == 0 || !r.Dst.Overlaps(p) {
			continue
		}
		if br.Index != 0 && r.Link == br.Index && r.Dst == p {
			continue // the bridge's own route
		}
		return p, want, cli.Failf("--subnet %s overlaps the host's route to %s — those addresses are in use; choose another --subnet", p, r.Dst)
	}
	return p, want, nil
}

// gateway is the bridge's address: the subnet's first.
func gateway(p netip.Prefix) netip.Addr { return p.Addr().Next() }

// ensureBridge finds the bridge, or creates it with the gateway address.
// It stays after the container exits, like docker0, until --cleanup.
func ensureBridge(host *netlink.Conn, name string, subnet netip.Prefix, log *explain.Log) (netlink.Link, error) {
	gw := netip.PrefixFrom(gateway(subnet), subnet.Bits())
	br, err := host.LinkByName(name)
	if err == nil {
		if br.Kind != "bridge" {
			return br, cli.Failf("--bridge %s exists and is a %q link, not a bridge — choose another name", name, br.Kind)
		}
		addrs, err := host.Addrs(br)
		if err != nil {
			return br, err
		}
		for _, a := range addrs {
			if a == gw {
				return br, nil
			}
		}
		return br, cli.Failf("bridge %s has addresses %v, not %s — use its subnet, another --bridge, or --cleanup", name, addrs, gw)
	}
	if !errors.Is(err, netlink.ErrNoLink) {
		return br, err
	}
	log.Step("RTM_NEWLINK kind bridge; RTM_NEWADDR "+gw.String(), fmt.Sprintf("ip link add %s type bridge; ip addr add %s dev %s; ip link set %s up", name, gw, name, name))
	if err := host.AddBridge(name); err != nil {
		return br, err
	}
	if br, err = host.LinkByName(name); err != nil {
		return br, err
	}
	if err := host.AddAddr(br, gw); err != nil {
		return br, err
	}
	return br, host.SetUp(br, true)
}

// vethPrefix starts the name of every host end of a container's pair.
const vethPrefix = "vnsl"

// vethName is the host end of a container's pair: at most 15 bytes.
func vethName(id string) string { return vethPrefix + id[:8] }

// plugContainer creates the veth pair with eth0 born inside the network
// namespace of process pid, makes the host end a port of the bridge, and
// returns eth0's Ethernet address, which the kernel drew at random and
// the bridge's walls will hold it to. The descriptor of the namespace is
// closed at once: the runtime must not keep the namespace alive once the
// container is gone.
func plugContainer(host *netlink.Conn, br netlink.Link, hostEnd string, pid int, log *explain.Log) (net.HardwareAddr, error) {
	ns, err := netns.Open(fmt.Sprintf("/proc/%d/ns/net", pid))
	if err != nil {
		return nil, err
	}
	defer ns.Close()
	log.Step(fmt.Sprintf("RTM_NEWLINK %s kind veth, VETH_INFO_PEER { eth0, IFLA_NET_NS_FD=/proc/%d/ns/net }", hostEnd, pid),
		fmt.Sprintf("ip link add %s type veth peer name eth0 netns /proc/%d/ns/net; ip link set %s master %s up", hostEnd, pid, hostEnd, br.Name))
	if err := host.AddVeth(hostEnd, "eth0", ns.Fd()); err != nil {
		return nil, err
	}
	end, err := host.LinkByName(hostEnd)
	if err != nil {
		return nil, err
	}
	if err := host.SetMaster(end, br); err != nil {
		return nil, err
	}
	if err := host.SetUp(end, true); err != nil {
		return nil, err
	}
	return eth0Address(ns)
}

// eth0Address reads eth0's Ethernet address from inside the namespace,
// from a thread that visits it (package netns).
func eth0Address(ns *netns.NS) (net.HardwareAddr, error) {
	var mac net.HardwareAddr
	err := ns.Do(func() error {
		c, err := netlink.Dial()
		if err != nil {
			return err
		}
		defer c.Close()
		eth0, err := c.LinkByName("eth0")
		mac = eth0.Address
		return err
	})
	if err == nil && len(mac) != 6 {
		err = fmt.Errorf("eth0 has Ethernet address %v", mac)
	}
	return mac, err
}

// unplug deletes the host end of a container's veth pair, and with it
// eth0: a network namespace can outlive its processes (a socket with data
// still queued keeps it), and its veth would stay a port of the bridge,
// answering for an address that the next container may be given.
func unplug(host *netlink.Conn, hostEnd string, log *explain.Log) error {
	end, err := host.LinkByName(hostEnd)
	if errors.Is(err, netlink.ErrNoLink) {
		return nil
	}
	if err != nil {
		return err
	}
	log.Step("RTM_DELLINK "+hostEnd, "ip link del "+hostEnd)
	// The kernel may have got there first: when the container's PID 1
	// exits, its network namespace is torn down in the background, and
	// the veth pair with it. ENODEV then means the link is unregistered
	// — no longer a port of the bridge — which is what was wanted.
	if err := host.DeleteLink(end); err != nil && !errors.Is(err, unix.ENODEV) {
		return err
	}
	return nil
}

// networkInside runs in the container's init, in its own network
// namespace: lo up, and in bridge mode eth0's address, eth0 up and the
// default route through the bridge.
func networkInside(n netSpec, log *explain.Log) error {
	c, err := netlink.Dial()
	if err != nil {
		return err
	}
	defer c.Close()
	lo, err := c.LinkByName("lo")
	if err != nil {
		return err
	}
	log.Step("RTM_NEWLINK lo IFF_UP", "ip link set lo up")
	if err := c.SetUp(lo, true); err != nil {
		return err
	}
	if n.Mode != "bridge" {
		return nil
	}
	eth0, err := c.LinkByName("eth0")
	if err != nil {
		return err
	}
	log.Step("RTM_NEWADDR "+n.Addr.String()+"; RTM_NEWLINK eth0 IFF_UP",
		fmt.Sprintf("ip addr add %s dev eth0; ip link set eth0 up", n.Addr))
	if err := c.AddAddr(eth0, n.Addr); err != nil {
		return err
	}
	if err := c.SetUp(eth0, true); err != nil {
		return err
	}
	if err := addDefaultRoute(c, n.Gateway, log); err != nil {
		return err
	}
	if n.Confine {
		if err := confine(c, n, log); err != nil {
			return err
		}
	}
	return disableIPv6(log)
}

// disableIPv6 switches IPv6 off inside: the bridge's port carries IPv4
// and ARP alone, so IPv6 could reach nothing, and a link-local address
// would only be a second, unwalled way to the neighbours.
func disableIPv6(log *explain.Log) error {
	log.Step("write(/proc/sys/net/ipv6/conf/all/disable_ipv6, 1)", "sysctl -w net.ipv6.conf.all.disable_ipv6=1")
	for _, f := range []string{"all", "default"} {
		path := "/proc/sys/net/ipv6/conf/" + f + "/disable_ipv6"
		if err := os.WriteFile(path, []byte("1"), 0); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	return nil
}

// confine lets the container reach its subnet and nothing else. The
// default route stays, but two routing rules come before the main table:
// packets to the subnet look up the main table, and every other packet is
// refused (the "prohibit" action: connect fails with EACCES). The command
// cannot undo this: it has no CAP_NET_ADMIN. A program that builds its
// own frames skips the routing rules altogether, though — so the host's
// rules hold the same line (firewall.go), and these only make the refusal
// quick and plain.
func confine(c *netlink.Conn, n netSpec, log *explain.Log) error {
	subnet := n.Addr.Masked()
	toSubnet := rule{Priority: 100, Dst: subnet, Action: unix.FR_ACT_TO_TBL, Table: unix.RT_TABLE_MAIN}
	prohibit := rule{Priority: 101, Action: unix.FR_ACT_PROHIBIT}
	for _, r := range []rule{toSubnet, prohibit} {
		if err := addRule(c, r, log); err != nil {
			return err
		}
	}
	return showRules(c, log)
}
