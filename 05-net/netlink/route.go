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

// RouteHeader builds struct rtmsg, the fixed header of every route
// message: family, destination prefix length, source length, TOS, table,
// protocol (who added it), scope and type.
func RouteHeader(dstBits int, scope, typ uint8) []byte {
	b := make([]byte, unix.SizeofRtMsg)
	b[0] = unix.AF_INET
	b[1] = byte(dstBits)
	b[4] = unix.RT_TABLE_MAIN
	b[5] = unix.RTPROT_BOOT
	b[6] = scope
	b[7] = typ
	return b
}

// Routes lists the IPv4 routes of the main table.
func (c *Conn) Routes() ([]Route, error) {
	msgs, err := c.Dump("list routes", Message{Type: unix.RTM_GETROUTE, Data: RouteHeader(0, 0, 0)})
	if err != nil {
		return nil, err
	}
	var routes []Route
	for _, m := range msgs {
		if m.Type != unix.RTM_NEWROUTE {
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

// parseRoute reads an RTM_NEWROUTE payload: struct rtmsg and its
// attributes. RTA_TABLE, when present, overrides the header's 8-bit table
// (tables above 255 need it).
func parseRoute(b []byte) (Route, uint32, error) {
	if len(b) < unix.SizeofRtMsg {
		return Route{}, 0, fmt.Errorf("netlink: route message of %d bytes, shorter than struct rtmsg", len(b))
	}
	if b[0] != unix.AF_INET {
		return Route{}, 0, fmt.Errorf("netlink: route of family %d in an IPv4 dump", b[0])
	}
	bits := int(b[1])
	if bits > 32 {
		return Route{}, 0, fmt.Errorf("netlink: IPv4 route with a /%d prefix", bits)
	}
	r := Route{Dst: netip.PrefixFrom(netip.IPv4Unspecified(), bits), Type: b[7]}
	table := uint32(b[4])
	attrs, err := ParseAttrs(b[unix.SizeofRtMsg:])
	if err != nil {
		return r, 0, err
	}
	for _, a := range attrs {
		var err error
		var v uint32
		switch a.Type {
		case unix.RTA_DST:
			var ip netip.Addr
			if ip, err = a.Addr4(); err == nil {
				r.Dst = netip.PrefixFrom(ip, bits)
			}
		case unix.RTA_GATEWAY:
			r.Gateway, err = a.Addr4()
		case unix.RTA_OIF:
			v, err = a.Uint32()
			r.Link = int(v)
		case unix.RTA_TABLE:
			table, err = a.Uint32()
		}
		if err != nil {
			return r, 0, err
		}
	}
	return r, table, nil
}
