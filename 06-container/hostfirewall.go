package main

import (
	"bytes"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"

	"nslab/06-container/nft"
	"nslab/internal/doctor"
)

// The host's own firewall. Every base chain at a hook sees every packet,
// and a drop in any of them is final: nslab's accept cannot overrule
// Docker's FORWARD chain (policy drop), ufw's or firewalld's. So before a
// container is given a way out, the runtime looks for a chain at the
// forward hook that drops what it does not know — by its policy, or by a
// last rule that drops or rejects everything — and, when its table names
// no rule for the bridge, refuses with the fix for the tool that made it.
// nslab changes no table but its own.

// forwardBlock describes the chain that would drop the bridge's traffic,
// with the commands that let it through; blocked is false when none would.
func forwardBlock(c *nft.Conn, bridge string) (chain, fix string, blocked bool, err error) {
	chains, err := c.Chains()
	if err != nil {
		return "", "", false, err
	}
	for _, ch := range chains {
		if ch.Table == nftTable || ch.Hook == nil || ch.Hook.Num != unix.NF_INET_FORWARD || ch.Family != nft.IPv4 && ch.Family != nft.Inet {
			continue
		}
		rules, err := c.Rules(ch.Family, ch.Table)
		if err != nil {
			return "", "", false, err
		}
		if !dropsByDefault(ch, rules) || namesBridge(rules, bridge) {
			continue
		}
		return fmt.Sprintf("%s %s %s", ch.Family, ch.Table, ch.Name), firewallFix(ch, chains, bridge), true, nil
	}
	return "", "", false, nil
}

// dropsByDefault reports whether a packet that no rule of the chain
// accepts is dropped: the policy, or a last rule with no match before its
// drop or reject.
func dropsByDefault(ch nft.Chain, rules []nft.Rule) bool {
	if ch.Drops() {
		return true
	}
	var last *nft.Rule
	for i := range rules {
		if rules[i].Chain == ch.Name {
			last = &rules[i]
		}
	}
	if last == nil {
		return false
	}
	for _, e := range last.Exprs {
		switch {
		case e.Name == "counter" || e.Name == "reject":
		case e.Name == "immediate" && strings.HasSuffix(e.String(), " drop ]"):
		default:
			return false
		}
	}
	return true
}

// namesBridge reports whether a rule of the table compares an interface
// name with the bridge's: the allowance the fix adds, as iptables-nft,
// ufw or firewalld write it.
func namesBridge(rules []nft.Rule, bridge string) bool {
	for _, r := range rules {
		for _, e := range r.Exprs {
			if v := e.Value(); v != nil && string(bytes.TrimRight(v, "\x00")) == bridge {
				return true
			}
		}
	}
	return false
}

// firewallFix is the command that lets the bridge through, in the words
// of the tool that owns the chain.
func firewallFix(ch nft.Chain, chains []nft.Chain, bridge string) string {
	has := func(prefix string) bool {
		for _, c := range chains {
			if c.Family == ch.Family && c.Table == ch.Table && strings.HasPrefix(c.Name, prefix) {
				return true
			}
		}
		return false
	}
	switch {
	case has("DOCKER-USER"):
		return fmt.Sprintf("iptables -I DOCKER-USER -i %[1]s -j ACCEPT && iptables -I DOCKER-USER -o %[1]s -j ACCEPT", bridge)
	case has("ufw-"):
		return fmt.Sprintf("ufw route allow in on %[1]s && ufw route allow out on %[1]s", bridge)
	case ch.Table == "firewalld":
		return "firewall-cmd --zone=trusted --add-interface=" + bridge
	}
	return fmt.Sprintf("nft insert rule %[1]s %[2]s %[3]s iifname %[4]s accept && nft insert rule %[1]s %[2]s %[3]s oifname %[4]s accept",
		ch.Family, ch.Table, ch.Name, bridge)
}

// firewallCheck is --check's view of it.
func firewallCheck(bridge string) doctor.Result {
	c, err := nft.Dial()
	if err != nil {
		return doctor.Fail("nftables: "+err.Error(), "run as root")
	}
	defer c.Close()
	chain, fix, blocked, err := forwardBlock(c, bridge)
	switch {
	case err != nil:
		return doctor.Fail("listing the host's nftables chains: "+err.Error(), "check that the kernel has nf_tables (CONFIG_NF_TABLES)")
	case blocked:
		return doctor.Fail(fmt.Sprintf("the host's firewall drops forwarded traffic (chain %s): containers on %s could not reach beyond the host", chain, bridge), fix+", or run containers with --confine-net")
	}
	return doctor.Pass("no chain of the host's firewall drops what %s forwards", bridge)
}
