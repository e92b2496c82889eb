package netlink

import (
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"
)

// The fuzz targets feed whole messages, as the kernel sends them, to the
// parsers: none may panic, whatever the bytes. The seeds are real
// messages of each kind; as root, the host's own links, addresses and
// routes are added to them.

// hostDump adds the payloads of a dump of this machine to the corpus.
func hostDump(f *testing.F, typ uint16, header []byte) {
	c, err := Dial()
	if err != nil {
		return
	}
	defer c.Close()
	msgs, err := c.Dump("seed", Message{Type: typ, Data: header})
	if err != nil {
		return
	}
	for _, m := range msgs {
		f.Add(m.Data)
	}
}

func FuzzParseLink(f *testing.F) {
	f.Add(linkPayload(1, "lo"))
	f.Add(append(ifinfomsg(7, unix.IFF_UP, 0),
		EncodeAttrs([]Attr{String(unix.IFLA_IFNAME, "eth0"), Uint32(unix.IFLA_MTU, 1500), Uint32(unix.IFLA_MASTER, 3),
			{Type: unix.IFLA_OPERSTATE, Data: []byte{operUp}}, Nest(unix.IFLA_LINKINFO, String(unix.IFLA_INFO_KIND, "veth"))})...))
	hostDump(f, unix.RTM_GETLINK, ifinfomsg(0, 0, 0))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := parseLink(b)
		if err == nil && len(b) < unix.SizeofIfInfomsg {
			t.Fatalf("accepted %d bytes as a link: %+v", len(b), l)
		}
	})
}

func FuzzParseAddr(f *testing.F) {
	f.Add(AddrMessage(unix.RTM_NEWADDR, 3, netip.MustParsePrefix("10.55.0.2/24")).Data)
	hostDump(f, unix.RTM_GETADDR, ifaddrmsg4(0, 0))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := parseAddr(b)
		if err == nil && a.Prefix.IsValid() && !a.Prefix.Addr().Is4() {
			t.Fatalf("an IPv4 dump gave %v", a.Prefix)
		}
	})
}

func FuzzParseRoute(f *testing.F) {
	f.Add(append(RouteHeader(0, unix.RT_SCOPE_UNIVERSE, unix.RTN_UNICAST), Attr{Type: unix.RTA_GATEWAY, Data: []byte{10, 0, 0, 1}}.Bytes()...))
	f.Add(append(RouteHeader(24, unix.RT_SCOPE_LINK, unix.RTN_UNICAST),
		EncodeAttrs([]Attr{{Type: unix.RTA_DST, Data: []byte{10, 0, 0, 0}}, Uint32(unix.RTA_OIF, 2), Uint32(unix.RTA_TABLE, 254)})...))
	hostDump(f, unix.RTM_GETROUTE, RouteHeader(0, 0, 0))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, _, err := parseRoute(b)
		if err == nil && (r.Dst.Bits() > 32 || r.Gateway.IsValid() && !r.Gateway.Is4()) {
			t.Fatalf("accepted %+v", r)
		}
	})
}

// FuzzReply feeds whole datagrams — several messages, errors, acks, dump
// ends — to the code that assembles an answer.
func FuzzReply(f *testing.F) {
	f.Add(append(msg(unix.RTM_NEWLINK, unix.NLM_F_MULTI, 1, fakePort, linkPayload(1, "lo")),
		msg(unix.NLMSG_DONE, unix.NLM_F_MULTI, 1, fakePort, errnoPayload(0))...))
	f.Add(msg(unix.NLMSG_ERROR, unix.NLM_F_ACK_TLVS|unix.NLM_F_CAPPED, 1, fakePort,
		append(append(errnoPayload(unix.EEXIST), Message{Type: unix.RTM_NEWLINK}.Encode(1)...), String(unix.NLMSGERR_ATTR_MSG, "exists").Bytes()...)))
	f.Add(msg(unix.NLMSG_ERROR, unix.NLM_F_ACK_TLVS, 1, fakePort, append(errnoPayload(unix.EINVAL), 0xff, 0xff, 0xff, 0x7f)))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := reply{op: "fuzz", seq: 1, port: fakePort}
		if err := r.add(b); err != nil {
			return
		}
		for _, m := range r.answer {
			if m.Seq != 1 || m.Port != fakePort {
				t.Fatalf("a foreign message was kept: %+v", m)
			}
			_, _ = parseLink(m.Data)
		}
	})
}
