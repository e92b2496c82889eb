package main

import (
	"strings"

	"nslab/05-net/netlink"
	"nslab/06-container/nft"
	"nslab/internal/cli"
)

// The runtime's side of a bridged container's network, in the order it
// happens: the host's firewall checked, the veth pair made, the rules
// put up; at the end, the veth pair and the rules taken down.

// holdPorts binds the host ports of -p before anything is made, so that a
// port in use costs nothing. As root the runtime keeps them (proxy.go);
// rootless, pasta will bind them, and this only checks they are free.
func (c *container) holdPorts() error {
	ports, err := listenPorts(c.spec.Net.Ports)
	if err != nil {
		return err
	}
	if c.spec.Net.Mode == "bridge" {
		c.ports = ports
	} else {
		closePorts(ports)
	}
	return nil
}

// checkHostFirewall refuses, before anything is made, a container that
// the host's own firewall would cut off from the outside
// (hostfirewall.go). A confined container goes nowhere, so it passes.
func (c *container) checkHostFirewall() error {
	if c.spec.Net.Confine {
		return nil
	}
	fw, err := nft.Dial()
	if err != nil {
		return err
	}
	defer fw.Close()
	chain, fix, blocked, err := forwardBlock(fw, c.flags.bridge)
	if err != nil {
		return cli.Failf("listing the host's nftables chains: %w", err)
	}
	if blocked {
		return cli.Failf("the host's firewall drops forwarded traffic (chain %s), so a container on %s could not reach beyond the host — let the bridge through: %s; or run with --confine-net", chain, c.flags.bridge, fix)
	}
	return nil
}

// plug joins the container to the bridge, then puts up its walls, its
// rules and its published ports, under the state directory's lock, and
// starts serving the ports' loopback side.
func (c *container) plug(pid int) error {
	c.veth = vethName(c.spec.ID)
	mac, err := plugContainer(c.host, c.bridge, c.veth, pid, c.log)
	if err != nil {
		return err
	}
	unlock, err := lockDir(stateRootPath(false))
	if err != nil {
		return err
	}
	defer unlock()
	fw, err := nft.Dial()
	if err != nil {
		return err
	}
	defer fw.Close()
	n := c.spec.Net
	r := netRules{ID: c.spec.ID, Bridge: c.bridge.Name, Veth: c.veth, MAC: mac, Addr: n.Addr, Gateway: n.Gateway,
		Confine: n.Confine, DNSOnGateway: n.DNSGiven && containsAddr(n.DNS.Servers, n.Gateway), Ports: n.Ports}
	if err := installRules(fw, r, c.log); err != nil {
		return cli.Failf("the container's rules: %w", err)
	}
	for _, p := range c.ports {
		p.serve(n.Addr.Addr())
	}
	return nil
}

// unplug takes the container off the network: the host end of its veth
// pair first, then its rules — and with the last container's, the
// tables. The caller holds the state directory's lock.
func (c *container) unplug() error {
	if c.host == nil {
		return nil
	}
	if c.veth != "" {
		if err := unplug(c.host, c.veth, c.log); err != nil {
			return err
		}
	}
	fw, err := nft.Dial()
	if err != nil {
		return err
	}
	defer fw.Close()
	return removeRules(fw, func(id string) bool { return id == c.spec.ID }, c.log)
}

// sweepNetwork removes, in this network namespace, the veth pairs and the
// rules of containers whose runtime was killed: a veth whose name is no
// live container's, the rules whose comment names no live container.
func sweepNetwork(alive map[string]bool) []string {
	var removed []string
	host, err := netlink.Dial()
	if err != nil {
		cli.Warnf("cleanup: %v", err)
		return nil
	}
	defer host.Close()
	live := map[string]bool{}
	for id := range alive {
		live[vethName(id)] = true
	}
	links, err := host.Links()
	if err != nil {
		cli.Warnf("cleanup: %v", err)
	}
	for _, l := range links {
		if l.Kind == "veth" && strings.HasPrefix(l.Name, vethPrefix) && !live[l.Name] {
			if err := host.DeleteLink(l); err != nil {
				cli.Warnf("cleanup: stale %s: %v", l.Name, err)
				continue
			}
			removed = append(removed, "veth "+l.Name)
		}
	}
	fw, err := nft.Dial()
	if err != nil {
		cli.Warnf("cleanup: %v", err)
		return removed
	}
	defer fw.Close()
	if err := removeRules(fw, func(id string) bool { return !alive[id] }, nil); err != nil {
		cli.Warnf("cleanup: rules: %v", err)
	}
	return removed
}
