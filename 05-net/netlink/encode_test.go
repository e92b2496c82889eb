package netlink

import (
	"bytes"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"
)

// le builds expected bytes; the tests assume a little-endian machine, as
// the byte-by-byte golden values do.
func skipBigEndian(t *testing.T) {
	if native.Uint16([]byte{1, 0}) != 1 {
		t.Skip("golden bytes are little-endian")
	}
}

func TestAttrEncoding(t *testing.T) {
	skipBigEndian(t)
	// "eth0\0" is 5 bytes: length 9, padded to 12.
	got := String(unix.IFLA_IFNAME, "eth0").Bytes()
	want := []byte{9, 0, unix.IFLA_IFNAME, 0, 'e', 't', 'h', '0', 0, 0, 0, 0}
	if !bytes.Equal(got, want) {
		t.Errorf("IFLA_IFNAME = % x, want % x", got, want)
	}
	nested := Nest(unix.IFLA_LINKINFO, String(unix.IFLA_INFO_KIND, "veth")).Bytes()
	wantNested := []byte{16, 0, unix.IFLA_LINKINFO, 0, 9, 0, unix.IFLA_INFO_KIND, 0, 'v', 'e', 't', 'h', 0, 0, 0, 0}
	if !bytes.Equal(nested, wantNested) {
		t.Errorf("nested = % x, want % x", nested, wantNested)
	}
}

// "ip link set dev (index 7) up" is 32 bytes: nlmsghdr and ifinfomsg.
func TestSetUpMessageBytes(t *testing.T) {
	skipBigEndian(t)
	got := SetUpMessage(7, true).Encode(42)
	want := []byte{
		32, 0, 0, 0, // length
		unix.RTM_NEWLINK, 0, // type
		0, 0, // flags (Do adds REQUEST|ACK)
		42, 0, 0, 0, // sequence
		0, 0, 0, 0, // port id
		unix.AF_UNSPEC, 0, 0, 0, // family, pad, type
		7, 0, 0, 0, // index
		unix.IFF_UP, 0, 0, 0, // flags
		unix.IFF_UP, 0, 0, 0, // change mask
	}
	if !bytes.Equal(got, want) {
		t.Errorf("SetUpMessage =\n% x\nwant\n% x", got, want)
	}
}

// The veth request decodes back to: name, then LINKINFO{KIND veth,
// DATA{PEER{ifinfomsg, IFNAME peer, NET_NS_FD fd}}}.
func TestVethMessageDecodes(t *testing.T) {
	m := VethMessage("v0", "eth0", 9)
	if m.Type != unix.RTM_NEWLINK || m.Flags != unix.NLM_F_CREATE|unix.NLM_F_EXCL {
		t.Fatalf("type %d flags %#x", m.Type, m.Flags)
	}
	attrs, err := ParseAttrs(m.Data[unix.SizeofIfInfomsg:])
	if err != nil || len(attrs) != 2 {
		t.Fatalf("top attributes %v, %v", attrs, err)
	}
	if attrs[0].Type != unix.IFLA_IFNAME || cString(attrs[0].Data) != "v0" {
		t.Errorf("first attribute %+v", attrs[0])
	}
	info := mustParse(t, attrs[1], unix.IFLA_LINKINFO)
	if info[0].Type != unix.IFLA_INFO_KIND || cString(info[0].Data) != "veth" {
		t.Errorf("kind %+v", info[0])
	}
	data := mustParse(t, info[1], unix.IFLA_INFO_DATA)
	if data[0].Type != vethInfoPeer {
		t.Fatalf("no VETH_INFO_PEER: %+v", data)
	}
	peer, err := ParseAttrs(data[0].Data[unix.SizeofIfInfomsg:])
	if err != nil || len(peer) != 2 {
		t.Fatalf("peer attributes %v, %v", peer, err)
	}
	if cString(peer[0].Data) != "eth0" || peer[1].Type != unix.IFLA_NET_NS_FD || native.Uint32(peer[1].Data) != 9 {
		t.Errorf("peer %+v", peer)
	}
	if _, err := ParseAttrs(VethMessage("a", "b", -1).Data[unix.SizeofIfInfomsg:]); err != nil {
		t.Error(err)
	}
}

func mustParse(t *testing.T, a Attr, typ uint16) []Attr {
	t.Helper()
	if a.Type != typ {
		t.Fatalf("attribute type %d, want %d", a.Type, typ)
	}
	attrs, err := ParseAttrs(a.Data)
	if err != nil {
		t.Fatal(err)
	}
	return attrs
}

func TestAddrMessage(t *testing.T) {
	p := netip.MustParsePrefix("10.55.0.2/24")
	m := AddrMessage(unix.RTM_NEWADDR, 3, p)
	if m.Data[0] != unix.AF_INET || m.Data[1] != 24 || native.Uint32(m.Data[4:8]) != 3 {
		t.Errorf("ifaddrmsg % x", m.Data[:8])
	}
	attrs, _ := ParseAttrs(m.Data[unix.SizeofIfAddrmsg:])
	want := map[uint16]string{unix.IFA_LOCAL: "10.55.0.2", unix.IFA_ADDRESS: "10.55.0.2", unix.IFA_BROADCAST: "10.55.0.255"}
	for _, a := range attrs {
		ip, _ := netip.AddrFromSlice(a.Data)
		if want[a.Type] != ip.String() {
			t.Errorf("attribute %d = %s, want %s", a.Type, ip, want[a.Type])
		}
		delete(want, a.Type)
	}
	if len(want) != 0 {
		t.Errorf("missing attributes %v", want)
	}
}

// An NLMSG_ERROR with an extended ack carries the kernel's message.
func TestAckError(t *testing.T) {
	data := make([]byte, 4)
	errno := -int32(unix.EEXIST)
	native.PutUint32(data, uint32(errno))
	data = append(data, Message{Type: unix.RTM_NEWLINK}.Encode(1)...)
	data = append(data, String(unix.NLMSGERR_ATTR_MSG, "already there").Bytes()...)
	err := ackError("add veth", Message{Type: unix.NLMSG_ERROR, Flags: unix.NLM_F_ACK_TLVS | unix.NLM_F_CAPPED, Data: data})
	if err == nil || err.Error() != "add veth: file exists (kernel: already there)" {
		t.Errorf("err = %v", err)
	}
	ok := make([]byte, 4)
	if ackError("x", Message{Data: ok}) != nil {
		t.Error("error 0 is success")
	}
}

func TestCheckName(t *testing.T) {
	for name, ok := range map[string]bool{"eth0": true, "nslab0": true, "123456789012345": true,
		"1234567890123456": false, "": false, "a/b": false, "a b": false, "a:b": false, "..": false} {
		if err := CheckName(name); (err == nil) != ok {
			t.Errorf("CheckName(%q) = %v", name, err)
		}
	}
}

func TestParseRejectsGarbage(t *testing.T) {
	if _, err := ParseAttrs([]byte{200, 0, 1, 0}); err == nil {
		t.Error("attribute longer than the buffer parsed")
	}
	if _, err := ParseMessages([]byte{100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}); err == nil {
		t.Error("message longer than the buffer parsed")
	}
}

// FuzzParseAttrs: parsing never panics, and what encodes parses back.
func FuzzParseAttrs(f *testing.F) {
	f.Add(String(unix.IFLA_IFNAME, "eth0").Bytes())
	f.Add([]byte{4, 0, 1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		attrs, err := ParseAttrs(b)
		if err != nil {
			return
		}
		again, err := ParseAttrs(EncodeAttrs(attrs))
		if err != nil || len(again) != len(attrs) {
			t.Fatalf("re-encoding %d attributes gave %d, %v", len(attrs), len(again), err)
		}
	})
}
