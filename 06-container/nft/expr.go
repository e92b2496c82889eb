package nft

import (
	"encoding/binary"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"

	"nslab/05-net/netlink"
)

// Expr is one expression of a rule, as the kernel holds it: a name
// ("meta", "cmp", "payload"…) and its attributes.
type Expr struct {
	Name  string
	Attrs []netlink.Attr
}

// reg is the register every load here uses: NFT_REG_1, 16 bytes, enough
// for an interface name. The verdict register is NFT_REG_VERDICT.
const reg = unix.NFT_REG_1

// be32 is a 4-byte attribute in network byte order, as nfnetlink wants
// its integers.
func be32(typ uint16, v uint32) netlink.Attr {
	b := make([]byte, 4)
	binary.BigEndian.PutUint32(b, v)
	return netlink.Attr{Type: typ, Data: b}
}

// nested is an attribute that holds others, flagged NLA_F_NESTED.
func nested(typ uint16, attrs ...netlink.Attr) netlink.Attr {
	return netlink.Attr{Type: typ | nestedFlag, Nested: append([]netlink.Attr{}, attrs...)}
}

// value is a nested NFTA_DATA_VALUE: the bytes a register is compared
// with or set to.
func value(typ uint16, b []byte) netlink.Attr {
	return nested(typ, netlink.Attr{Type: unix.NFTA_DATA_VALUE, Data: b})
}

// attr encodes the expression as an element of NFTA_RULE_EXPRESSIONS.
func (e Expr) attr() netlink.Attr {
	attrs := []netlink.Attr{netlink.String(unix.NFTA_EXPR_NAME, e.Name)}
	if len(e.Attrs) > 0 {
		attrs = append(attrs, nested(unix.NFTA_EXPR_DATA, e.Attrs...))
	}
	return nested(unix.NFTA_LIST_ELEM, attrs...)
}

// The expressions, one constructor each.

// meta loads a fact about the packet that is not in it: the interface it
// arrived on (iifname), will leave by (oifname), its layer 4 protocol.
func meta(key uint32) Expr {
	return Expr{"meta", []netlink.Attr{be32(unix.NFTA_META_KEY, key), be32(unix.NFTA_META_DREG, reg)}}
}

// payload loads bytes of the packet: from the link-layer (Ethernet),
// network (IP, ARP) or transport (TCP, UDP, ICMP) header.
func payload(base, offset, length uint32) Expr {
	return Expr{"payload", []netlink.Attr{be32(unix.NFTA_PAYLOAD_DREG, reg), be32(unix.NFTA_PAYLOAD_BASE, base),
		be32(unix.NFTA_PAYLOAD_OFFSET, offset), be32(unix.NFTA_PAYLOAD_LEN, length)}}
}

// cmp compares the register with data; when the comparison fails, the
// rule stops there and the packet goes on to the next rule.
func cmp(op Op, data []byte) Expr {
	return Expr{"cmp", []netlink.Attr{be32(unix.NFTA_CMP_SREG, reg), be32(unix.NFTA_CMP_OP, uint32(op)), value(unix.NFTA_CMP_DATA, data)}}
}

// bitwise sets the register to (register & mask) ^ xor: masking an
// address to its prefix, or a set of flags to the ones asked about.
func bitwise(mask, xor []byte) Expr {
	return Expr{"bitwise", []netlink.Attr{be32(unix.NFTA_BITWISE_SREG, reg), be32(unix.NFTA_BITWISE_DREG, reg),
		be32(unix.NFTA_BITWISE_LEN, uint32(len(mask))), value(unix.NFTA_BITWISE_MASK, mask), value(unix.NFTA_BITWISE_XOR, xor)}}
}

// ct loads a field of the packet's connection-tracking entry.
func ct(key uint32) Expr {
	return Expr{"ct", []netlink.Attr{be32(unix.NFTA_CT_KEY, key), be32(unix.NFTA_CT_DREG, reg)}}
}

// fib looks the packet's destination up in the routing tables and loads
// the type of route: RTN_LOCAL for an address of this host.
func fib(flags, result uint32) Expr {
	return Expr{"fib", []netlink.Attr{be32(unix.NFTA_FIB_DREG, reg), be32(unix.NFTA_FIB_RESULT, result), be32(unix.NFTA_FIB_FLAGS, flags)}}
}

// verdict sets the verdict register: accept, drop, or jump to a chain.
func verdict(code int32, chain string) Expr {
	v := []netlink.Attr{be32(unix.NFTA_VERDICT_CODE, uint32(code))}
	if chain != "" {
		v = append(v, netlink.String(unix.NFTA_VERDICT_CHAIN, chain))
	}
	return Expr{"immediate", []netlink.Attr{be32(unix.NFTA_IMMEDIATE_DREG, unix.NFT_REG_VERDICT),
		nested(unix.NFTA_IMMEDIATE_DATA, nested(unix.NFTA_DATA_VERDICT, v...))}}
}

// immediate sets a register to a value: the address and port a dnat
// takes them from.
func immediate(r uint32, data []byte) Expr {
	return Expr{"immediate", []netlink.Attr{be32(unix.NFTA_IMMEDIATE_DREG, r), value(unix.NFTA_IMMEDIATE_DATA, data)}}
}

// String describes the expression as nft --debug=netlink does on x86-64
// and arm64, data shown as little-endian 32-bit words.
func (e Expr) String() string {
	a := attrMap(e.Attrs)
	switch e.Name {
	case "meta":
		return fmt.Sprintf("[ meta load %s => reg %d ]", metaKeys[a.u32(unix.NFTA_META_KEY)], a.u32(unix.NFTA_META_DREG))
	case "payload":
		return fmt.Sprintf("[ payload load %db @ %s header + %d => reg %d ]", a.u32(unix.NFTA_PAYLOAD_LEN),
			payloadBases[a.u32(unix.NFTA_PAYLOAD_BASE)], a.u32(unix.NFTA_PAYLOAD_OFFSET), a.u32(unix.NFTA_PAYLOAD_DREG))
	case "cmp":
		return fmt.Sprintf("[ cmp %s reg %d %s ]", cmpOps[a.u32(unix.NFTA_CMP_OP)], a.u32(unix.NFTA_CMP_SREG), words(a.value(unix.NFTA_CMP_DATA)))
	case "bitwise":
		return fmt.Sprintf("[ bitwise reg %d = ( reg %d & %s ) ^ %s ]", a.u32(unix.NFTA_BITWISE_DREG), a.u32(unix.NFTA_BITWISE_SREG),
			words(a.value(unix.NFTA_BITWISE_MASK)), words(a.value(unix.NFTA_BITWISE_XOR)))
	case "ct":
		return fmt.Sprintf("[ ct load %s => reg %d ]", ctKeys[a.u32(unix.NFTA_CT_KEY)], a.u32(unix.NFTA_CT_DREG))
	case "fib":
		return fmt.Sprintf("[ fib daddr type => reg %d ]", a.u32(unix.NFTA_FIB_DREG))
	case "immediate":
		return "[ immediate " + a.immediate() + " ]"
	case "nat":
		return fmt.Sprintf("[ nat dnat ip addr_min reg %d proto_min reg %d ]", a.u32(unix.NFTA_NAT_REG_ADDR_MIN), a.u32(unix.NFTA_NAT_REG_PROTO_MIN))
	case "masq":
		return "[ masq ]"
	case "reject":
		code := a[unix.NFTA_REJECT_ICMP_CODE].Data
		if len(code) != 1 {
			code = []byte{0}
		}
		return fmt.Sprintf("[ reject type %d code %d ]", a.u32(unix.NFTA_REJECT_TYPE), code[0])
	case "counter":
		return fmt.Sprintf("[ counter pkts %d bytes %d ]", a.u64(unix.NFTA_COUNTER_PACKETS), a.u64(unix.NFTA_COUNTER_BYTES))
	}
	return "[ " + e.Name + " ]"
}

// Value is what a cmp expression compares with (nil for others).
func (e Expr) Value() []byte {
	if e.Name != "cmp" {
		return nil
	}
	return attrMap(e.Attrs).value(unix.NFTA_CMP_DATA)
}

var (
	metaKeys     = map[uint32]string{unix.NFT_META_IIFNAME: "iifname", unix.NFT_META_OIFNAME: "oifname", unix.NFT_META_L4PROTO: "l4proto"}
	payloadBases = map[uint32]string{unix.NFT_PAYLOAD_LL_HEADER: "link", unix.NFT_PAYLOAD_NETWORK_HEADER: "network", unix.NFT_PAYLOAD_TRANSPORT_HEADER: "transport"}
	cmpOps       = map[uint32]string{unix.NFT_CMP_EQ: "eq", unix.NFT_CMP_NEQ: "neq"}
	ctKeys       = map[uint32]string{unix.NFT_CT_STATE: "state", unix.NFT_CT_STATUS: "status"}
	verdicts     = map[int32]string{verdictAccept: "accept", verdictDrop: "drop", unix.NFT_JUMP: "jump", unix.NFT_GOTO: "goto", unix.NFT_RETURN: "return", unix.NFT_CONTINUE: "continue"}
)

// words shows bytes as nft's debug output does on a little-endian host:
// 32-bit words, the last one padded with zeros.
func words(b []byte) string {
	var out []string
	for i := 0; i < len(b); i += 4 {
		w := make([]byte, 4)
		copy(w, b[i:])
		out = append(out, fmt.Sprintf("0x%08x", binary.LittleEndian.Uint32(w)))
	}
	return strings.Join(out, " ")
}

// attrs gives an expression's attributes by type, for reading.
type attrs map[uint16]netlink.Attr

func attrMap(list []netlink.Attr) attrs {
	m := attrs{}
	for _, a := range list {
		m[a.Type&^nestedFlag] = a
	}
	return m
}

// u32 reads a big-endian integer attribute, 0 when absent or malformed.
func (m attrs) u32(typ uint16) uint32 {
	if a, ok := m[typ]; ok && len(a.Data) == 4 {
		return binary.BigEndian.Uint32(a.Data)
	}
	return 0
}

func (m attrs) u64(typ uint16) uint64 {
	if a, ok := m[typ]; ok && len(a.Data) == 8 {
		return binary.BigEndian.Uint64(a.Data)
	}
	return 0
}

// nest reads a nested attribute's own attributes.
func (m attrs) nest(typ uint16) attrs {
	a, ok := m[typ]
	if !ok {
		return attrs{}
	}
	if a.Nested != nil {
		return attrMap(a.Nested)
	}
	list, err := netlink.ParseAttrs(a.Data)
	if err != nil {
		return attrs{}
	}
	return attrMap(list)
}

// value reads the NFTA_DATA_VALUE inside a nested data attribute.
func (m attrs) value(typ uint16) []byte {
	return m.nest(typ)[unix.NFTA_DATA_VALUE].Data
}

// immediate describes an immediate expression: a verdict or a value.
func (m attrs) immediate() string {
	data := m.nest(unix.NFTA_IMMEDIATE_DATA)
	if _, ok := data[unix.NFTA_DATA_VERDICT]; !ok {
		return fmt.Sprintf("reg %d %s", m.u32(unix.NFTA_IMMEDIATE_DREG), words(data[unix.NFTA_DATA_VALUE].Data))
	}
	v := data.nest(unix.NFTA_DATA_VERDICT)
	s := fmt.Sprintf("reg %d %s", m.u32(unix.NFTA_IMMEDIATE_DREG), verdicts[int32(v.u32(unix.NFTA_VERDICT_CODE))])
	if chain, ok := v[unix.NFTA_VERDICT_CHAIN]; ok {
		s += " -> " + strings.TrimRight(string(chain.Data), "\x00")
	}
	return s
}
