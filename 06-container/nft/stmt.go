package nft

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"

	"nslab/05-net/netlink"
)

// Stmt is one statement of nft(8)'s rule language — `iifname "nslab0"`,
// `ip saddr 10.99.0.0/24`, `masquerade` — with the expressions that do
// it. A rule is statements one after the other: every match must hold
// for the rule's last statement to happen.
type Stmt struct {
	Text  string
	Exprs []Expr
}

// Op is how a match compares.
type Op uint32

// The comparisons this package uses.
const (
	Eq  Op = unix.NFT_CMP_EQ
	Neq Op = unix.NFT_CMP_NEQ
)

func (o Op) text() string {
	if o == Neq {
		return "!= "
	}
	return ""
}

// match is a load and a comparison of what it loaded.
func match(text string, load Expr, op Op, data []byte) Stmt {
	return Stmt{text, []Expr{load, cmp(op, data)}}
}

// IifName matches the interface the packet came in on: in the ip family
// the bridge itself, in the bridge family the port.
func IifName(op Op, name string) Stmt { return ifName("iifname", unix.NFT_META_IIFNAME, op, name) }

// OifName matches the interface the packet will leave by.
func OifName(op Op, name string) Stmt { return ifName("oifname", unix.NFT_META_OIFNAME, op, name) }

// ifName compares the 16 bytes of an interface name, padded with NULs.
func ifName(word string, key uint32, op Op, name string) Stmt {
	b := make([]byte, netlink.IFNAMSIZ)
	copy(b, name)
	return match(fmt.Sprintf("%s %s%q", word, op.text(), name), meta(key), op, b)
}

// IPSaddr matches the IPv4 source address against an address (a /32)
// or a prefix.
func IPSaddr(op Op, p netip.Prefix) Stmt { return ipAddr("saddr", 12, op, p) }

// IPDaddr matches the IPv4 destination address.
func IPDaddr(op Op, p netip.Prefix) Stmt { return ipAddr("daddr", 16, op, p) }

// ipAddr loads 4 bytes at the address's offset in the IPv4 header and,
// for a prefix, masks away the host bits before comparing.
func ipAddr(word string, offset uint32, op Op, p netip.Prefix) Stmt {
	p = p.Masked()
	text := fmt.Sprintf("ip %s %s%s", word, op.text(), p)
	exprs := []Expr{payload(unix.NFT_PAYLOAD_NETWORK_HEADER, offset, 4)}
	if p.Bits() == 32 {
		text = fmt.Sprintf("ip %s %s%s", word, op.text(), p.Addr())
	} else {
		mask := net.CIDRMask(p.Bits(), 32)
		exprs = append(exprs, bitwise(mask, make([]byte, 4)))
	}
	a := p.Addr().As4()
	return Stmt{text, append(exprs, cmp(op, a[:]))}
}

// EtherSaddr matches the Ethernet source address: bytes 6–11 of the frame.
func EtherSaddr(mac net.HardwareAddr) Stmt {
	return match("ether saddr "+mac.String(), payload(unix.NFT_PAYLOAD_LL_HEADER, 6, 6), Eq, mac)
}

// EtherType matches the frame's EtherType (bytes 12–13): ip or arp.
func EtherType(name string) Stmt {
	types := map[string]uint16{"ip": unix.ETH_P_IP, "arp": unix.ETH_P_ARP}
	return match("ether type "+name, payload(unix.NFT_PAYLOAD_LL_HEADER, 12, 2), Eq, be16(types[name]))
}

// ARPEthernetIPv4 matches an ARP packet laid out for Ethernet and IPv4:
// hardware type 1, protocol type IPv4, addresses of 6 and 4 bytes. Only
// then are the sender's addresses where ARPSaddr reads them.
func ARPEthernetIPv4() Stmt {
	var exprs []Expr
	for _, f := range []struct {
		offset uint32
		data   []byte
	}{{0, be16(1)}, {2, be16(unix.ETH_P_IP)}, {4, []byte{6}}, {5, []byte{4}}} {
		exprs = append(exprs, payload(unix.NFT_PAYLOAD_NETWORK_HEADER, f.offset, uint32(len(f.data))), cmp(Eq, f.data))
	}
	return Stmt{"arp htype 1 arp ptype ip arp hlen 6 arp plen 4", exprs}
}

// ARPSaddr matches the sender's addresses of an ARP packet: what it
// claims about itself, and what a neighbour's ARP cache will believe.
func ARPSaddr(mac net.HardwareAddr, ip netip.Addr) Stmt {
	a := ip.As4()
	return Stmt{fmt.Sprintf("arp saddr ether %s arp saddr ip %s", mac, ip), []Expr{
		payload(unix.NFT_PAYLOAD_NETWORK_HEADER, 8, 6), cmp(Eq, mac),
		payload(unix.NFT_PAYLOAD_NETWORK_HEADER, 14, 4), cmp(Eq, a[:]),
	}}
}

// Dport matches a TCP or UDP destination port: the layer 4 protocol
// first, then bytes 2–3 of its header.
func Dport(proto string, port uint16) Stmt {
	protos := map[string]byte{"tcp": unix.IPPROTO_TCP, "udp": unix.IPPROTO_UDP}
	return Stmt{fmt.Sprintf("%s dport %d", proto, port), []Expr{
		meta(unix.NFT_META_L4PROTO), cmp(Eq, []byte{protos[proto]}),
		payload(unix.NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2), cmp(Eq, be16(port)),
	}}
}

// ICMPEchoRequest matches a ping: ICMP type 8.
func ICMPEchoRequest() Stmt {
	return Stmt{"icmp type echo-request", []Expr{
		meta(unix.NFT_META_L4PROTO), cmp(Eq, []byte{unix.IPPROTO_ICMP}),
		payload(unix.NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1), cmp(Eq, []byte{8}),
	}}
}

// Connection-tracking states, as bits of the ct state register: 1 << the
// kernel's enum ip_conntrack_info, plus one.
const (
	established = 1 << 1
	related     = 1 << 2
)

// CtEstablished matches packets of a connection already seen both ways,
// and the ones related to it (an ICMP error about it): the answers to
// what a side started.
func CtEstablished() Stmt {
	return flagsSet("ct state established,related", ct(unix.NFT_CT_STATE), established|related)
}

// CtDNAT matches packets of a connection whose destination was rewritten
// by a dnat rule (IPS_DST_NAT in its status).
func CtDNAT() Stmt { return flagsSet("ct status dnat", ct(unix.NFT_CT_STATUS), 1<<5) }

// flagsSet is true when any of the bits is set in a host-order 32-bit
// word: mask it, and compare with zero.
func flagsSet(text string, load Expr, bits uint32) Stmt {
	return Stmt{text, []Expr{load, bitwise(hostOrder(bits), make([]byte, 4)), cmp(Neq, make([]byte, 4))}}
}

// FibDaddrLocal matches packets addressed to one of this host's own
// addresses, whichever interface holds it: the route lookup gives
// RTN_LOCAL (a host-order word).
func FibDaddrLocal() Stmt {
	return match("fib daddr type local", fib(unix.NFTA_FIB_F_DADDR, unix.NFT_FIB_RESULT_ADDRTYPE), Eq, hostOrder(unix.RTN_LOCAL))
}

// Accept ends the chain for this packet: it goes on, to the next base
// chain at this hook, if any — any of which may still drop it.
func Accept() Stmt { return Stmt{"accept", []Expr{verdict(verdictAccept, "")}} }

// Drop ends the packet, for good.
func Drop() Stmt { return Stmt{"drop", []Expr{verdict(verdictDrop, "")}} }

// Reject drops the packet and tells its sender, with an ICMP "destination
// unreachable, administratively prohibited" (code 13): a connect(2)
// fails at once with EHOSTUNREACH instead of waiting for its timeout.
func Reject() Stmt {
	return Stmt{"reject with icmp type admin-prohibited", []Expr{{"reject", []netlink.Attr{
		be32(unix.NFTA_REJECT_TYPE, unix.NFT_REJECT_ICMP_UNREACH), {Type: unix.NFTA_REJECT_ICMP_CODE, Data: []byte{13}}}}}}
}

// Jump continues in another chain, and comes back after it unless that
// chain gives a verdict.
func Jump(chain string) Stmt { return Stmt{"jump " + chain, []Expr{verdict(unix.NFT_JUMP, chain)}} }

// Masquerade rewrites the source address of a new connection to the
// address of the interface it leaves by; conntrack rewrites the answers
// back.
func Masquerade() Stmt { return Stmt{"masquerade", []Expr{{Name: "masq"}}} }

// DNAT rewrites the destination of a new connection to addr:port, and
// conntrack the source of its answers back: the address and port go to
// registers 1 and 2, where the nat expression reads them.
func DNAT(addr netip.Addr, port uint16) Stmt {
	a := addr.As4()
	return Stmt{fmt.Sprintf("dnat to %s:%d", addr, port), []Expr{
		immediate(unix.NFT_REG_1, a[:]),
		immediate(unix.NFT_REG_2, be16(port)),
		{"nat", []netlink.Attr{be32(unix.NFTA_NAT_TYPE, unix.NFT_NAT_DNAT), be32(unix.NFTA_NAT_FAMILY, unix.NFPROTO_IPV4),
			be32(unix.NFTA_NAT_REG_ADDR_MIN, unix.NFT_REG_1), be32(unix.NFTA_NAT_REG_PROTO_MIN, unix.NFT_REG_2)}},
	}}
}

// Counter counts the packets and bytes that reach it: nft list ruleset
// shows them, which tells which rule a packet met.
func Counter() Stmt { return Stmt{"counter", []Expr{{Name: "counter"}}} }

func be16(v uint16) []byte {
	b := make([]byte, 2)
	binary.BigEndian.PutUint16(b, v)
	return b
}

// hostOrder is a 32-bit word in the host's byte order, as the kernel
// loads its own numbers (conntrack bits, route types) into a register.
func hostOrder(v uint32) []byte {
	b := *(*[4]byte)(unsafe.Pointer(&v))
	return b[:]
}
