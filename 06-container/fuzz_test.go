package main

import (
	"strings"
	"testing"

	"nslab/03-user/caps"
	"nslab/05-net/netlink"
)

// The parsers of user input, fuzzed: whatever they accept must hold the
// property the rest of the program relies on. make test runs each on
// 20000 inputs; make fuzz FUZZTIME=2000000x for a longer run.

func FuzzCheckEnv(f *testing.F) {
	for _, s := range []string{"A=1", "PATH=/x", "_x=", "1A=b", "=v", "A", "A=b=c", "A\x00=b", "A=\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, entry string) {
		env, err := checkEnv([]string{entry})
		if err != nil {
			return
		}
		for _, e := range env {
			key, value, ok := strings.Cut(e, "=")
			if !ok || key == "" || strings.ContainsAny(key, "= \x00") || strings.IndexByte(value, 0) >= 0 {
				t.Fatalf("accepted %q as %q", entry, e)
			}
			if c := key[0]; c >= '0' && c <= '9' {
				t.Fatalf("accepted a name starting with a digit: %q", e)
			}
		}
	})
}

func FuzzParseSubnet(f *testing.F) {
	for _, s := range [][2]string{{"10.99.0.0/24", ""}, {"10.99.0.0/24", "10.99.0.7"}, {"10.99.0.0/24", "10.99.0.255"},
		{"10.99.0.0/33", ""}, {"::1/64", ""}, {"10.0.0.0/8", "10.255.255.254"}, {"10.99.0.5/29", "10.99.0.1"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, subnet, ip string) {
		p, a, err := parseSubnet(subnet, ip)
		if err != nil {
			return
		}
		if !p.Addr().Is4() || p.Bits() < 8 || p.Bits() > 29 || p != p.Masked() {
			t.Fatalf("accepted subnet %s", p)
		}
		if a.IsValid() && (!p.Contains(a) || a == p.Addr() || a == netlink.Broadcast(p) || a == gateway(p)) {
			t.Fatalf("accepted %s in %s", a, p)
		}
	})
}

func FuzzCapabilities(f *testing.F) {
	for _, s := range [][2]string{{"NET_ADMIN", ""}, {"", "ALL"}, {"all", "chown"}, {"FLY", ""}, {"cap_kill", "CAP_KILL"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, add, drop string) {
		set, err := capabilities(strings.Split(add, ","), strings.Split(drop, ","))
		if err != nil {
			return
		}
		if set&^caps.Full() != 0 {
			t.Fatalf("set %x has capabilities this kernel does not know", uint64(set))
		}
		for _, d := range strings.Split(drop, ",") {
			if c, err := caps.Parse(d); err == nil && set.Has(c) {
				t.Fatalf("dropped %s is still in %s", d, set)
			}
		}
	})
}

func FuzzParsePort(f *testing.F) {
	for _, s := range []string{"8080:80", "127.0.0.1:53:53/udp", "1:65535/tcp", "0:80", "70000:80", "a:b", "::1:80:80", "8080:80/sctp", "1.2.3.4:5:6:7"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		p, err := parsePort(spec)
		if err != nil {
			return
		}
		if p.HostPort == 0 || p.ContainerPort == 0 || (p.Proto != "tcp" && p.Proto != "udp") || !p.HostIP.Is4() {
			t.Fatalf("accepted %q as %+v", spec, p)
		}
		// What -p accepted, written back as -p, reads the same.
		if again, err := parsePort(p.String()); err != nil || again != p {
			t.Fatalf("%q read as %v, which reads back as %+v, %v", spec, p, again, err)
		}
	})
}
