package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"
)

func init() {
	register("dns", "ADDR:PORT NAME=IPV4...", "a name server that knows only these names (A records)", dnsServe)
	register("resolve", "NAME", "look a name up through /etc/resolv.conf", resolve)
}

// dnsServe answers queries over UDP until killed: an A record for a name
// it was given, no record of other types for it, and "no such name"
// (NXDOMAIN) for any other name. Enough DNS for a test's own world.
func dnsServe(args []string) error {
	if len(args) < 2 {
		return errUsage
	}
	names := map[string]netip.Addr{}
	for _, a := range args[1:] {
		name, ip, ok := strings.Cut(a, "=")
		addr, err := netip.ParseAddr(ip)
		if !ok || err != nil || !addr.Is4() {
			return errUsage
		}
		names[strings.TrimSuffix(strings.ToLower(name), ".")] = addr
	}
	pc, err := net.ListenPacket("udp", args[0])
	if err != nil {
		return err
	}
	defer pc.Close()
	fmt.Printf("dns: serving on %s\n", pc.LocalAddr())
	buf := make([]byte, 512)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return err
		}
		reply, name, err := dnsAnswer(buf[:n], names)
		if err != nil {
			continue
		}
		fmt.Printf("dns: %s asked for %s\n", from, name)
		if _, err := pc.WriteTo(reply, from); err != nil {
			return err
		}
	}
}

// dnsAnswer builds the reply to one query: the header (RFC 1035 4.1.1)
// with the query's id, the question copied, and an answer that points
// back at the question's name (0xc00c).
func dnsAnswer(q []byte, names map[string]netip.Addr) ([]byte, string, error) {
	if len(q) < 12 || binary.BigEndian.Uint16(q[4:6]) != 1 {
		return nil, "", errors.New("not one question")
	}
	var labels []string
	i := 12
	for i < len(q) && q[i] != 0 {
		l := int(q[i])
		if l > 63 || i+1+l > len(q) {
			return nil, "", errors.New("bad name")
		}
		labels = append(labels, string(q[i+1:i+1+l]))
		i += 1 + l
	}
	if i+5 > len(q) {
		return nil, "", errors.New("short question")
	}
	question := q[12 : i+5]
	qtype := binary.BigEndian.Uint16(q[i+1 : i+3])
	name := strings.ToLower(strings.Join(labels, "."))
	addr, known := names[name]
	reply := append([]byte{q[0], q[1], 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0}, question...)
	switch {
	case !known:
		reply[3] |= 3 // NXDOMAIN
	case qtype == 1:
		reply[7] = 1
		a := addr.As4()
		reply = append(reply, 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, a[0], a[1], a[2], a[3])
	}
	return reply, name, nil
}

// resolve looks a name up as a program in the container would.
func resolve(args []string) error {
	if err := need(args, 1); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupHost(ctx, args[0])
	if err != nil {
		return err
	}
	fmt.Printf("resolve: %s is %s\n", args[0], strings.Join(addrs, " "))
	return nil
}
