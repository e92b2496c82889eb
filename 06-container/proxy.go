package main

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"nslab/internal/cli"
)

// published is a host port the runtime holds while the container lives.
// Binding it is how "in use" is told from free — not guessed — and while
// it is held no other program can take it. The connections that do reach
// the socket are the ones no dnat rule caught, those to the loopback:
// the runtime copies them to the container, and the answers back.
type published struct {
	port port
	ln   net.Listener   // tcp
	pc   net.PacketConn // udp
}

// udpIdle is how long a UDP flow through the proxy lives without a
// datagram: UDP has no end, so a flow ends when it goes quiet.
const udpIdle = 60 * time.Second

// listenPorts binds every published port, before the container exists;
// when one fails, those bound are let go and nothing is left.
func listenPorts(ports []port) ([]*published, error) {
	var out []*published
	for _, p := range ports {
		pub, err := listen(p)
		if err != nil {
			closePorts(out)
			return nil, err
		}
		out = append(out, pub)
	}
	return out, nil
}

// listen binds one port, and says in one line why it cannot.
func listen(p port) (*published, error) {
	addr := netip.AddrPortFrom(p.HostIP, p.HostPort).String()
	pub := &published{port: p}
	var err error
	if p.Proto == "tcp" {
		pub.ln, err = net.Listen("tcp4", addr)
	} else {
		pub.pc, err = net.ListenPacket("udp4", addr)
	}
	switch {
	case errors.Is(err, unix.EADDRINUSE):
		return nil, cli.Failf("-p %s: port %d/%s of the host is in use — choose another host port", p, p.HostPort, p.Proto)
	case errors.Is(err, unix.EADDRNOTAVAIL):
		return nil, cli.Failf("-p %s: %s is not an address of this host", p, p.HostIP)
	case err != nil:
		return nil, cli.Failf("-p %s: %w", p, err)
	}
	return pub, nil
}

// closePorts lets the ports go.
func closePorts(ports []*published) {
	for _, p := range ports {
		if p.ln != nil {
			p.ln.Close()
		}
		if p.pc != nil {
			p.pc.Close()
		}
	}
}

// serve copies what reaches the port to the container at addr, until the
// port is closed.
func (p *published) serve(addr netip.Addr) {
	to := netip.AddrPortFrom(addr, p.port.ContainerPort)
	if p.ln != nil {
		go serveTCP(p.ln, to)
	} else {
		go serveUDP(p.pc, to)
	}
}

// serveTCP accepts connections and relays each one.
func serveTCP(ln net.Listener, to netip.AddrPort) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		go relay(conn.(*net.TCPConn), to)
	}
}

// relay copies both ways between a client and the container. When one
// side stops sending, the other is told (a half close), as the client
// would have told the server directly.
func relay(client *net.TCPConn, to netip.AddrPort) {
	defer client.Close()
	server, err := net.DialTimeout("tcp4", to.String(), 5*time.Second)
	if err != nil {
		return
	}
	defer server.Close()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); copyHalf(server.(*net.TCPConn), client) }()
	go func() { defer wg.Done(); copyHalf(client, server.(*net.TCPConn)) }()
	wg.Wait()
}

// copyHalf copies one direction, then shuts the writing side down.
func copyHalf(dst, src *net.TCPConn) {
	_, _ = io.Copy(dst, src)
	_ = dst.CloseWrite()
}

// serveUDP relays datagrams: each client address gets a socket of its own
// towards the container, so that the answers can be told apart and sent
// back to the client they belong to.
func serveUDP(pc net.PacketConn, to netip.AddrPort) {
	var mu sync.Mutex
	flows := map[string]*net.UDPConn{}
	buf := make([]byte, 64*1024)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		mu.Lock()
		flow, ok := flows[from.String()]
		if !ok {
			if flow, err = net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(to)); err == nil {
				flows[from.String()] = flow
				go answer(pc, flow, from, func() { mu.Lock(); delete(flows, from.String()); mu.Unlock() })
			}
		}
		mu.Unlock()
		if flow != nil {
			_, _ = flow.Write(buf[:n])
		}
	}
}

// answer sends the container's answers back to the client, until the
// flow is idle for udpIdle or the port closes.
func answer(pc net.PacketConn, flow *net.UDPConn, client net.Addr, forget func()) {
	defer forget()
	defer flow.Close()
	buf := make([]byte, 64*1024)
	for {
		_ = flow.SetReadDeadline(time.Now().Add(udpIdle))
		n, err := flow.Read(buf)
		if err != nil {
			return
		}
		if _, err := pc.WriteTo(buf[:n], client); err != nil {
			return
		}
	}
}
