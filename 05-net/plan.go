package main

import (
	"errors"
	"fmt"
	"net/netip"

	"nslab/05-net/netlink"
	"nslab/05-net/netns"
	"nslab/internal/cli"
)

// plan is every name and address the walk-through will use, worked out
// and checked before anything is created.
type plan struct {
	subnet    netip.Prefix
	hostAddr  netip.Addr            // the host's end of the veth in step 3
	addrs     map[string]netip.Addr // namespace letter → its eth0 address
	netns     map[string]string     // namespace letter → name in /run/netns
	hostVeth  string                // host end of the host↔a pair
	bridge    string                // the bridge of step 5
	bridgeEnd map[string]string     // d, e, f → host end of their veth, a bridge port
	port      int
}

// letters names the six namespaces: a for steps 1–3, b and c for step 4,
// d, e and f on the bridge in step 5.
var letters = []string{"a", "b", "c", "d", "e", "f"}

// checkPrefix accepts a prefix for link and namespace names made of
// letters, digits, '-' and '_', starting with a letter: a name that starts
// with '-' would read as an option to ip(8) in the shell twins.
func checkPrefix(prefix string) error {
	for i, c := range prefix {
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (i == 0 || !(c >= '0' && c <= '9' || c == '-' || c == '_')) {
			return cli.Failf("--prefix %q: want letters, digits, - and _, starting with a letter", prefix)
		}
	}
	if prefix == "" {
		return cli.Failf("--prefix is empty: the names would start with '-'")
	}
	return nil
}

// makePlan checks the flags and derives the names and addresses.
func makePlan(cfg config) (*plan, error) {
	if err := checkPrefix(cfg.prefix); err != nil {
		return nil, err
	}
	subnet, err := netip.ParsePrefix(cfg.subnet)
	if err != nil {
		return nil, cli.Failf("--subnet %q: not a CIDR like 10.55.0.0/24", cfg.subnet)
	}
	if !subnet.Addr().Is4() {
		return nil, cli.Failf("--subnet %s: IPv4 only in this chapter", subnet)
	}
	subnet = subnet.Masked()
	if hosts := 1<<uint(32-subnet.Bits()) - 2; hosts < len(letters)+1 {
		return nil, cli.Failf("--subnet %s has %d host addresses; the walk-through needs %d (use /28 or larger)", subnet, max0(hosts), len(letters)+1)
	}
	p := &plan{subnet: subnet, port: cfg.port, addrs: map[string]netip.Addr{}, netns: map[string]string{}, bridgeEnd: map[string]string{}}
	p.hostAddr = subnet.Addr().Next()
	if cfg.hostIP != "" {
		if p.hostAddr, err = netip.ParseAddr(cfg.hostIP); err != nil {
			return nil, cli.Failf("--host-ip %q: not an IPv4 address", cfg.hostIP)
		}
		if !usable(subnet, p.hostAddr) {
			return nil, cli.Failf("--host-ip %s is not a host address of --subnet %s", p.hostAddr, subnet)
		}
	}
	next := subnet.Addr()
	for _, l := range letters {
		for next = next.Next(); next == p.hostAddr; next = next.Next() {
		}
		p.addrs[l] = next
		p.netns[l] = cfg.prefix + "-" + l
	}
	p.hostVeth, p.bridge = cfg.prefix+"-h0", cfg.prefix+"-br0"
	for _, l := range []string{"d", "e", "f"} {
		p.bridgeEnd[l] = cfg.prefix + "-" + l + "0"
	}
	return p, p.checkNames()
}

func max0(n int) int {
	if n < 0 {
		return 0
	}
	return n
}

// usable reports whether a is in the subnet and is neither its network
// nor its broadcast address.
func usable(subnet netip.Prefix, a netip.Addr) bool {
	return a.Is4() && subnet.Contains(a) && a != subnet.Addr() && a != netlink.Broadcast(subnet)
}

// linkNames lists the host links the walk-through creates.
func (p *plan) linkNames() []string {
	names := []string{p.hostVeth, p.bridge}
	for _, l := range []string{"d", "e", "f"} {
		names = append(names, p.bridgeEnd[l])
	}
	return names
}

// checkNames refuses names the kernel would refuse.
func (p *plan) checkNames() error {
	for _, n := range p.linkNames() {
		if err := netlink.CheckName(n); err != nil {
			return cli.Failf("%v — choose a shorter --prefix", err)
		}
	}
	for _, l := range letters {
		if err := netns.CheckName(p.netns[l]); err != nil {
			return cli.Failf("%v — choose another --prefix", err)
		}
	}
	return nil
}

// checkHost refuses a plan that collides with the host: a link or a named
// namespace that already exists, or a route that overlaps the subnet.
func (p *plan) checkHost(host *netlink.Conn) error {
	for _, n := range p.linkNames() {
		_, err := host.LinkByName(n)
		if err == nil {
			return cli.Failf("link %s already exists — delete it (ip link del %s) or choose another --prefix", n, n)
		}
		if !errors.Is(err, netlink.ErrNoLink) {
			return cli.Failf("%v", err)
		}
	}
	for _, l := range letters {
		if netns.Exists(p.netns[l]) {
			return cli.Failf("namespace %s already exists in %s — ip netns del %s, or choose another --prefix", p.netns[l], netns.RunDir, p.netns[l])
		}
	}
	routes, err := host.Routes()
	if err != nil {
		return cli.Failf("%v", err)
	}
	for _, r := range routes {
		if r.Dst.Bits() > 0 && r.Dst.Overlaps(p.subnet) {
			return cli.Failf("--subnet %s overlaps the host's route to %s — the address range is in use; choose another --subnet", p.subnet, r.Dst)
		}
	}
	return nil
}

func (p *plan) prefix(a netip.Addr) netip.Prefix {
	return netip.PrefixFrom(a, p.subnet.Bits())
}

func (p *plan) String() string {
	return fmt.Sprintf("subnet %s, host %s", p.subnet, p.hostAddr)
}
