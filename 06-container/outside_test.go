package main

import (
	"os"
	"strings"
	"testing"

	"nslab/internal/labtest"
)

// A container on the bridge reaches the outside through NAT: the world's
// server sees the host's address on its link, never 10.99.0.x. Its name
// server is the world's, and a name resolves through it. Forwarding is
// turned on meanwhile and restored after, with an interface that
// forwarded on its own still forwarding.
func TestNATAndDNS(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	w := newWorld(t, "")
	own := "/proc/sys/net/ipv4/conf/" + w.link + "/forwarding"
	if err := os.WriteFile(own, []byte("1"), 0); err != nil {
		t.Fatal(err)
	}
	srv := w.start(t, probe, "listen", worldAddr+":7000")
	waitFor(t, srv, "listening")
	dns := w.start(t, probe, "dns", worldAddr+":53", "world.test="+worldAddr)
	waitFor(t, dns, "serving")
	r := runC(t, "--dns", worldAddr, "--", "sh", "-c", "grep nameserver /etc/resolv.conf; nsprobe resolve world.test && nsprobe connect world.test:7000")
	r.Want(t, 0).Contains(t, "nameserver "+worldAddr+"\n", "resolve: world.test is "+worldAddr, "connect: hello from")
	srv.Wait(t).Want(t, 0).Contains(t, "greeted "+hostOnWorld+":")
	if b, _ := os.ReadFile(own); string(b) != "1\n" {
		t.Errorf("%s is %q after the container, want 1", own, b)
	}
	if b, _ := os.ReadFile("/proc/sys/net/ipv4/ip_forward"); string(b) != "0\n" {
		t.Errorf("ip_forward is %q after the container, want 0 as before", b)
	}
}

// Published ports, TCP and UDP, from the world to the host's address, from
// the host to its own address, from the host's loopback (the runtime's
// proxy), and from another container by the host's address (hairpin);
// a second container publishes another port at the same time; a port in
// use is refused, having made nothing; the world cannot reach a port that
// is not published, even with a route to the subnet.
func TestPublishedPorts(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	w := newWorld(t, "")
	// The UDP server answers until the test closes the container's
	// stdin: an asker may repeat a datagram (udp-ask tries three times),
	// and a server that counted them could be gone before the last ask.
	a := labtest.Start(t, bin, args(t, noDNS, "--hostname", "pub", "--ip", "10.99.0.31", "-p", "8080:80", "-p", "8053:53/udp", "--",
		"sh", "-c", "nsprobe udp-listen 0.0.0.0:53 1000 & nsprobe listen 0.0.0.0:80 4 || exit 1; read done; kill $!; wait; exit 0")...)
	b := labtest.Start(t, bin, args(t, noDNS, "--hostname", "other", "-p", hostOnWorld+":8081:80", "--", "nsprobe", "listen", "0.0.0.0:80")...)
	waitFor(t, a, "listening")
	waitFor(t, a, "listening")
	waitFor(t, b, "listening")
	runC(t, noDNS, "-p", "8080:80", "--", "true").Want(t, 125).Contains(t, "-p 8080:80/tcp: port 8080/tcp of the host is in use")
	w.run(t, "ip", "route", "add", "10.99.0.0/24", "via", hostOnWorld).Want(t, 0)
	w.run(t, probe, "connect", "10.99.0.31:80").Want(t, 1).Contains(t, "i/o timeout")

	hello := "connect: hello from pub"
	w.run(t, probe, "connect", hostOnWorld+":8080").Want(t, 0).Contains(t, hello)
	labtest.Run(t, probe, "connect", hostOnWorld+":8080").Want(t, 0).Contains(t, hello)
	labtest.Run(t, probe, "connect", "127.0.0.1:8080").Want(t, 0).Contains(t, hello)
	runC(t, noDNS, "--", "nsprobe", "connect", hostOnWorld+":8080").Want(t, 0).Contains(t, hello)
	w.run(t, probe, "udp-ask", hostOnWorld+":8053", "from-world").Want(t, 0).Contains(t, "udp-ask: hello from pub")
	labtest.Run(t, probe, "udp-ask", hostOnWorld+":8053", "from-host").Want(t, 0).Contains(t, "udp-ask: hello from pub")
	labtest.Run(t, probe, "udp-ask", "127.0.0.1:8053", "from-loopback").Want(t, 0).Contains(t, "udp-ask: hello from pub")
	w.run(t, probe, "connect", hostOnWorld+":8081").Want(t, 0).Contains(t, "connect: hello from other")

	a.Close()
	out := a.Wait(t).Want(t, 0).Output()
	for _, peer := range []string{"greeted " + worldAddr + ":", "greeted " + hostOnWorld + ":", "greeted 10.99.0.1:",
		worldAddr + ":", "says from-host", "says from-loopback"} {
		if !strings.Contains(out, peer) {
			t.Errorf("the container did not see %q:\n%s", peer, out)
		}
	}
	b.Wait(t).Want(t, 0)
}
