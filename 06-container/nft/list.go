package nft

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"nslab/05-net/netlink"
)

// Listing: the kernel dumps tables, chains and rules as it would answer
// nft list ruleset. Every message starts with struct nfgenmsg, whose
// first byte is the object's family.

// Tables lists the tables of every family.
func (c *Conn) Tables() ([]Table, error) {
	msgs, err := c.nl.Dump("list tables", message(unix.NFT_MSG_GETTABLE, unix.NFPROTO_UNSPEC, 0))
	if err != nil {
		return nil, err
	}
	var out []Table
	for _, m := range msgs {
		f, a, err := parseObject(m)
		if err != nil {
			return nil, err
		}
		out = append(out, Table{Family: f, Name: a.string(unix.NFTA_TABLE_NAME), Comment: readComment(a[tableUserdata].Data)})
	}
	return out, nil
}

// FindTable returns the table of that family and name, and whether it
// exists.
func (c *Conn) FindTable(family Family, name string) (Table, bool, error) {
	tables, err := c.Tables()
	for _, t := range tables {
		if t.Family == family && t.Name == name {
			return t, true, err
		}
	}
	return Table{}, false, err
}

// Chains lists the chains of every table of every family.
func (c *Conn) Chains() ([]Chain, error) {
	msgs, err := c.nl.Dump("list chains", message(unix.NFT_MSG_GETCHAIN, unix.NFPROTO_UNSPEC, 0))
	if err != nil {
		return nil, err
	}
	var out []Chain
	for _, m := range msgs {
		f, a, err := parseObject(m)
		if err != nil {
			return nil, err
		}
		ch := Chain{Family: f, Table: a.string(unix.NFTA_CHAIN_TABLE), Name: a.string(unix.NFTA_CHAIN_NAME),
			Policy: a.u32(unix.NFTA_CHAIN_POLICY), Comment: readComment(a[chainUserdata].Data)}
		if _, ok := a[unix.NFTA_CHAIN_HOOK]; ok {
			h := a.nest(unix.NFTA_CHAIN_HOOK)
			ch.Hook = &Hook{Type: a.string(unix.NFTA_CHAIN_TYPE), Num: h.u32(unix.NFTA_HOOK_HOOKNUM), Priority: int32(h.u32(unix.NFTA_HOOK_PRIORITY))}
		}
		out = append(out, ch)
	}
	return out, nil
}

// Rules lists the rules of one table, in chain order.
func (c *Conn) Rules(family Family, table string) ([]Rule, error) {
	msgs, err := c.nl.Dump("list rules of "+family.String()+" "+table,
		message(unix.NFT_MSG_GETRULE, family, 0, netlink.String(unix.NFTA_RULE_TABLE, table)))
	if err != nil {
		return nil, err
	}
	var out []Rule
	for _, m := range msgs {
		r, err := parseRule(m)
		if err != nil {
			return nil, err
		}
		if r.Table == table { // kernels before 4.x ignore the filter
			out = append(out, r)
		}
	}
	return out, nil
}

// parseRule reads one rule: its place, handle, comment and expressions.
func parseRule(m netlink.Message) (Rule, error) {
	f, a, err := parseObject(m)
	if err != nil {
		return Rule{}, err
	}
	r := Rule{Family: f, Table: a.string(unix.NFTA_RULE_TABLE), Chain: a.string(unix.NFTA_RULE_CHAIN),
		Handle: a.u64(unix.NFTA_RULE_HANDLE), Comment: readComment(a[unix.NFTA_RULE_USERDATA].Data)}
	elems, err := netlink.ParseAttrs(a[unix.NFTA_RULE_EXPRESSIONS].Data)
	if err != nil {
		return r, err
	}
	for _, el := range elems {
		e, err := parseExpr(el.Data)
		if err != nil {
			return r, err
		}
		r.Exprs = append(r.Exprs, e)
	}
	return r, nil
}

// parseExpr reads one element of NFTA_RULE_EXPRESSIONS.
func parseExpr(b []byte) (Expr, error) {
	list, err := netlink.ParseAttrs(b)
	if err != nil {
		return Expr{}, err
	}
	a := attrMap(list)
	e := Expr{Name: a.string(unix.NFTA_EXPR_NAME)}
	if d, ok := a[unix.NFTA_EXPR_DATA]; ok {
		if e.Attrs, err = netlink.ParseAttrs(d.Data); err != nil {
			return Expr{}, err
		}
	}
	return e, nil
}

// parseObject reads struct nfgenmsg and the attributes after it.
func parseObject(m netlink.Message) (Family, attrs, error) {
	if len(m.Data) < 4 {
		return 0, nil, errors.New("nft: message shorter than struct nfgenmsg")
	}
	list, err := netlink.ParseAttrs(m.Data[4:])
	if err != nil {
		return 0, nil, fmt.Errorf("nft: %w", err)
	}
	return Family(m.Data[0]), attrMap(list), nil
}

// string reads a NUL-terminated string attribute.
func (m attrs) string(typ uint16) string {
	b := m[typ].Data
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
