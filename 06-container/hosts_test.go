package main

import (
	"strings"
	"testing"

	"nslab/internal/labtest"
)

// A host with Docker's firewall — FORWARD with policy drop, and its
// DOCKER-USER chain — played by a namespace of the test's: the runtime
// refuses a container that could not get out, with the fix in iptables'
// words, having changed nothing; a confined container, which needs no
// forwarding, runs; with the fix, the container reaches the world.
func TestFirewallHost(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	h := newFakeHost(t)
	w := newWorld(t, h)
	br := uniq("nslbf")
	inH := func(args ...string) labtest.Result {
		argv := inNet(h, args...)
		return labtest.Run(t, argv[0], argv[1:]...)
	}
	runtime := func(a ...string) labtest.Result {
		return inH(append([]string{bin, "--rootfs", rootfs(t), "--bridge", br, "--subnet", "10.97.0.0/24", "--dns", worldAddr}, a...)...)
	}
	t.Cleanup(func() { inH(bin, "--cleanup", "--bridge", br) })
	inH("nft", "add table ip filter; add chain ip filter DOCKER-USER; "+
		"add chain ip filter FORWARD { type filter hook forward priority filter; policy drop; }; add rule ip filter FORWARD jump DOCKER-USER").Want(t, 0)
	before := inH("nft", "list", "ruleset").Want(t, 0).Stdout

	runtime("--", "true").Want(t, 125).Contains(t, "the host's firewall drops forwarded traffic (chain ip filter FORWARD)",
		"iptables -I DOCKER-USER -i "+br+" -j ACCEPT && iptables -I DOCKER-USER -o "+br+" -j ACCEPT", "or run with --confine-net")
	if after := inH("nft", "list", "ruleset").Stdout; after != before {
		t.Errorf("the refusal changed the host's rules:\n%s", after)
	}
	inH("ip", "link", "show", br).Want(t, 1)
	runtime("--confine-net", "--", "true").Want(t, 0)

	srv := w.start(t, probe, "listen", worldAddr+":7000")
	waitFor(t, srv, "listening")
	inH("nft", "insert rule ip filter DOCKER-USER iifname "+br+" accept; insert rule ip filter DOCKER-USER oifname "+br+" accept").Want(t, 0)
	runtime("--", "nsprobe", "connect", worldAddr+":7000").Want(t, 0).Contains(t, "connect: hello from")
	srv.Wait(t).Want(t, 0).Contains(t, "greeted "+hostOnWorld+":")
}

// Without --dns, the container's name servers are the host's — but not
// one on the host's loopback, which is not the container's; in place of
// systemd-resolved's stub, the servers the stub asks. The host's files
// are played by binds in a mount namespace of the test's, with a /run of
// its own.
func TestNameServersFromHost(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	script := `set -e
mount -t tmpfs nslab-test-run /run
mkdir -p /run/systemd/resolve
printf 'nameserver 127.0.0.53\noptions edns0\nsearch lab.test\n' > "$D/resolv.conf"
printf 'nameserver 198.18.0.53\nnameserver ::1\n' > /run/systemd/resolve/resolv.conf
mount --bind "$D/resolv.conf" /etc/resolv.conf
"$BIN" --rootfs "$R" -- cat /etc/resolv.conf
rm /run/systemd/resolve/resolv.conf
printf 'nameserver 127.0.0.1\n' > "$D/resolv.conf"
"$BIN" --rootfs "$R" -- cat /etc/resolv.conf`
	r := labtest.RunOpts(t, labtest.Opts{Env: []string{"BIN=" + bin, "R=" + rootfs(t), "D=" + labtest.SharedDir(t)}},
		"unshare", "-m", "--propagation", "private", "sh", "-c", script).Want(t, 0)
	r.Contains(t, "nameserver 198.18.0.53\nsearch lab.test\n",
		"the host's name servers are on its loopback (127.0.0.1), which is not the container's: names will not resolve inside — give --dns IP")
	if strings.Contains(r.Stdout, "nameserver 127.") || strings.Contains(r.Stdout, "::1") {
		t.Errorf("a loopback name server reached the container:\n%s", r.Stdout)
	}
}

// Rootless, on a host played by a namespace of the test's (with a
// /dev/net/tun its user may open, as most distributions have it):
// slirp4netns is the default network; the container reaches the world,
// resolves its names, and publishes a port to the world and to the
// host's loopback. With a name server on the host's loopback alone,
// slirp4netns answers in its place. pasta carries it out too.
func TestRootlessNetwork(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	h := newFakeHost(t)
	w := newWorld(t, h)
	srv := w.start(t, probe, "listen", worldAddr+":7000", "2")
	waitFor(t, srv, "listening")
	dns := w.start(t, probe, "dns", worldAddr+":53", "world.test="+worldAddr)
	waitFor(t, dns, "serving")
	stubArgv := inNet(h, probe, "dns", "127.0.0.53:53", "stub.test="+worldAddr)
	stub := labtest.Start(t, stubArgv[0], stubArgv[1:]...)
	waitFor(t, stub, "serving")
	script := `set -e
mount -t tmpfs tmpfs "$D" && mknod -m 666 "$D/tun" c 10 200 && mount --bind "$D/tun" /dev/net/tun
printf 'nameserver 127.0.0.53\n' > "$D/resolv.conf" && mount --bind "$D/resolv.conf" /etc/resolv.conf
user() { setpriv --reuid 65534 --regid 65534 --clear-groups env XDG_RUNTIME_DIR= HOME=/tmp "$@"; }
user "$BIN" --rootfs "$R" --dns ` + worldAddr + ` -- sh -c 'ip -o link | cut -d: -f2; nsprobe resolve world.test; nsprobe connect world.test:7000'
user "$BIN" --rootfs "$R" -- sh -c 'grep nameserver /etc/resolv.conf; nsprobe resolve stub.test'
user "$BIN" --rootfs "$R" --dns 127.0.0.1 -p 8080:80 -p 8081:81 -- sh -c 'nsprobe listen 0.0.0.0:80 & nsprobe listen 0.0.0.0:81; wait' &
sleep 1
ip netns exec "$W" "$P" connect ` + hostOnWorld + `:8080
"$P" connect 127.0.0.1:8081
wait
user "$BIN" --rootfs "$R" --net=pasta --dns 127.0.0.1 -- nsprobe connect ` + worldAddr + `:7000`
	r := labtest.RunOpts(t, labtest.Opts{Env: []string{"BIN=" + bin, "R=" + rootfs(t), "P=" + probe, "W=" + w.name, "D=" + labtest.SharedDir(t)}},
		"nsenter", "--net=/run/netns/"+h, "unshare", "-m", "--propagation", "private", "sh", "-c", script)
	r.Want(t, 0).Contains(t, " eth0", "resolve: world.test is "+worldAddr, "nameserver "+slirpDNS, "resolve: stub.test is "+worldAddr,
		"listen: greeted "+worldAddr+":", "listen: greeted 10.0.2.2:")
	if n := strings.Count(r.Stdout, "connect: hello from"); n != 4 {
		t.Errorf("%d connections made, want 4:\n%s%s", n, r.Stdout, r.Stderr)
	}
	srv.Wait(t).Want(t, 0).Contains(t, "greeted "+hostOnWorld+":")
}
