package netlink

import (
	"errors"
	"fmt"
	"net"

	"golang.org/x/sys/unix"
)

// IFNAMSIZ bounds an interface name: 15 bytes and a NUL.
const IFNAMSIZ = 16

// Operational states (IF_OPER_* in <linux/if.h>, RFC 2863).
const (
	operDown           = 2
	operLowerLayerDown = 5
	operUp             = 6
)

// vethInfoPeer is VETH_INFO_PEER from <linux/veth.h>: inside a veth's
// IFLA_INFO_DATA, the peer's own ifinfomsg and attributes.
const vethInfoPeer = 1

// Link is a network interface as RTM_NEWLINK describes it.
type Link struct {
	Index     int
	Name      string
	Kind      string // "veth", "bridge"... ("" for lo and plain devices)
	Flags     uint32 // IFF_UP, IFF_LOOPBACK, IFF_LOWER_UP...
	MTU       uint32
	Master    int // index of the bridge this link is a port of, 0 for none
	OperState uint8
	Address   net.HardwareAddr // link/ether in ip link: the MAC address of an Ethernet-like link
}

// Up reports whether the link is administratively up (IFF_UP).
func (l Link) Up() bool { return l.Flags&unix.IFF_UP != 0 }

// State is the word ip -br link shows: UP, DOWN, UNKNOWN (lo is
// "unknown" when up: it has no carrier to report).
func (l Link) State() string {
	switch l.OperState {
	case operUp:
		return "UP"
	case operDown, operLowerLayerDown:
		return "DOWN"
	}
	if l.Up() {
		return "UNKNOWN"
	}
	return "DOWN"
}

// ifinfomsg builds struct ifinfomsg: family, type, index, flags and the
// mask of flags to change.
func ifinfomsg(index int, flags, change uint32) []byte {
	b := make([]byte, unix.SizeofIfInfomsg)
	b[0] = unix.AF_UNSPEC
	native.PutUint32(b[4:8], uint32(int32(index)))
	native.PutUint32(b[8:12], flags)
	native.PutUint32(b[12:16], change)
	return b
}

// CheckName refuses an interface name the kernel would refuse
// (dev_valid_name): empty, "." or "..", 16 bytes or more, or holding '/',
// ':' or white space.
func CheckName(name string) error {
	if name == "" || name == "." || name == ".." {
		return fmt.Errorf("interface name %q is not allowed", name)
	}
	if len(name) >= IFNAMSIZ {
		return fmt.Errorf("interface name %q is %d bytes; the kernel takes at most %d (IFNAMSIZ)", name, len(name), IFNAMSIZ-1)
	}
	for _, c := range name {
		if c == '/' || c == ':' || c == ' ' || c == '\t' || c == '\n' || c == 0 {
			return fmt.Errorf("interface name %q contains %q", name, c)
		}
	}
	return nil
}

// NewLinkMessage builds RTM_NEWLINK for a link of the given kind. info
// goes into IFLA_INFO_DATA (the kind's own settings).
func NewLinkMessage(name, kind string, info ...Attr) Message {
	linkinfo := []Attr{String(unix.IFLA_INFO_KIND, kind)}
	if len(info) > 0 {
		linkinfo = append(linkinfo, Nest(unix.IFLA_INFO_DATA, info...))
	}
	body := ifinfomsg(0, 0, 0)
	body = append(body, String(unix.IFLA_IFNAME, name).Bytes()...)
	body = append(body, Nest(unix.IFLA_LINKINFO, linkinfo...).Bytes()...)
	return Message{Type: unix.RTM_NEWLINK, Flags: unix.NLM_F_CREATE | unix.NLM_F_EXCL, Data: body}
}

// VethMessage builds the request for "ip link add NAME type veth peer name
// PEER netns NS": the peer's ifinfomsg and name ride inside VETH_INFO_PEER,
// and IFLA_NET_NS_FD there makes the kernel create the peer directly in
// the namespace that fd refers to. peerNS < 0 keeps the peer here.
func VethMessage(name, peer string, peerNS int) Message {
	peerBody := ifinfomsg(0, 0, 0)
	peerBody = append(peerBody, String(unix.IFLA_IFNAME, peer).Bytes()...)
	if peerNS >= 0 {
		peerBody = append(peerBody, Uint32(unix.IFLA_NET_NS_FD, uint32(peerNS)).Bytes()...)
	}
	return NewLinkMessage(name, "veth", Attr{Type: vethInfoPeer, Data: peerBody})
}

// AddVeth creates a veth pair: name here, peer in the namespace of the
// file descriptor peerNS (or here too when peerNS < 0).
func (c *Conn) AddVeth(name, peer string, peerNS int) error {
	_, err := c.Do(fmt.Sprintf("add veth %s peer %s", name, peer), VethMessage(name, peer, peerNS))
	return err
}

// AddBridge creates a bridge: a software switch whose ports are other
// links.
func (c *Conn) AddBridge(name string) error {
	_, err := c.Do("add bridge "+name, NewLinkMessage(name, "bridge"))
	return err
}

// SetUpMessage builds the request for "ip link set dev up|down": change
// IFF_UP only.
func SetUpMessage(index int, up bool) Message {
	var flags uint32
	if up {
		flags = unix.IFF_UP
	}
	return Message{Type: unix.RTM_NEWLINK, Data: ifinfomsg(index, flags, unix.IFF_UP)}
}

// SetUp brings a link up or down.
func (c *Conn) SetUp(l Link, up bool) error {
	state := "down"
	if up {
		state = "up"
	}
	_, err := c.Do(fmt.Sprintf("set %s %s", l.Name, state), SetUpMessage(l.Index, up))
	return err
}

// SetMaster makes l a port of the bridge (IFLA_MASTER), or of none when
// bridge is the zero Link.
func (c *Conn) SetMaster(l, bridge Link) error {
	body := append(ifinfomsg(l.Index, 0, 0), Uint32(unix.IFLA_MASTER, uint32(bridge.Index)).Bytes()...)
	_, err := c.Do(fmt.Sprintf("set %s master %s", l.Name, bridge.Name), Message{Type: unix.RTM_NEWLINK, Data: body})
	return err
}

// DeleteLink removes a link. Deleting one end of a veth pair removes both.
func (c *Conn) DeleteLink(l Link) error {
	_, err := c.Do("delete link "+l.Name, Message{Type: unix.RTM_DELLINK, Data: ifinfomsg(l.Index, 0, 0)})
	return err
}

// ErrNoLink is returned by LinkByName for a name that is not here.
var ErrNoLink = errors.New("no such link")

// LinkByName looks a link up by name (RTM_GETLINK with IFLA_IFNAME).
func (c *Conn) LinkByName(name string) (Link, error) {
	body := append(ifinfomsg(0, 0, 0), String(unix.IFLA_IFNAME, name).Bytes()...)
	msgs, err := c.Do("get link "+name, Message{Type: unix.RTM_GETLINK, Data: body})
	if errors.Is(err, unix.ENODEV) {
		return Link{}, fmt.Errorf("%s: %w", name, ErrNoLink)
	}
	if err != nil {
		return Link{}, err
	}
	for _, m := range msgs {
		if m.Type == unix.RTM_NEWLINK {
			return parseLink(m.Data)
		}
	}
	return Link{}, fmt.Errorf("%s: %w", name, ErrNoLink)
}

// Links lists every link in the namespace (a dump).
func (c *Conn) Links() ([]Link, error) {
	msgs, err := c.Dump("list links", Message{Type: unix.RTM_GETLINK, Data: ifinfomsg(0, 0, 0)})
	if err != nil {
		return nil, err
	}
	var links []Link
	for _, m := range msgs {
		if m.Type != unix.RTM_NEWLINK {
			continue
		}
		l, err := parseLink(m.Data)
		if err != nil {
			return nil, err
		}
		links = append(links, l)
	}
	return links, nil
}

// parseLink reads an RTM_NEWLINK payload: struct ifinfomsg, then the
// attributes this package uses. Every attribute is length-checked.
func parseLink(b []byte) (Link, error) {
	if len(b) < unix.SizeofIfInfomsg {
		return Link{}, fmt.Errorf("netlink: link message of %d bytes, shorter than struct ifinfomsg", len(b))
	}
	l := Link{Index: int(int32(native.Uint32(b[4:8]))), Flags: native.Uint32(b[8:12])}
	attrs, err := ParseAttrs(b[unix.SizeofIfInfomsg:])
	if err != nil {
		return Link{}, err
	}
	for _, a := range attrs {
		if err := l.set(a); err != nil {
			return Link{}, err
		}
	}
	return l, nil
}

// set fills in the field that attribute a carries.
func (l *Link) set(a Attr) error {
	var err error
	var v uint32
	switch a.Type {
	case unix.IFLA_IFNAME:
		l.Name = cString(a.Data)
	case unix.IFLA_MTU:
		l.MTU, err = a.Uint32()
	case unix.IFLA_MASTER:
		v, err = a.Uint32()
		l.Master = int(v)
	case unix.IFLA_OPERSTATE:
		l.OperState, err = a.Uint8()
	case unix.IFLA_ADDRESS:
		l.Address = append(net.HardwareAddr{}, a.Data...)
	case unix.IFLA_LINKINFO:
		l.Kind, err = linkKind(a)
	}
	return err
}

// linkKind reads IFLA_INFO_KIND out of the nested IFLA_LINKINFO.
func linkKind(a Attr) (string, error) {
	info, err := ParseAttrs(a.Data)
	if err != nil {
		return "", err
	}
	for _, i := range info {
		if i.Type == unix.IFLA_INFO_KIND {
			return cString(i.Data), nil
		}
	}
	return "", nil
}
