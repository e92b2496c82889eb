package main

import (
	"fmt"
	"net/netip"
	"strings"

	"golang.org/x/sys/unix"

	"nslab/05-net/netlink"
	"nslab/internal/explain"
)

// Routes and routing rules inside the container, built from chapter 05's
// netlink pieces: a default route through the bridge, and the policy
// rules that --confine-net puts in front of it.

// defaultRouteMessage builds "ip route add default via GATEWAY": a unicast
// route to 0.0.0.0/0, reached through the gateway, which must itself be on
// a directly connected prefix.
func defaultRouteMessage(gw netip.Addr) netlink.Message {
	body := netlink.RouteHeader(0, unix.RT_SCOPE_UNIVERSE, unix.RTN_UNICAST)
	body = append(body, netlink.Attr{Type: unix.RTA_GATEWAY, Data: gw.AsSlice()}.Bytes()...)
	return netlink.Message{Type: unix.RTM_NEWROUTE, Flags: unix.NLM_F_CREATE | unix.NLM_F_EXCL, Data: body}
}

// addDefaultRoute sends everything without a more specific route to gw.
func addDefaultRoute(c *netlink.Conn, gw netip.Addr, log *explain.Log) error {
	log.Step("RTM_NEWROUTE default via "+gw.String(), "ip route add default via "+gw.String())
	_, err := c.Do("add default route via "+gw.String(), defaultRouteMessage(gw))
	return err
}

// rule is a routing policy rule: at Priority, packets to Dst (all when Dst
// is the zero Prefix) either look up Table or, with Action
// FR_ACT_PROHIBIT, are refused with EACCES.
type rule struct {
	Priority uint32
	Dst      netip.Prefix
	Action   uint8 // unix.FR_ACT_TO_TBL, unix.FR_ACT_PROHIBIT, ...
	Table    uint32
}

// String is the rule as "ip rule" prints it.
func (r rule) String() string {
	to := "from all"
	if r.Dst.IsValid() {
		to += " to " + r.Dst.String()
	}
	switch r.Action {
	case unix.FR_ACT_TO_TBL:
		table := fmt.Sprint(r.Table)
		if r.Table == unix.RT_TABLE_MAIN {
			table = "main"
		}
		return fmt.Sprintf("%d:\t%s lookup %s", r.Priority, to, table)
	case unix.FR_ACT_PROHIBIT:
		return fmt.Sprintf("%d:\t%s prohibit", r.Priority, to)
	}
	return fmt.Sprintf("%d:\t%s action %d", r.Priority, to, r.Action)
}

// ruleMessage builds RTM_NEWRULE or RTM_DELRULE for "ip rule add|del
// [to DST] pref PRIORITY lookup TABLE|prohibit". Its fixed header, struct
// fib_rule_hdr, is laid out like struct rtmsg, with the action in the
// place of the type.
func ruleMessage(typ uint16, r rule) netlink.Message {
	body := make([]byte, unix.SizeofRtMsg)
	body[0] = unix.AF_INET
	body[7] = r.Action
	if r.Dst.IsValid() {
		body[1] = byte(r.Dst.Bits())
	}
	body = append(body, netlink.Uint32(unix.FRA_PRIORITY, r.Priority).Bytes()...)
	if r.Dst.IsValid() {
		body = append(body, netlink.Attr{Type: unix.FRA_DST, Data: r.Dst.Masked().Addr().AsSlice()}.Bytes()...)
	}
	if r.Action == unix.FR_ACT_TO_TBL {
		body = append(body, netlink.Uint32(unix.FRA_TABLE, r.Table).Bytes()...)
	}
	m := netlink.Message{Type: typ, Data: body}
	if typ == unix.RTM_NEWRULE {
		m.Flags = unix.NLM_F_CREATE | unix.NLM_F_EXCL
	}
	return m
}

// addRule adds a routing policy rule.
func addRule(c *netlink.Conn, r rule, log *explain.Log) error {
	log.Step("RTM_NEWRULE "+strings.Replace(r.String(), ":\t", " ", 1), "ip rule add "+ipRuleArgs(r))
	_, err := c.Do(fmt.Sprintf("add rule pref %d", r.Priority), ruleMessage(unix.RTM_NEWRULE, r))
	return err
}

// ipRuleArgs spells the rule the way "ip rule add" takes it.
func ipRuleArgs(r rule) string {
	args := fmt.Sprintf("pref %d", r.Priority)
	if r.Dst.IsValid() {
		args = "to " + r.Dst.String() + " " + args
	}
	if r.Action == unix.FR_ACT_PROHIBIT {
		return args + " prohibit"
	}
	return args + " lookup main"
}

// showRules prints the IPv4 rules in explain mode, as "ip rule" would:
// the container's routing policy, read back from the kernel.
func showRules(c *netlink.Conn, log *explain.Log) error {
	if !log.Enabled() {
		return nil
	}
	rules, err := listRules(c)
	if err != nil {
		return err
	}
	log.Step("RTM_GETRULE (dump)", "ip rule")
	for _, r := range rules {
		log.Note("  %s", r)
	}
	return nil
}

// listRules dumps the IPv4 routing rules.
func listRules(c *netlink.Conn) ([]rule, error) {
	req := make([]byte, unix.SizeofRtMsg)
	req[0] = unix.AF_INET
	msgs, err := c.Dump("list rules", netlink.Message{Type: unix.RTM_GETRULE, Data: req})
	if err != nil {
		return nil, err
	}
	var rules []rule
	for _, m := range msgs {
		if m.Type != unix.RTM_NEWRULE {
			continue
		}
		r, err := parseRule(m.Data)
		if err != nil {
			return nil, err
		}
		rules = append(rules, r)
	}
	return rules, nil
}

// parseRule reads an RTM_NEWRULE payload, struct fib_rule_hdr and its
// attributes, checking every length.
func parseRule(b []byte) (rule, error) {
	if len(b) < unix.SizeofRtMsg {
		return rule{}, fmt.Errorf("netlink: rule message of %d bytes, shorter than struct fib_rule_hdr", len(b))
	}
	if b[0] != unix.AF_INET || b[1] > 32 {
		return rule{}, fmt.Errorf("netlink: rule of family %d, /%d, in an IPv4 dump", b[0], b[1])
	}
	r := rule{Action: b[7], Table: uint32(b[4])}
	attrs, err := netlink.ParseAttrs(b[unix.SizeofRtMsg:])
	if err != nil {
		return r, err
	}
	for _, a := range attrs {
		var err error
		switch a.Type {
		case unix.FRA_PRIORITY:
			r.Priority, err = a.Uint32()
		case unix.FRA_TABLE:
			r.Table, err = a.Uint32()
		case unix.FRA_DST:
			var ip netip.Addr
			if ip, err = a.Addr4(); err == nil {
				r.Dst = netip.PrefixFrom(ip, int(b[1]))
			}
		}
		if err != nil {
			return r, err
		}
	}
	return r, nil
}
