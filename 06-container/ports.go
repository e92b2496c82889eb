package main

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"nslab/internal/cli"
)

// Published ports: -p [HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|/udp]. A
// connection to HOSTPORT on the host reaches CONTAINERPORT in the
// container. As root, by three paths (firewall.go, proxy.go):
//
//   - from another machine, or another namespace: a dnat rule at
//     prerouting rewrites the destination to the container's address;
//   - from the host itself, to one of its own addresses: the same rule at
//     output, where the host's own packets pass;
//   - from the host to 127.0.0.1: no rule can send that to the bridge —
//     a packet from 127.0.0.1 may not leave the loopback (the kernel
//     drops it as a martian) — so the runtime listens there itself and
//     copies each connection through, as docker-proxy does.
//
// Rootless, slirp4netns or pasta listens on the host's port and forwards
// (slirp.go, pasta.go).

// port is one -p.
type port struct {
	HostIP        netip.Addr // the unspecified address 0.0.0.0: all of the host's
	HostPort      uint16
	ContainerPort uint16
	Proto         string // tcp or udp
}

// String is the mapping as -p writes it.
func (p port) String() string {
	host := ""
	if !p.HostIP.IsUnspecified() {
		host = p.HostIP.String() + ":"
	}
	return fmt.Sprintf("%s%d:%d/%s", host, p.HostPort, p.ContainerPort, p.Proto)
}

// parsePorts reads every -p, refusing a port published twice.
func parsePorts(specs []string) ([]port, error) {
	var out []port
	seen := map[string]bool{}
	for _, s := range specs {
		p, err := parsePort(s)
		if err != nil {
			return nil, cli.Failf("-p %q: %w", s, err)
		}
		key := fmt.Sprintf("%d/%s", p.HostPort, p.Proto)
		if seen[key] {
			return nil, cli.Failf("-p %q: host port %s is published twice", s, key)
		}
		seen[key] = true
		out = append(out, p)
	}
	return out, nil
}

// parsePort reads one mapping.
func parsePort(s string) (port, error) {
	p := port{HostIP: netip.IPv4Unspecified(), Proto: "tcp"}
	if rest, proto, ok := strings.Cut(s, "/"); ok {
		if proto != "tcp" && proto != "udp" {
			return p, fmt.Errorf("protocol %q: want tcp or udp", proto)
		}
		s, p.Proto = rest, proto
	}
	parts := strings.Split(s, ":")
	if len(parts) == 3 {
		a, err := netip.ParseAddr(parts[0])
		if err != nil || !a.Is4() {
			return p, fmt.Errorf("%q is not an IPv4 address of the host", parts[0])
		}
		p.HostIP, parts = a, parts[1:]
	}
	if len(parts) != 2 {
		return p, errors.New("want [HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|/udp], e.g. 8080:80")
	}
	var err error
	if p.HostPort, err = portNumber(parts[0]); err != nil {
		return p, err
	}
	p.ContainerPort, err = portNumber(parts[1])
	return p, err
}

// portNumber reads a port from 1 to 65535.
func portNumber(s string) (uint16, error) {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("port %q: want a number from 1 to 65535", s)
	}
	return uint16(n), nil
}
