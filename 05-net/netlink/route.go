package netlink

import (
	"fmt"
	"net/netip"

	"golang.org/x/sys/unix"
)

// Route is an IPv4 route of the main table.
type Route struct {
	Dst     netip.Prefix // 0.0.0.0/0 for the default route
	Gateway netip.Addr   // invalid for a directly connected prefix
	Link    int          // output interface index
	Type    uint8        // RTN_UNICAST, RTN_PROHIBIT, ...
}

// rtmsg builds struct rtmsg: family, destination prefix length, source
// length, TOS, table, protocol (who added it), scope and type.
func rtmsg(dstBits int, scope, typ uint8) []byte {
	b := make([]byte, unix.SizeofRtMsg)
	b[0] = unix.AF_INET
	b[1] = byte(dstBits)
	b[4] = unix.RT_TABLE_MAIN
	b[5] = unix.RTPROT_BOOT
	b[6] = scope
	b[7] = typ
	return b
}

// DefaultRouteMessage builds "ip route add default via GATEWAY": a unicast
// route to 0.0.0.0/0, reached through the gateway, which must itself be on
// a directly connected prefix.
func DefaultRouteMessage(gw netip.Addr) Message {
	body := rtmsg(0, unix.RT_SCOPE_UNIVERSE, unix.RTN_UNICAST)
	body = append(body, Attr{Type: unix.RTA_GATEWAY, Data: gw.AsSlice()}.Bytes()...)
	return Message{Type: unix.RTM_NEWROUTE, Flags: unix.NLM_F_CREATE | unix.NLM_F_EXCL, Data: body}
}

// AddDefaultRoute sends everything without a more specific route to gw.
func (c *Conn) AddDefaultRoute(gw netip.Addr) error {
	_, err := c.Do("add default route via "+gw.String(), DefaultRouteMessage(gw))
	return err
}

// Routes lists the IPv4 routes of the main table.
func (c *Conn) Routes() ([]Route, error) {
	msgs, err := c.Dump("list routes", Message{Type: unix.RTM_GETROUTE, Data: rtmsg(0, 0, 0)})
	if err != nil {
		return nil, err
	}
	var routes []Route
	for _, m := range msgs {
		if m.Type != unix.RTM_NEWROUTE || len(m.Data) < unix.SizeofRtMsg {
			continue
		}
		r, table, err := parseRoute(m.Data)
		if err != nil {
			return nil, err
		}
		if table == unix.RT_TABLE_MAIN {
			routes = append(routes, r)
		}
	}
	return routes, nil
}

func parseRoute(b []byte) (Route, uint32, error) {
	r := Route{Dst: netip.PrefixFrom(netip.IPv4Unspecified(), int(b[1])), Type: b[7]}
	table := uint32(b[4])
	attrs, err := ParseAttrs(b[unix.SizeofRtMsg:])
	if err != nil {
		return r, 0, err
	}
	for _, a := range attrs {
		switch a.Type {
		case unix.RTA_DST:
			if ip, ok := netip.AddrFromSlice(a.Data); ok {
				r.Dst = netip.PrefixFrom(ip, int(b[1]))
			}
		case unix.RTA_GATEWAY:
			r.Gateway, _ = netip.AddrFromSlice(a.Data)
		case unix.RTA_OIF:
			r.Link = int(native.Uint32(a.Data))
		case unix.RTA_TABLE:
			table = native.Uint32(a.Data)
		}
	}
	return r, table, nil
}

// Rule is a routing policy rule: at Priority, packets to Dst (all when
// Dst is the zero Prefix) either look up Table or, with Action
// FR_ACT_PROHIBIT, are refused with EACCES.
type Rule struct {
	Priority uint32
	Dst      netip.Prefix
	Action   uint8 // unix.FR_ACT_TO_TBL, unix.FR_ACT_PROHIBIT, ...
	Table    uint32
}

// RuleMessage builds RTM_NEWRULE or RTM_DELRULE for "ip rule add|del
// [to DST] pref PRIORITY lookup TABLE|prohibit". Its fixed header, struct
// fib_rule_hdr, is laid out like struct rtmsg, with the action in the
// place of the type.
func RuleMessage(typ uint16, r Rule) Message {
	body := make([]byte, unix.SizeofRtMsg)
	body[0] = unix.AF_INET
	body[7] = r.Action
	if r.Dst.IsValid() {
		body[1] = byte(r.Dst.Bits())
	}
	body = append(body, Uint32(unix.FRA_PRIORITY, r.Priority).Bytes()...)
	if r.Dst.IsValid() {
		body = append(body, Attr{Type: unix.FRA_DST, Data: r.Dst.Masked().Addr().AsSlice()}.Bytes()...)
	}
	if r.Action == unix.FR_ACT_TO_TBL {
		body = append(body, Uint32(unix.FRA_TABLE, r.Table).Bytes()...)
	}
	m := Message{Type: typ, Data: body}
	if typ == unix.RTM_NEWRULE {
		m.Flags = unix.NLM_F_CREATE | unix.NLM_F_EXCL
	}
	return m
}

// AddRule adds a routing policy rule.
func (c *Conn) AddRule(r Rule) error {
	_, err := c.Do(fmt.Sprintf("add rule pref %d", r.Priority), RuleMessage(unix.RTM_NEWRULE, r))
	return err
}
