package netlink

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"unsafe"
)

// Netlink is host-endian: the kernel writes its structs in the byte order
// of the machine it runs on.
var native binary.ByteOrder = func() binary.ByteOrder {
	x := uint16(1)
	if *(*byte)(unsafe.Pointer(&x)) == 1 {
		return binary.LittleEndian
	}
	return binary.BigEndian
}()

// align rounds n up to the 4-byte boundary that netlink headers and
// attributes start on (NLMSG_ALIGN, RTA_ALIGN).
func align(n int) int { return (n + 3) &^ 3 }

// Attr is one routing attribute (struct rtattr): a 2-byte length, a 2-byte
// type, and a payload padded to 4 bytes. A nested attribute's payload is
// itself a list of attributes.
type Attr struct {
	Type   uint16
	Data   []byte
	Nested []Attr
}

// Bytes encodes the attribute with its header and padding.
func (a Attr) Bytes() []byte {
	payload := a.Data
	if a.Nested != nil {
		payload = EncodeAttrs(a.Nested)
	}
	b := make([]byte, align(4+len(payload)))
	native.PutUint16(b[0:2], uint16(4+len(payload)))
	native.PutUint16(b[2:4], a.Type)
	copy(b[4:], payload)
	return b
}

// EncodeAttrs encodes a list of attributes back to back.
func EncodeAttrs(attrs []Attr) []byte {
	var b []byte
	for _, a := range attrs {
		b = append(b, a.Bytes()...)
	}
	return b
}

// ParseAttrs splits a buffer into attributes. Payloads are returned as
// they are; call ParseAttrs again on a nested one.
func ParseAttrs(b []byte) ([]Attr, error) {
	var attrs []Attr
	for len(b) >= 4 {
		n := int(native.Uint16(b[0:2]))
		if n < 4 || n > len(b) {
			return nil, fmt.Errorf("netlink: attribute length %d in %d bytes", n, len(b))
		}
		// The top bits of the type are flags (NLA_F_NESTED, NLA_F_NET_BYTEORDER).
		attrs = append(attrs, Attr{Type: native.Uint16(b[2:4]) & 0x3fff, Data: b[4:n]})
		if align(n) >= len(b) {
			break
		}
		b = b[align(n):]
	}
	return attrs, nil
}

// String makes a NUL-terminated string attribute, as the kernel expects
// for names.
func String(typ uint16, s string) Attr {
	return Attr{Type: typ, Data: append([]byte(s), 0)}
}

// Uint32 makes a 4-byte attribute in host byte order.
func Uint32(typ uint16, v uint32) Attr {
	b := make([]byte, 4)
	native.PutUint32(b, v)
	return Attr{Type: typ, Data: b}
}

// Nest makes an attribute that holds others.
func Nest(typ uint16, attrs ...Attr) Attr {
	return Attr{Type: typ, Nested: append([]Attr{}, attrs...)}
}

// Uint32 reads a 4-byte attribute in host byte order, refusing one whose
// payload has another length.
func (a Attr) Uint32() (uint32, error) {
	if len(a.Data) != 4 {
		return 0, a.badLength(4)
	}
	return native.Uint32(a.Data), nil
}

// Uint8 reads a 1-byte attribute.
func (a Attr) Uint8() (uint8, error) {
	if len(a.Data) != 1 {
		return 0, a.badLength(1)
	}
	return a.Data[0], nil
}

// Addr4 reads an IPv4 address attribute: exactly 4 bytes.
func (a Attr) Addr4() (netip.Addr, error) {
	if len(a.Data) != 4 {
		return netip.Addr{}, a.badLength(4)
	}
	return netip.AddrFrom4([4]byte{a.Data[0], a.Data[1], a.Data[2], a.Data[3]}), nil
}

func (a Attr) badLength(want int) error {
	return fmt.Errorf("netlink: attribute %d: %d bytes, want %d", a.Type, len(a.Data), want)
}

// cString reads a NUL-terminated string attribute.
func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
