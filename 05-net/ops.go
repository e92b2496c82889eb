package main

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"

	"nslab/05-net/netlink"
	"nslab/05-net/netns"
	"nslab/internal/cli"
	"nslab/internal/nsinfo"
)

// The operations of the walk-through: each one explained, done through
// netlink, and recorded for undo.

// newNamespace creates a network namespace and names it in /run/netns,
// like "ip netns add".
func (l *lab) newNamespace(letter string) error {
	name := l.name(letter)
	l.log.Step("unshare(CLONE_NEWNET) on a throwaway thread; mount --bind /proc/self/fd/N "+netns.RunDir+"/"+name, "ip netns add "+name)
	ns, err := netns.New()
	if err != nil {
		return err
	}
	createdDir, err := ns.Pin(name)
	if err != nil {
		ns.Close()
		return err
	}
	if createdDir {
		l.createdDir = true
		l.onUndo("directory "+netns.RunDir, func() error { return os.Remove(netns.RunDir) })
	}
	c, err := ns.Dial()
	if err != nil {
		if uerr := netns.Unpin(name, false); uerr != nil {
			cli.Warnf("cleanup: %v", uerr)
		}
		ns.Close()
		return err
	}
	l.ns[letter], l.conn[letter] = ns, c
	l.onUndo("namespace "+name, func() error {
		if l.ns[letter] == nil {
			return nil // deleted already, in step 6
		}
		return l.deleteNamespace(letter)
	})
	l.say("created %s, named by a bind mount at %s/%s", name, netns.RunDir, name)
	return nil
}

// deleteNamespace is "ip netns del": unmount and remove the name, and
// close this program's references. The kernel ends the namespace, and
// destroys its devices, once nothing refers to it.
func (l *lab) deleteNamespace(letter string) error {
	name := l.name(letter)
	l.log.Step("umount2("+netns.RunDir+"/"+name+", MNT_DETACH); unlink; close", "ip netns del "+name)
	errs := []error{l.conn[letter].Close(), netns.Unpin(name, false), l.ns[letter].Close()}
	l.ns[letter], l.conn[letter] = nil, nil
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// addVeth creates a veth pair from namespace `in` ("" = host) with the
// peer created directly in namespace peerNS.
func (l *lab) addVeth(in, name, peerNS, peer string) error {
	l.log.Step(fmt.Sprintf("RTM_NEWLINK %s kind veth, VETH_INFO_PEER { %s, IFLA_NET_NS_FD }", name, peer),
		fmt.Sprintf("%s link add %s type veth peer name %s netns %s", l.ipIn(in), name, peer, l.name(peerNS)))
	if err := l.connOf(in).AddVeth(name, peer, l.ns[peerNS].Fd()); err != nil {
		return err
	}
	if in == "" {
		// The pair dies with the namespace of its peer, but deleting
		// the host end ourselves does not wait for that.
		l.onUndo("veth "+name, func() error { return l.deleteLink(name) })
	}
	if err := l.setUp(in, name); err != nil {
		return err
	}
	return l.setUp(peerNS, peer)
}

// plug makes a host link a port of the bridge.
func (l *lab) plug(name string) error {
	br, err := l.host.LinkByName(l.plan.bridge)
	if err != nil {
		return err
	}
	link, err := l.host.LinkByName(name)
	if err != nil {
		return err
	}
	l.log.Step("RTM_NEWLINK "+name+" IFLA_MASTER="+br.Name, "ip link set "+name+" master "+br.Name)
	return l.host.SetMaster(link, br)
}

// setUp brings a link up in a namespace ("" = host).
func (l *lab) setUp(in, name string) error {
	c := l.connOf(in)
	link, err := c.LinkByName(name)
	if err != nil {
		return err
	}
	l.log.Step("RTM_NEWLINK "+name+" ifi_flags |= IFF_UP", l.ipIn(in)+" link set "+name+" up")
	return c.SetUp(link, true)
}

// address gives a link in a namespace an address of the subnet.
func (l *lab) address(in, name string, a netip.Addr) error {
	c := l.connOf(in)
	link, err := c.LinkByName(name)
	if err != nil {
		return err
	}
	p := l.plan.prefix(a)
	l.log.Step("RTM_NEWADDR "+p.String()+" IFA_LOCAL IFA_ADDRESS IFA_BROADCAST", l.ipIn(in)+" addr add "+p.String()+" dev "+name)
	return c.AddAddr(link, p)
}

// deleteLink removes a host link by name; one that is already gone is
// not an error.
func (l *lab) deleteLink(name string) error {
	link, err := l.host.LinkByName(name)
	if errors.Is(err, netlink.ErrNoLink) {
		return nil
	}
	if err != nil {
		return err
	}
	l.log.Step("RTM_DELLINK "+name, "ip link del "+name)
	return l.host.DeleteLink(link)
}

// processesIn counts the processes whose network namespace is ns.
func processesIn(ns *netns.NS) int {
	want, err := fdInode(ns)
	if err != nil {
		return -1
	}
	paths, _ := filepath.Glob("/proc/[0-9]*/ns/net")
	n := 0
	for _, p := range paths {
		var pid int
		fmt.Sscanf(p, "/proc/%d/", &pid)
		if ino, err := nsinfo.Inode(pid, "net"); err == nil && ino == want {
			n++
		}
	}
	return n
}

func fdInode(ns *netns.NS) (uint64, error) {
	fi, err := os.Stat(fmt.Sprintf("/proc/self/fd/%d", ns.Fd()))
	if err != nil {
		return 0, err
	}
	return nsinfo.InodeOf(fi), nil
}
