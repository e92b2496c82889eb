// Package nft speaks nftables to the kernel over netlink, as nft(8) does:
// tables, chains and rules, changed in transactions. Chapter 06 builds
// the container network's rules with it: NAT to the outside, published
// ports, what a container may reach on the host, and the walls between
// containers on a bridge.
//
// nftables is a small virtual machine in the kernel. A rule is a list of
// expressions: some load data into a register (a field of the packet's
// headers, its metadata such as the interface it came in on, its
// connection-tracking entry), some compare a register with a value and
// stop the rule when the comparison fails, and the last one gives a
// verdict (accept, drop, jump) or does something (masquerade, dnat).
// nft(8) compiles its rule language into these expressions; this package
// builds them itself, one statement at a time, and keeps each
// statement's text, so that every change has a shell twin: the nft
// command that makes the same change.
//
// The protocol is nfnetlink (NETLINK_NETFILTER), framed like rtnetlink
// (chapter 05's package netlink carries it) with one difference that
// matters: its integers are big-endian — network byte order — where
// rtnetlink's are the host's. Data compared with registers is in the
// byte order of what is loaded: network order for packet fields, host
// order for the kernel's own numbers (conntrack state, route types).
// Changes travel in batches, NFNL_MSG_BATCH_BEGIN … NFNL_MSG_BATCH_END,
// that the kernel applies as one transaction: all of it or none.
package nft

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/sys/unix"

	"nslab/05-net/netlink"
)

// Constants of <linux/netfilter/nfnetlink.h> and nf_tables.h that
// x/sys/unix lacks.
const (
	subsysNFTables = 10   // NFNL_SUBSYS_NFTABLES: the high byte of every message type
	batchBegin     = 0x10 // NFNL_MSG_BATCH_BEGIN (= NLMSG_MIN_TYPE)
	batchEnd       = 0x11 // NFNL_MSG_BATCH_END
	tableUserdata  = 6    // NFTA_TABLE_USERDATA (Linux 5.10)
	chainUserdata  = 12   // NFTA_CHAIN_USERDATA (Linux 5.10)
	nestedFlag     = 0x8000
	verdictDrop    = 0 // NF_DROP
	verdictAccept  = 1 // NF_ACCEPT
)

// Family is the kind of packets a table sees: its hooks are the ones of
// that layer's path through the kernel.
type Family uint8

// The families this package uses.
const (
	IPv4   Family = unix.NFPROTO_IPV4   // "ip": IPv4 packets, routed or local
	Bridge Family = unix.NFPROTO_BRIDGE // "bridge": Ethernet frames crossing a bridge
	Inet   Family = unix.NFPROTO_INET   // "inet": IPv4 and IPv6 together
)

// String is the family's name in nft(8)'s language.
func (f Family) String() string {
	switch f {
	case IPv4:
		return "ip"
	case Bridge:
		return "bridge"
	case Inet:
		return "inet"
	case unix.NFPROTO_IPV6:
		return "ip6"
	case unix.NFPROTO_ARP:
		return "arp"
	case unix.NFPROTO_NETDEV:
		return "netdev"
	}
	return fmt.Sprintf("family-%d", uint8(f))
}

// Conn is a NETLINK_NETFILTER socket.
type Conn struct{ nl *netlink.Conn }

// Dial opens a NETLINK_NETFILTER socket in the caller's network
// namespace: the rules it makes are that namespace's.
func Dial() (*Conn, error) {
	nl, err := netlink.Open(unix.NETLINK_NETFILTER)
	if err != nil {
		return nil, err
	}
	return &Conn{nl: nl}, nil
}

// Close closes the socket.
func (c *Conn) Close() error { return c.nl.Close() }

// message builds an nf_tables message: the type is the subsystem and the
// request (NFT_MSG_*), the payload struct nfgenmsg — family, version 0
// and a resource id, big-endian — and then the attributes.
func message(msg int, family Family, flags uint16, attrs ...netlink.Attr) netlink.Message {
	data := []byte{byte(family), unix.NFNETLINK_V0, 0, 0}
	data = append(data, netlink.EncodeAttrs(attrs)...)
	return netlink.Message{Type: uint16(subsysNFTables<<8 | msg), Flags: flags, Data: data}
}

// batchMessage frames a batch: its resource id names the subsystem whose
// transaction it is.
func batchMessage(typ uint16) netlink.Message {
	data := []byte{unix.AF_UNSPEC, unix.NFNETLINK_V0, 0, 0}
	binary.BigEndian.PutUint16(data[2:4], subsysNFTables)
	return netlink.Message{Type: typ, Data: data}
}

// Tx is a transaction: the changes it holds are sent together by Commit,
// and the kernel makes all of them or none.
type Tx struct {
	c    *Conn
	msgs []netlink.Message
	twin []string
}

// Begin starts a transaction.
func (c *Conn) Begin() *Tx { return &Tx{c: c} }

// add queues one change and its nft command.
func (tx *Tx) add(m netlink.Message, twin string) {
	m.Flags |= unix.NLM_F_ACK
	tx.msgs = append(tx.msgs, m)
	tx.twin = append(tx.twin, twin)
}

// Twin is the transaction as an nft script, one command per line: what
// nft -f would read to make the same changes.
func (tx *Tx) Twin() []string { return tx.twin }

// Empty reports whether the transaction holds no change.
func (tx *Tx) Empty() bool { return len(tx.msgs) == 0 }

// Commit sends the transaction in one batch.
func (tx *Tx) Commit() error {
	if tx.Empty() {
		return nil
	}
	msgs := append([]netlink.Message{batchMessage(batchBegin)}, tx.msgs...)
	msgs = append(msgs, batchMessage(batchEnd))
	ops := []string{"nftables transaction"}
	for _, t := range tx.twin {
		ops = append(ops, "nft "+t)
	}
	ops = append(ops, "nftables transaction")
	return tx.c.nl.Batch(msgs, ops)
}
