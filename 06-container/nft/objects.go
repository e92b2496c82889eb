package nft

import (
	"encoding/binary"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"

	"nslab/05-net/netlink"
)

// Table holds chains; it belongs to one family. Several programs keep
// tables side by side (nft's own, iptables-nft's, firewalld's), each
// touching only its own.
type Table struct {
	Family  Family
	Name    string
	Comment string // kept by the kernel as the table's user data
}

// Hook attaches a base chain to a point of the packet's path: the kernel
// runs it for every packet that passes there. Chains at one hook run in
// the order of their priorities, lowest first.
type Hook struct {
	Type     string // "filter" or "nat"
	Num      uint32 // unix.NF_INET_PRE_ROUTING…; the bridge family numbers its hooks alike
	Priority int32
}

// The hooks by name.
var hookNames = map[uint32]string{
	unix.NF_INET_PRE_ROUTING: "prerouting", unix.NF_INET_LOCAL_IN: "input", unix.NF_INET_FORWARD: "forward",
	unix.NF_INET_LOCAL_OUT: "output", unix.NF_INET_POST_ROUTING: "postrouting",
}

// Chain is a list of rules: a base chain when it has a hook, a regular
// one — reached only by a jump — when not.
type Chain struct {
	Family      Family
	Table, Name string
	Hook        *Hook
	Policy      uint32 // listed: what a base chain does with a packet no rule decided, NF_ACCEPT or NF_DROP
	Comment     string
}

// Drops reports whether the chain's policy is drop.
func (c Chain) Drops() bool { return c.Hook != nil && c.Policy == verdictDrop }

// Rule is a rule of a chain.
type Rule struct {
	Family       Family
	Table, Chain string
	Stmts        []Stmt
	Comment      string
	Handle       uint64 // the kernel's number for a rule that exists
	Exprs        []Expr // listed: the expressions as the kernel holds them
}

// AddTable adds a table; one that exists already is left as it is.
func (tx *Tx) AddTable(t Table) {
	attrs := []netlink.Attr{netlink.String(unix.NFTA_TABLE_NAME, t.Name)}
	twin := fmt.Sprintf("add table %s %s", t.Family, t.Name)
	if t.Comment != "" {
		attrs = append(attrs, comment(tableUserdata, t.Comment))
		twin += fmt.Sprintf(" { comment %q; }", t.Comment)
	}
	tx.add(message(unix.NFT_MSG_NEWTABLE, t.Family, unix.NLM_F_CREATE, attrs...), twin)
}

// DeleteTable deletes a table and everything in it.
func (tx *Tx) DeleteTable(t Table) {
	tx.add(message(unix.NFT_MSG_DELTABLE, t.Family, 0, netlink.String(unix.NFTA_TABLE_NAME, t.Name)),
		fmt.Sprintf("delete table %s %s", t.Family, t.Name))
}

// AddChain adds a chain; one that exists already is left as it is.
func (tx *Tx) AddChain(c Chain) {
	attrs := []netlink.Attr{netlink.String(unix.NFTA_CHAIN_TABLE, c.Table), netlink.String(unix.NFTA_CHAIN_NAME, c.Name)}
	var body []string
	if h := c.Hook; h != nil {
		attrs = append(attrs, nested(unix.NFTA_CHAIN_HOOK, be32(unix.NFTA_HOOK_HOOKNUM, h.Num), be32(unix.NFTA_HOOK_PRIORITY, uint32(h.Priority))),
			netlink.String(unix.NFTA_CHAIN_TYPE, h.Type), be32(unix.NFTA_CHAIN_POLICY, verdictAccept))
		body = append(body, fmt.Sprintf("type %s hook %s priority %d;", h.Type, hookNames[h.Num], h.Priority), "policy accept;")
	}
	if c.Comment != "" {
		attrs = append(attrs, comment(chainUserdata, c.Comment))
		body = append(body, fmt.Sprintf("comment %q;", c.Comment))
	}
	twin := fmt.Sprintf("add chain %s %s %s", c.Family, c.Table, c.Name)
	if len(body) > 0 {
		twin += " { " + strings.Join(body, " ") + " }"
	}
	tx.add(message(unix.NFT_MSG_NEWCHAIN, c.Family, unix.NLM_F_CREATE, attrs...), twin)
}

// DeleteChain deletes an empty chain that no rule jumps to.
func (tx *Tx) DeleteChain(c Chain) {
	tx.add(message(unix.NFT_MSG_DELCHAIN, c.Family, 0, netlink.String(unix.NFTA_CHAIN_TABLE, c.Table), netlink.String(unix.NFTA_CHAIN_NAME, c.Name)),
		fmt.Sprintf("delete chain %s %s %s", c.Family, c.Table, c.Name))
}

// AddRule appends a rule to its chain.
func (tx *Tx) AddRule(r Rule) {
	var list []netlink.Attr
	for _, s := range r.Stmts {
		for _, e := range s.Exprs {
			list = append(list, e.attr())
		}
	}
	attrs := []netlink.Attr{netlink.String(unix.NFTA_RULE_TABLE, r.Table), netlink.String(unix.NFTA_RULE_CHAIN, r.Chain),
		nested(unix.NFTA_RULE_EXPRESSIONS, list...)}
	if r.Comment != "" {
		attrs = append(attrs, comment(unix.NFTA_RULE_USERDATA, r.Comment))
	}
	tx.add(message(unix.NFT_MSG_NEWRULE, r.Family, unix.NLM_F_CREATE|unix.NLM_F_APPEND, attrs...), "add rule "+r.String())
}

// DeleteRule deletes a listed rule, by its handle.
func (tx *Tx) DeleteRule(r Rule) {
	handle := make([]byte, 8)
	binary.BigEndian.PutUint64(handle, r.Handle)
	tx.add(message(unix.NFT_MSG_DELRULE, r.Family, 0, netlink.String(unix.NFTA_RULE_TABLE, r.Table),
		netlink.String(unix.NFTA_RULE_CHAIN, r.Chain), netlink.Attr{Type: unix.NFTA_RULE_HANDLE, Data: handle}),
		fmt.Sprintf("delete rule %s %s %s handle %d", r.Family, r.Table, r.Chain, r.Handle))
}

// String is the rule in nft's language: family, table, chain, statements
// and comment.
func (r Rule) String() string {
	words := []string{r.Family.String(), r.Table, r.Chain}
	for _, s := range r.Stmts {
		words = append(words, s.Text)
	}
	if r.Comment != "" {
		words = append(words, fmt.Sprintf("comment %q", r.Comment))
	}
	return strings.Join(words, " ")
}

// comment encodes a comment as nft does, so that nft list shows it: a
// type-length-value in the user data, type 0 (NFTNL_UDATA_*_COMMENT),
// the string with its NUL.
func comment(typ uint16, s string) netlink.Attr {
	return netlink.Attr{Type: typ, Data: append(append([]byte{0, byte(len(s) + 1)}, s...), 0)}
}

// readComment finds the comment in user data, "" if there is none.
func readComment(b []byte) string {
	for len(b) >= 2 && int(b[1])+2 <= len(b) {
		if b[0] == 0 {
			return strings.TrimRight(string(b[2:2+int(b[1])]), "\x00")
		}
		b = b[2+int(b[1]):]
	}
	return ""
}
