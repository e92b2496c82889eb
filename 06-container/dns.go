package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"strings"

	"nslab/internal/cli"
)

// Name servers. A container has a network stack of its own, and its
// loopback is its own too: a name server the host reaches at 127.0.0.53
// (systemd-resolved's stub) or 127.0.0.1 (a local dnsmasq) is out of its
// reach. So, like Docker, the container gets the host's other name
// servers and, in place of systemd-resolved's stub, the upstream servers
// the stub itself asks. --dns replaces them all.

// Where the host keeps its name servers.
const (
	hostResolvConf  = "/etc/resolv.conf"
	resolvedServers = "/run/systemd/resolve/resolv.conf" // the stub's upstream servers
)

// nameServers is what goes into the container's resolv.conf.
type nameServers struct {
	Servers []netip.Addr
	Search  []string // the search domains of the host
	Note    string   // why a container on the network has none
}

// checkDNS reads --dns: IPv4 addresses (a container on the bridge has no
// IPv6), the container's own loopback included.
func checkDNS(list []string) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, s := range list {
		a, err := netip.ParseAddr(s)
		if err != nil || !a.Is4() {
			return nil, cli.Failf("--dns %q: want an IPv4 address, such as 10.99.0.1", s)
		}
		out = append(out, a)
	}
	return out, nil
}

// hostNameServers finds the servers a container can use among the
// host's: the IPv4 ones off its loopback, and in place of a loopback stub
// the servers of the upstream file when there is one.
func hostNameServers(main, upstream string) nameServers {
	servers, search := readResolvConf(main)
	var ns nameServers
	var loopback []string
	for _, a := range servers {
		if a.IsLoopback() {
			loopback = append(loopback, a.String())
			continue
		}
		ns.Servers = append(ns.Servers, a)
	}
	ns.Search = search
	if len(loopback) > 0 {
		up, _ := readResolvConf(upstream)
		for _, a := range up {
			if !a.IsLoopback() {
				ns.Servers = append(ns.Servers, a)
			}
		}
	}
	if len(ns.Servers) == 0 {
		ns.Note = "the host has no name server a container can reach"
		if len(loopback) > 0 {
			ns.Note = fmt.Sprintf("the host's name servers are on its loopback (%s), which is not the container's", strings.Join(loopback, ", "))
		}
	}
	return ns
}

// readResolvConf reads the IPv4 name servers and the search domains of a
// resolv.conf; a file that is missing has none.
func readResolvConf(path string) ([]netip.Addr, []string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil
	}
	var servers []netip.Addr
	var search []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) >= 2 && f[0] == "nameserver":
			if a, err := netip.ParseAddr(f[1]); err == nil && a.Is4() {
				servers = append(servers, a)
			}
		case len(f) >= 2 && (f[0] == "search" || f[0] == "domain"):
			search = f[1:]
		}
	}
	return servers, search
}

// resolvConf is the container's /etc/resolv.conf.
func resolvConf(ns nameServers, mode string, given bool) string {
	var b strings.Builder
	switch {
	case given:
		b.WriteString("# written by 06-container: the name servers of --dns\n")
	case mode == "none":
		b.WriteString("# written by 06-container: the container has no network (--net=none)\n")
		return b.String()
	case len(ns.Servers) == 0:
		fmt.Fprintf(&b, "# written by 06-container: %s — give --dns\n", ns.Note)
	default:
		b.WriteString("# written by 06-container: the host's name servers (not those on its loopback, which is not the container's)\n")
	}
	for _, a := range ns.Servers {
		fmt.Fprintf(&b, "nameserver %s\n", a)
	}
	if len(ns.Search) > 0 {
		fmt.Fprintf(&b, "search %s\n", strings.Join(ns.Search, " "))
	}
	return b.String()
}

// containsAddr reports whether the address is in the list.
func containsAddr(list []netip.Addr, a netip.Addr) bool {
	for _, x := range list {
		if x == a {
			return true
		}
	}
	return false
}
