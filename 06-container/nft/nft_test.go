package nft

import (
	"net"
	"net/netip"
	"strings"
	"testing"
)

var (
	mac    = net.HardwareAddr{0x02, 0x42, 0x0a, 0x63, 0x00, 0x02}
	ctr    = netip.MustParseAddr("10.99.0.2")
	subnet = netip.MustParsePrefix("10.99.0.0/24")
)

// Each rule, encoded as the kernel will read it, then decoded again and
// shown as nft --debug=netlink shows the rule that nft itself compiles
// from the same text (checked with nft 1.0.6; nft merges neighbouring
// loads, which is shorter but not different).
func TestRulesDecodeAsBuilt(t *testing.T) {
	for _, c := range []struct {
		rule Rule
		text string
		want []string
	}{
		{
			Rule{Family: IPv4, Table: "nslab", Chain: "postrouting", Comment: "nslab0",
				Stmts: []Stmt{IPSaddr(Eq, subnet), OifName(Neq, "nslab0"), Masquerade()}},
			`ip nslab postrouting ip saddr 10.99.0.0/24 oifname != "nslab0" masquerade comment "nslab0"`,
			[]string{
				"[ payload load 4b @ network header + 12 => reg 1 ]",
				"[ bitwise reg 1 = ( reg 1 & 0x00ffffff ) ^ 0x00000000 ]",
				"[ cmp eq reg 1 0x0000630a ]",
				"[ meta load oifname => reg 1 ]",
				"[ cmp neq reg 1 0x616c736e 0x00003062 0x00000000 0x00000000 ]",
				"[ masq ]",
			},
		},
		{
			Rule{Family: IPv4, Table: "nslab", Chain: "prerouting",
				Stmts: []Stmt{FibDaddrLocal(), Dport("tcp", 8080), DNAT(ctr, 80)}},
			`ip nslab prerouting fib daddr type local tcp dport 8080 dnat to 10.99.0.2:80`,
			[]string{
				"[ fib daddr type => reg 1 ]",
				"[ cmp eq reg 1 0x00000002 ]",
				"[ meta load l4proto => reg 1 ]",
				"[ cmp eq reg 1 0x00000006 ]",
				"[ payload load 2b @ transport header + 2 => reg 1 ]",
				"[ cmp eq reg 1 0x0000901f ]",
				"[ immediate reg 1 0x0200630a ]",
				"[ immediate reg 2 0x00005000 ]",
				"[ nat dnat ip addr_min reg 1 proto_min reg 2 ]",
			},
		},
		{
			Rule{Family: IPv4, Table: "nslab", Chain: "input",
				Stmts: []Stmt{IifName(Eq, "nslab0"), IPSaddr(Eq, netip.PrefixFrom(ctr, 32)), CtEstablished(), Accept()}},
			`ip nslab input iifname "nslab0" ip saddr 10.99.0.2 ct state established,related accept`,
			[]string{
				"[ meta load iifname => reg 1 ]",
				"[ cmp eq reg 1 0x616c736e 0x00003062 0x00000000 0x00000000 ]",
				"[ payload load 4b @ network header + 12 => reg 1 ]",
				"[ cmp eq reg 1 0x0200630a ]",
				"[ ct load state => reg 1 ]",
				"[ bitwise reg 1 = ( reg 1 & 0x00000006 ) ^ 0x00000000 ]",
				"[ cmp neq reg 1 0x00000000 ]",
				"[ immediate reg 0 accept ]",
			},
		},
		{
			Rule{Family: Bridge, Table: "nslab", Chain: "port-0123456789ab",
				Stmts: []Stmt{EtherSaddr(mac), EtherType("arp"), ARPEthernetIPv4(), ARPSaddr(mac, ctr), Accept()}},
			`bridge nslab port-0123456789ab ether saddr 02:42:0a:63:00:02 ether type arp arp htype 1 arp ptype ip arp hlen 6 arp plen 4 arp saddr ether 02:42:0a:63:00:02 arp saddr ip 10.99.0.2 accept`,
			[]string{
				"[ payload load 6b @ link header + 6 => reg 1 ]",
				"[ cmp eq reg 1 0x630a4202 0x00000200 ]",
				"[ payload load 2b @ link header + 12 => reg 1 ]",
				"[ cmp eq reg 1 0x00000608 ]",
				"[ payload load 2b @ network header + 0 => reg 1 ]",
				"[ cmp eq reg 1 0x00000100 ]",
				"[ payload load 2b @ network header + 2 => reg 1 ]",
				"[ cmp eq reg 1 0x00000008 ]",
				"[ payload load 1b @ network header + 4 => reg 1 ]",
				"[ cmp eq reg 1 0x00000006 ]",
				"[ payload load 1b @ network header + 5 => reg 1 ]",
				"[ cmp eq reg 1 0x00000004 ]",
				"[ payload load 6b @ network header + 8 => reg 1 ]",
				"[ cmp eq reg 1 0x630a4202 0x00000200 ]",
				"[ payload load 4b @ network header + 14 => reg 1 ]",
				"[ cmp eq reg 1 0x0200630a ]",
				"[ immediate reg 0 accept ]",
			},
		},
		{
			Rule{Family: Bridge, Table: "nslab", Chain: "prerouting",
				Stmts: []Stmt{IifName(Eq, "vnsl01234567"), Jump("port-0123456789ab")}},
			`bridge nslab prerouting iifname "vnsl01234567" jump port-0123456789ab`,
			[]string{
				"[ meta load iifname => reg 1 ]",
				"[ cmp eq reg 1 0x6c736e76 0x33323130 0x37363534 0x00000000 ]",
				"[ immediate reg 0 jump -> port-0123456789ab ]",
			},
		},
	} {
		if got := c.rule.String(); got != c.text {
			t.Errorf("text:\n%s\nwant\n%s", got, c.text)
		}
		tx := (&Conn{}).Begin()
		tx.AddRule(c.rule)
		if tw := tx.Twin(); len(tw) != 1 || tw[0] != "add rule "+c.text {
			t.Errorf("twin %q", tw)
		}
		parsed, err := parseRule(tx.msgs[0])
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range parsed.Exprs {
			got = append(got, e.String())
		}
		if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("%s:\n%s\nwant\n%s", c.text, strings.Join(got, "\n"), strings.Join(c.want, "\n"))
		}
		if parsed.Comment != c.rule.Comment || parsed.Table != "nslab" || parsed.Family != c.rule.Family {
			t.Errorf("parsed %+v", parsed)
		}
	}
}

// Tables and chains: their twins, and comments that come back.
func TestTablesAndChains(t *testing.T) {
	tx := (&Conn{}).Begin()
	tx.AddTable(Table{Family: IPv4, Name: "nslab", Comment: "restore net.ipv4.ip_forward=0"})
	tx.AddChain(Chain{Family: IPv4, Table: "nslab", Name: "postrouting", Hook: &Hook{Type: "nat", Num: 4, Priority: 100}})
	tx.AddChain(Chain{Family: Bridge, Table: "nslab", Name: "port-x", Comment: "vnslx"})
	tx.DeleteRule(Rule{Family: IPv4, Table: "nslab", Chain: "input", Handle: 7})
	want := []string{
		`add table ip nslab { comment "restore net.ipv4.ip_forward=0"; }`,
		`add chain ip nslab postrouting { type nat hook postrouting priority 100; policy accept; }`,
		`add chain bridge nslab port-x { comment "vnslx"; }`,
		`delete rule ip nslab input handle 7`,
	}
	if strings.Join(tx.Twin(), "\n") != strings.Join(want, "\n") {
		t.Errorf("twin:\n%s", strings.Join(tx.Twin(), "\n"))
	}
	_, a, err := parseObject(tx.msgs[0])
	if err != nil || readComment(a[tableUserdata].Data) != "restore net.ipv4.ip_forward=0" {
		t.Errorf("table comment: %v %q", err, a[tableUserdata].Data)
	}
}

// User data that lies about its lengths is read no further than it goes.
func TestReadCommentIsBounded(t *testing.T) {
	for _, b := range [][]byte{nil, {0}, {0, 200, 'x'}, {1, 1, 'x', 0, 2, 'o', 'k'}, {1, 9}} {
		got := readComment(b)
		if len(got) > len(b) {
			t.Errorf("%q → %q", b, got)
		}
	}
	if got := readComment([]byte{1, 1, 'x', 0, 3, 'o', 'k', 0}); got != "ok" {
		t.Errorf("got %q", got)
	}
}
