package netlink_test

import (
	"errors"
	"net/netip"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"nslab/05-net/netlink"
	"nslab/05-net/netns"
	"nslab/internal/labtest"
)

// scratch creates a network namespace for one test and a netlink socket
// inside it; both go away when the test ends.
func scratch(t *testing.T) (*netns.NS, *netlink.Conn) {
	t.Helper()
	labtest.NeedRoot(t)
	ns, err := netns.New()
	if err != nil {
		t.Fatal(err)
	}
	c, err := ns.Dial()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); ns.Close() })
	return ns, c
}

func mustLink(t *testing.T, c *netlink.Conn, name string) netlink.Link {
	t.Helper()
	l, err := c.LinkByName(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// A new namespace has only lo, and it is down.
func TestNewNamespaceHasOnlyLoopback(t *testing.T) {
	_, c := scratch(t)
	links, err := c.Links()
	if err != nil {
		t.Fatal(err)
	}
	if len(links) != 1 || links[0].Name != "lo" || links[0].Up() {
		t.Fatalf("links = %+v", links)
	}
	if err := c.SetUp(links[0], true); err != nil {
		t.Fatal(err)
	}
	if !mustLink(t, c, "lo").Up() {
		t.Error("lo still down")
	}
}

// The veth's peer is created directly in the other namespace.
func TestVethPeerInOtherNamespace(t *testing.T) {
	_, a := scratch(t)
	b, bc := scratch(t)
	if err := a.AddVeth("va", "vb", b.Fd()); err != nil {
		t.Fatal(err)
	}
	va := mustLink(t, a, "va")
	if va.Kind != "veth" {
		t.Errorf("kind %q", va.Kind)
	}
	if _, err := a.LinkByName("vb"); !errors.Is(err, netlink.ErrNoLink) {
		t.Errorf("peer found on this side: %v", err)
	}
	vb := mustLink(t, bc, "vb")
	// Each end has an Ethernet address of its own, locally administered
	// (bit 1 of the first byte): the kernel drew it at random.
	if len(va.Address) != 6 || len(vb.Address) != 6 || va.Address.String() == vb.Address.String() || vb.Address[0]&2 == 0 {
		t.Errorf("addresses %v and %v", va.Address, vb.Address)
	}
	if err := bc.DeleteLink(vb); err != nil {
		t.Fatal(err)
	}
	if _, err := a.LinkByName("va"); !errors.Is(err, netlink.ErrNoLink) {
		t.Errorf("deleting one end left the other: %v", err)
	}
}

func TestBridgeMasterAddressesRoutes(t *testing.T) {
	_, c := scratch(t)
	if err := c.AddBridge("br0"); err != nil {
		t.Fatal(err)
	}
	if err := c.AddVeth("d0", "d0peer", -1); err != nil {
		t.Fatal(err)
	}
	br, d0 := mustLink(t, c, "br0"), mustLink(t, c, "d0")
	if br.Kind != "bridge" || d0.Kind != "veth" {
		t.Errorf("kinds %q %q", br.Kind, d0.Kind)
	}
	if err := c.SetMaster(d0, br); err != nil {
		t.Fatal(err)
	}
	if got := mustLink(t, c, "d0").Master; got != br.Index {
		t.Errorf("d0 master %d, want %d", got, br.Index)
	}
	p := netip.MustParsePrefix("10.99.0.1/24")
	if err := c.AddAddr(br, p); err != nil {
		t.Fatal(err)
	}
	if err := c.AddAddr(br, p); !errors.Is(err, unix.EEXIST) {
		t.Errorf("second add: %v, want EEXIST", err)
	}
	if addrs, _ := c.Addrs(br); len(addrs) != 1 || addrs[0] != p {
		t.Errorf("addresses %v", addrs)
	}
	if err := c.SetUp(br, true); err != nil {
		t.Fatal(err)
	}
	// An address on a link that is up gives the kernel's own route to
	// its prefix ("proto kernel scope link").
	routes, err := c.Routes()
	if err != nil {
		t.Fatal(err)
	}
	var sawPrefix bool
	for _, r := range routes {
		if r.Dst == p.Masked() && r.Link == br.Index && !r.Gateway.IsValid() {
			sawPrefix = true
		}
	}
	if !sawPrefix {
		t.Errorf("no route to %s through br0 in %+v", p.Masked(), routes)
	}
	if _, err := c.Do("delete address", netlink.AddrMessage(unix.RTM_DELADDR, br.Index, p)); err != nil {
		t.Fatal(err)
	}
	if addrs, _ := c.Addrs(br); len(addrs) != 0 {
		t.Errorf("addresses after the delete: %v", addrs)
	}
	if err := c.SetMaster(d0, netlink.Link{}); err != nil {
		t.Fatal(err)
	}
}

// Errors name the operation and carry the errno.
func TestErrorsNameTheOperation(t *testing.T) {
	_, c := scratch(t)
	err := c.AddVeth("lo", "peer", -1)
	var nerr *netlink.Error
	if !errors.As(err, &nerr) || nerr.Op != "add veth lo peer peer" || !errors.Is(err, unix.EEXIST) {
		t.Errorf("err = %#v", err)
	}
	if _, err := c.LinkByName("nothere"); !errors.Is(err, netlink.ErrNoLink) {
		t.Errorf("err = %v", err)
	}
}

func TestSetNSMovesLink(t *testing.T) {
	_, a := scratch(t)
	b, bc := scratch(t)
	if err := a.AddVeth("mover", "stayer", -1); err != nil {
		t.Fatal(err)
	}
	// "ip link set mover netns B": IFLA_NET_NS_FD on an existing link.
	mover := mustLink(t, a, "mover")
	body := append(ifinfomsg(mover.Index), netlink.Uint32(unix.IFLA_NET_NS_FD, uint32(b.Fd())).Bytes()...)
	if _, err := a.Do("set mover netns", netlink.Message{Type: unix.RTM_NEWLINK, Data: body}); err != nil {
		t.Fatal(err)
	}
	mustLink(t, bc, "mover")
}

// ifinfomsg is struct ifinfomsg for the link with this index, nothing to
// change, in the machine's byte order.
func ifinfomsg(index int) []byte {
	h := unix.IfInfomsg{Family: unix.AF_UNSPEC, Index: int32(index)}
	return append([]byte(nil), unsafe.Slice((*byte)(unsafe.Pointer(&h)), unix.SizeofIfInfomsg)...)
}
