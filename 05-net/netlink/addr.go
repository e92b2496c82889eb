package netlink

import (
	"fmt"
	"net/netip"

	"golang.org/x/sys/unix"
)

// ifaddrmsg builds struct ifaddrmsg: family, prefix length, flags, scope
// and the index of the link the address belongs to.
func ifaddrmsg(p netip.Prefix, index int) []byte {
	b := make([]byte, unix.SizeofIfAddrmsg)
	b[0] = family(p.Addr())
	b[1] = byte(p.Bits())
	native.PutUint32(b[4:8], uint32(index))
	return b
}

func family(a netip.Addr) byte {
	if a.Is4() {
		return unix.AF_INET
	}
	return unix.AF_INET6
}

// AddrMessage builds RTM_NEWADDR or RTM_DELADDR for "ip addr add|del
// ADDR/BITS dev LINK". IFA_LOCAL is the interface's own address; IFA_ADDRESS
// is the same on a broadcast link (it differs only on point-to-point
// links, where it names the far end). IPv4 also gets its broadcast.
func AddrMessage(typ uint16, index int, p netip.Prefix) Message {
	addr := p.Addr().AsSlice()
	body := ifaddrmsg(p, index)
	body = append(body, Attr{Type: unix.IFA_LOCAL, Data: addr}.Bytes()...)
	body = append(body, Attr{Type: unix.IFA_ADDRESS, Data: addr}.Bytes()...)
	if p.Addr().Is4() && p.Bits() < 31 {
		body = append(body, Attr{Type: unix.IFA_BROADCAST, Data: Broadcast(p).AsSlice()}.Bytes()...)
	}
	m := Message{Type: typ, Data: body}
	if typ == unix.RTM_NEWADDR {
		m.Flags = unix.NLM_F_CREATE | unix.NLM_F_EXCL
	}
	return m
}

// Broadcast returns the last address of an IPv4 prefix.
func Broadcast(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().As4()
	host := ^uint32(0) >> uint(p.Bits())
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3]) | host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// AddAddr gives the link an address; the kernel adds the route to the
// prefix ("proto kernel scope link") by itself.
func (c *Conn) AddAddr(l Link, p netip.Prefix) error {
	_, err := c.Do(fmt.Sprintf("add address %s to %s", p, l.Name), AddrMessage(unix.RTM_NEWADDR, l.Index, p))
	return err
}

// address is an IPv4 address of a link, as RTM_NEWADDR describes it.
type address struct {
	Link   int // index of the link
	Prefix netip.Prefix
}

// Addrs lists the IPv4 addresses of the link.
func (c *Conn) Addrs(l Link) ([]netip.Prefix, error) {
	req := make([]byte, unix.SizeofIfAddrmsg)
	req[0] = unix.AF_INET
	msgs, err := c.Dump("list addresses", Message{Type: unix.RTM_GETADDR, Data: req})
	if err != nil {
		return nil, err
	}
	var out []netip.Prefix
	for _, m := range msgs {
		if m.Type != unix.RTM_NEWADDR {
			continue
		}
		a, err := parseAddr(m.Data)
		if err != nil {
			return nil, err
		}
		if a.Link == l.Index && a.Prefix.IsValid() {
			out = append(out, a.Prefix)
		}
	}
	return out, nil
}

// parseAddr reads an RTM_NEWADDR payload: struct ifaddrmsg (family,
// prefix length, flags, scope, link index) and the attributes, of which
// IFA_LOCAL is the link's own address. An address without IFA_LOCAL has
// an invalid Prefix.
func parseAddr(b []byte) (address, error) {
	if len(b) < unix.SizeofIfAddrmsg {
		return address{}, fmt.Errorf("netlink: address message of %d bytes, shorter than struct ifaddrmsg", len(b))
	}
	if b[0] != unix.AF_INET || b[1] > 32 {
		return address{}, fmt.Errorf("netlink: address of family %d, /%d, in an IPv4 dump", b[0], b[1])
	}
	a := address{Link: int(native.Uint32(b[4:8]))}
	attrs, err := ParseAttrs(b[unix.SizeofIfAddrmsg:])
	if err != nil {
		return a, err
	}
	for _, attr := range attrs {
		if attr.Type != unix.IFA_LOCAL {
			continue
		}
		ip, err := attr.Addr4()
		if err != nil {
			return a, err
		}
		a.Prefix = netip.PrefixFrom(ip, int(b[1]))
	}
	return a, nil
}
