package nft

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"nslab/05-net/netns"
	"nslab/internal/labtest"
)

// scratch is an empty network namespace: its own nftables ruleset.
func scratch(t *testing.T) *netns.NS {
	t.Helper()
	labtest.NeedRoot(t)
	ns, err := netns.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	return ns
}

// in runs fn with a Conn in the namespace.
func in(t *testing.T, ns *netns.NS, fn func(c *Conn) error) {
	t.Helper()
	err := ns.Do(func() error {
		c, err := Dial()
		if err != nil {
			return err
		}
		defer c.Close()
		return fn(c)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// nftIn runs nft(8) in the namespace, which it enters through this
// process's descriptor of it.
func nftIn(t *testing.T, ns *netns.NS, args ...string) labtest.Result {
	t.Helper()
	path := fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), ns.Fd())
	return labtest.Run(t, "nsenter", append([]string{"--net=" + path, "nft"}, args...)...)
}

// sample is a ruleset of each kind of statement.
func sample(tx *Tx) {
	tx.AddTable(Table{Family: IPv4, Name: "nslab", Comment: "restore net.ipv4.ip_forward=0"})
	tx.AddChain(Chain{Family: IPv4, Table: "nslab", Name: "postrouting", Hook: &Hook{Type: "nat", Num: unix.NF_INET_POST_ROUTING, Priority: 100}})
	tx.AddChain(Chain{Family: IPv4, Table: "nslab", Name: "prerouting", Hook: &Hook{Type: "nat", Num: unix.NF_INET_PRE_ROUTING, Priority: -100}})
	tx.AddChain(Chain{Family: IPv4, Table: "nslab", Name: "input", Hook: &Hook{Type: "filter", Num: unix.NF_INET_LOCAL_IN, Priority: 0}})
	tx.AddRule(Rule{Family: IPv4, Table: "nslab", Chain: "postrouting", Comment: "nslab0",
		Stmts: []Stmt{IPSaddr(Eq, subnet), OifName(Neq, "nslab0"), Counter(), Masquerade()}})
	tx.AddRule(Rule{Family: IPv4, Table: "nslab", Chain: "postrouting", Comment: "nslab0",
		Stmts: []Stmt{IPSaddr(Eq, subnet), OifName(Eq, "nslab0"), CtDNAT(), Masquerade()}})
	tx.AddRule(Rule{Family: IPv4, Table: "nslab", Chain: "prerouting", Comment: "nslab0 0123456789ab",
		Stmts: []Stmt{IPDaddr(Neq, netip.MustParsePrefix("127.0.0.0/8")), FibDaddrLocal(), Dport("udp", 53), DNAT(ctr, 53)}})
	tx.AddRule(Rule{Family: IPv4, Table: "nslab", Chain: "input", Comment: "nslab0 0123456789ab",
		Stmts: []Stmt{IifName(Eq, "nslab0"), IPSaddr(Eq, netip.MustParsePrefix("10.99.0.2/32")), ICMPEchoRequest(), Accept()}})
	tx.AddRule(Rule{Family: IPv4, Table: "nslab", Chain: "input", Comment: "nslab0 0123456789ab",
		Stmts: []Stmt{IifName(Eq, "nslab0"), IPSaddr(Eq, netip.MustParsePrefix("10.99.0.2/32")), CtEstablished(), Accept()}})
	tx.AddRule(Rule{Family: IPv4, Table: "nslab", Chain: "input", Comment: "nslab0 0123456789ab",
		Stmts: []Stmt{IifName(Eq, "nslab0"), IPSaddr(Eq, netip.MustParsePrefix("10.99.0.2/32")), Counter(), Reject()}})
	tx.AddTable(Table{Family: Bridge, Name: "nslab"})
	tx.AddChain(Chain{Family: Bridge, Table: "nslab", Name: "prerouting", Hook: &Hook{Type: "filter", Num: unix.NF_INET_PRE_ROUTING, Priority: -200}})
	tx.AddChain(Chain{Family: Bridge, Table: "nslab", Name: "port-0123456789ab", Comment: "vnsl01234567"})
	tx.AddRule(Rule{Family: Bridge, Table: "nslab", Chain: "prerouting", Comment: "nslab0 0123456789ab",
		Stmts: []Stmt{IifName(Eq, "vnsl01234567"), Jump("port-0123456789ab")}})
	tx.AddRule(Rule{Family: Bridge, Table: "nslab", Chain: "port-0123456789ab",
		Stmts: []Stmt{EtherSaddr(mac), EtherType("ip"), IPSaddr(Eq, netip.MustParsePrefix("10.99.0.2/32")), Accept()}})
	tx.AddRule(Rule{Family: Bridge, Table: "nslab", Chain: "port-0123456789ab",
		Stmts: []Stmt{EtherSaddr(mac), EtherType("arp"), ARPEthernetIPv4(), ARPSaddr(mac, ctr), Accept()}})
	tx.AddRule(Rule{Family: Bridge, Table: "nslab", Chain: "port-0123456789ab", Stmts: []Stmt{Drop()}})
}

// What the package builds and what nft -f makes of its twin are the same
// ruleset, as nft list ruleset prints them.
func TestTwinMakesTheSameRuleset(t *testing.T) {
	built, loaded := scratch(t), scratch(t)
	var twin []string
	in(t, built, func(c *Conn) error {
		tx := c.Begin()
		sample(tx)
		twin = tx.Twin()
		return tx.Commit()
	})
	script := filepath.Join(t.TempDir(), "twin.nft")
	if err := os.WriteFile(script, []byte(strings.Join(twin, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	nftIn(t, loaded, "-f", script).Want(t, 0)
	a := nftIn(t, built, "list", "ruleset").Want(t, 0).Stdout
	b := nftIn(t, loaded, "list", "ruleset").Want(t, 0).Stdout
	if a != b || !strings.Contains(a, "masquerade") {
		t.Errorf("built:\n%s\nloaded from the twin:\n%s", a, b)
	}
}

// Listing finds tables with their comments, chains with their hooks,
// rules with their handles; a listed rule can be deleted.
func TestListAndDelete(t *testing.T) {
	ns := scratch(t)
	in(t, ns, func(c *Conn) error {
		tx := c.Begin()
		sample(tx)
		if err := tx.Commit(); err != nil {
			return err
		}
		table, ok, err := c.FindTable(IPv4, "nslab")
		if err != nil || !ok || table.Comment != "restore net.ipv4.ip_forward=0" {
			return fmt.Errorf("table %+v %v %v", table, ok, err)
		}
		chains, err := c.Chains()
		if err != nil {
			return err
		}
		hooked := 0
		for _, ch := range chains {
			if ch.Hook != nil {
				hooked++
				if ch.Drops() {
					return fmt.Errorf("chain %s drops", ch.Name)
				}
			}
		}
		if len(chains) != 5 || hooked != 4 {
			return fmt.Errorf("chains %+v", chains)
		}
		rules, err := c.Rules(IPv4, "nslab")
		if err != nil {
			return err
		}
		if len(rules) != 6 || rules[2].Comment != "nslab0 0123456789ab" || rules[2].Handle == 0 || rules[2].Chain != "prerouting" {
			return fmt.Errorf("rules %+v", rules)
		}
		tx = c.Begin()
		tx.DeleteRule(rules[2])
		if err := tx.Commit(); err != nil {
			return err
		}
		if after, err := c.Rules(IPv4, "nslab"); err != nil || len(after) != 5 {
			return fmt.Errorf("after delete: %d rules, %v", len(after), err)
		}
		return nil
	})
}

// A transaction is all or nothing: a rule that jumps to a chain that does
// not exist refuses the whole batch, with the failing command named.
func TestTransactionIsAllOrNothing(t *testing.T) {
	ns := scratch(t)
	in(t, ns, func(c *Conn) error {
		tx := c.Begin()
		tx.AddTable(Table{Family: Bridge, Name: "nslab"})
		tx.AddChain(Chain{Family: Bridge, Table: "nslab", Name: "prerouting", Hook: &Hook{Type: "filter", Num: 0, Priority: -200}})
		tx.AddRule(Rule{Family: Bridge, Table: "nslab", Chain: "prerouting", Stmts: []Stmt{Jump("nowhere")}})
		err := tx.Commit()
		if !errors.Is(err, unix.ENOENT) || !strings.Contains(err.Error(), "nft add rule bridge nslab prerouting jump nowhere") {
			return fmt.Errorf("err = %v, want ENOENT naming the rule", err)
		}
		if _, ok, err := c.FindTable(Bridge, "nslab"); ok || err != nil {
			return fmt.Errorf("the table was made (%v)", err)
		}
		return nil
	})
}
