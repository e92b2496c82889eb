package main

import (
	"fmt"
	"net"
	"net/netip"
	"strings"

	"golang.org/x/sys/unix"

	"nslab/06-container/nft"
	"nslab/internal/explain"
)

// The host's rules for the containers on a bridge, in two nftables tables
// that nslab alone writes (package nft speaks to the kernel; -v shows
// every change as the nft command that makes it):
//
//	table ip nslab      NAT to the outside, published ports, what a
//	                    container may reach on the host, what may reach it
//	table bridge nslab  the walls: each port of the bridge carries only its
//	                    container's own Ethernet and IPv4 addresses
//
// Two tables, because a family sees one layer: ARP and Ethernet addresses
// exist only in the bridge family, NAT only in ip. (netdev or inet
// "ingress" chains on each veth could hold the walls too, but the inet
// one lets ARP through unseen, and one chain on the bridge's path reads
// better than a chain per device.) Every rule's comment says whose it is:
// "BRIDGE" for the bridge's own rules, made with its first container,
// and "BRIDGE ID" for a container's. A container's walls are a chain of
// their own, port-ID. The tables go with the last container, and with
// them the forwarding setting they changed (forwarding.go).

const nftTable = "nslab"

// netRules is what one container adds to the host's rules.
type netRules struct {
	ID, Bridge, Veth string
	MAC              net.HardwareAddr
	Addr             netip.Prefix // its address on the bridge's subnet
	Gateway          netip.Addr
	Confine          bool // --confine-net: its subnet only
	DNSOnGateway     bool // its name server is the host, on the bridge
	Ports            []port
}

func (r netRules) tag() string       { return r.Bridge + " " + r.ID }
func (r netRules) portChain() string { return "port-" + r.ID }
func (r netRules) addr() netip.Prefix {
	return netip.PrefixFrom(r.Addr.Addr(), 32)
}

// The chains, with their hooks. nat chains at dstnat (-100) and srcnat
// (100), filter chains at filter (0; -200 in the bridge family), where
// nft(8) puts them by name.
var (
	ipChains = []nft.Chain{
		{Name: "prerouting", Hook: &nft.Hook{Type: "nat", Num: unix.NF_INET_PRE_ROUTING, Priority: -100}},
		{Name: "output", Hook: &nft.Hook{Type: "nat", Num: unix.NF_INET_LOCAL_OUT, Priority: -100}},
		{Name: "postrouting", Hook: &nft.Hook{Type: "nat", Num: unix.NF_INET_POST_ROUTING, Priority: 100}},
		{Name: "input", Hook: &nft.Hook{Type: "filter", Num: unix.NF_INET_LOCAL_IN, Priority: 0}},
		{Name: "forward", Hook: &nft.Hook{Type: "filter", Num: unix.NF_INET_FORWARD, Priority: 0}},
	}
	bridgeChains = []nft.Chain{
		{Name: "prerouting", Hook: &nft.Hook{Type: "filter", Num: unix.NF_INET_PRE_ROUTING, Priority: -200}},
	}
)

// addTables adds both tables and their chains; those that exist stay as
// they are. comment is what the ip table will remember to restore.
func addTables(tx *nft.Tx, comment string) {
	tx.AddTable(nft.Table{Family: nft.IPv4, Name: nftTable, Comment: comment})
	for _, ch := range ipChains {
		ch.Family, ch.Table = nft.IPv4, nftTable
		tx.AddChain(ch)
	}
	tx.AddTable(nft.Table{Family: nft.Bridge, Name: nftTable})
	for _, ch := range bridgeChains {
		ch.Family, ch.Table = nft.Bridge, nftTable
		tx.AddChain(ch)
	}
}

// ipRule and bridgeRule make a rule of one of the tables.
func ipRule(chain, comment string, stmts ...nft.Stmt) nft.Rule {
	return nft.Rule{Family: nft.IPv4, Table: nftTable, Chain: chain, Comment: comment, Stmts: stmts}
}

func bridgeRule(chain, comment string, stmts ...nft.Stmt) nft.Rule {
	return nft.Rule{Family: nft.Bridge, Table: nftTable, Chain: chain, Comment: comment, Stmts: stmts}
}

// bridgeRules are the bridge's own rules:
//   - masquerade: a connection from the subnet that leaves by another
//     interface gets the host's address on it, so that answers find their
//     way back (conntrack undoes it for them);
//   - hairpin: a container that reaches a published port by the host's
//     address is answered through the host too — without the rewrite,
//     the answer would come straight from the other container's address,
//     which the first never asked;
//   - inbound: from outside, only answers and published ports reach the
//     containers: a neighbour routing to 10.99.0.0/24 through the host
//     must not reach every port of every container.
func bridgeRules(br string, subnet netip.Prefix) []nft.Rule {
	return []nft.Rule{
		ipRule("postrouting", br, nft.IPSaddr(nft.Eq, subnet), nft.OifName(nft.Neq, br), nft.Counter(), nft.Masquerade()),
		ipRule("postrouting", br, nft.IPSaddr(nft.Eq, subnet), nft.OifName(nft.Eq, br), nft.CtDNAT(), nft.Counter(), nft.Masquerade()),
		ipRule("forward", br, nft.OifName(nft.Eq, br), nft.IifName(nft.Neq, br), nft.CtEstablished(), nft.Accept()),
		ipRule("forward", br, nft.OifName(nft.Eq, br), nft.IifName(nft.Neq, br), nft.CtDNAT(), nft.Accept()),
		ipRule("forward", br, nft.OifName(nft.Eq, br), nft.IifName(nft.Neq, br), nft.Counter(), nft.Drop()),
	}
}

// wallRules are the container's port: an IPv4 packet or an ARP message
// passes only with the container's own Ethernet address as its source,
// and its own IPv4 address as the sender's. Anything else — another
// address, IPv6, a VLAN tag — is dropped, so no container can answer ARP
// for the gateway or for a neighbour, nor send as either, however it
// builds its frames.
func wallRules(r netRules) []nft.Rule {
	chain := r.portChain()
	return []nft.Rule{
		bridgeRule("prerouting", r.tag(), nft.IifName(nft.Eq, r.Veth), nft.Jump(chain)),
		bridgeRule(chain, "", nft.EtherSaddr(r.MAC), nft.EtherType("ip"), nft.IPSaddr(nft.Eq, r.addr()), nft.Accept()),
		bridgeRule(chain, "", nft.EtherSaddr(r.MAC), nft.EtherType("arp"), nft.ARPEthernetIPv4(), nft.ARPSaddr(r.MAC, r.Addr.Addr()), nft.Accept()),
		bridgeRule(chain, "", nft.Counter(), nft.Drop()),
	}
}

// hostRules say what the container may reach on the host itself — its
// answers, a ping of the gateway, DNS when the host is its name server,
// nothing else: a service listening on all the host's addresses is not
// the container's business — and, with --confine-net, that it may not
// leave its subnet at all.
func hostRules(r netRules) []nft.Rule {
	from := []nft.Stmt{nft.IifName(nft.Eq, r.Bridge), nft.IPSaddr(nft.Eq, r.addr())}
	rule := func(chain string, stmts ...nft.Stmt) nft.Rule {
		return ipRule(chain, r.tag(), append(append([]nft.Stmt{}, from...), stmts...)...)
	}
	gw := nft.IPDaddr(nft.Eq, netip.PrefixFrom(r.Gateway, 32))
	rules := []nft.Rule{rule("input", nft.CtEstablished(), nft.Accept())}
	if !r.Confine {
		rules = append(rules, rule("input", gw, nft.ICMPEchoRequest(), nft.Accept()))
	}
	if r.DNSOnGateway {
		rules = append(rules, rule("input", gw, nft.Dport("udp", 53), nft.Accept()), rule("input", gw, nft.Dport("tcp", 53), nft.Accept()))
	}
	rules = append(rules, rule("input", nft.Counter(), nft.Reject()))
	if r.Confine {
		rules = append(rules, rule("forward", nft.OifName(nft.Neq, r.Bridge), nft.Counter(), nft.Reject()))
	}
	return rules
}

// portRules publish the container's ports: dnat at prerouting for what
// arrives from elsewhere, and at output for the host's own connections
// to its addresses — but not to 127.0.0.0/8, which the proxy serves. A
// port published on a loopback address has the proxy alone.
func portRules(r netRules) []nft.Rule {
	var rules []nft.Rule
	for _, p := range r.Ports {
		if p.HostIP.IsLoopback() {
			continue
		}
		to := []nft.Stmt{nft.Dport(p.Proto, p.HostPort), nft.DNAT(r.Addr.Addr(), p.ContainerPort)}
		where := []nft.Stmt{nft.FibDaddrLocal()}
		if !p.HostIP.IsUnspecified() {
			where = []nft.Stmt{nft.IPDaddr(nft.Eq, netip.PrefixFrom(p.HostIP, 32))}
		}
		local := append([]nft.Stmt{nft.IPDaddr(nft.Neq, netip.MustParsePrefix("127.0.0.0/8"))}, where...)
		rules = append(rules,
			ipRule("prerouting", r.tag(), append(where, to...)...),
			ipRule("output", r.tag(), append(local, to...)...))
	}
	return rules
}

// installRules adds the container's rules, with the tables and the
// bridge's own rules when it is the first, in one transaction. The caller
// holds the state directory's lock: two runtimes never decide at once
// that they are the first, or the last.
func installRules(c *nft.Conn, r netRules, log *explain.Log) error {
	table, exists, err := c.FindTable(nft.IPv4, nftTable)
	if err != nil {
		return err
	}
	comment := table.Comment
	if !exists {
		if comment, err = forwardingSnapshot(); err != nil {
			return err
		}
	}
	rules, err := c.Rules(nft.IPv4, nftTable)
	if err != nil {
		return err
	}
	tx := c.Begin()
	addTables(tx, comment)
	if !hasComment(rules, r.Bridge) {
		for _, rule := range bridgeRules(r.Bridge, r.Addr.Masked()) {
			tx.AddRule(rule)
		}
	}
	tx.AddChain(nft.Chain{Family: nft.Bridge, Table: nftTable, Name: r.portChain(), Comment: r.Veth})
	for _, list := range [][]nft.Rule{wallRules(r), hostRules(r), portRules(r)} {
		for _, rule := range list {
			tx.AddRule(rule)
		}
	}
	logTwin(tx, log)
	if err := tx.Commit(); err != nil {
		return err
	}
	if r.Confine {
		return nil
	}
	return enableForwarding(log)
}

// hasComment reports whether a rule carries the comment.
func hasComment(rules []nft.Rule, comment string) bool {
	for _, r := range rules {
		if r.Comment == comment {
			return true
		}
	}
	return false
}

// logTwin shows a transaction as one step, with its nft commands.
func logTwin(tx *nft.Tx, log *explain.Log) {
	var cmds []string
	for _, t := range tx.Twin() {
		cmds = append(cmds, "nft '"+t+"'")
	}
	log.Step(fmt.Sprintf("NFNL_MSG_BATCH_BEGIN, %d nf_tables requests, NFNL_MSG_BATCH_END", len(cmds)), strings.Join(cmds, "\n"))
}
