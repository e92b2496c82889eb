package main

import (
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"nslab/internal/labtest"
)

// Tests of what goes out, and in, never send a packet off this machine.
// "The outside" is a network namespace that the test makes: the world,
// behind a veth from the host — the real host, or a namespace that plays
// it — holding 198.18.0.2, in 198.18.0.0/15, which RFC 2544 keeps for
// benchmarks and which no network routes. The host's end has 198.18.0.1.
// Before anything is sent, the host's route to the world is checked to go
// through that veth, and every attempt is bounded (nsprobe gives up after
// 3 s). Containers name the world's own name server, or none (noDNS).

const (
	worldAddr   = "198.18.0.2"
	hostOnWorld = "198.18.0.1" // the host's address on the world's link
)

var netCount atomic.Int32

// uniq makes a name unique to this test process.
func uniq(prefix string) string {
	return fmt.Sprintf("%s%d%d", prefix, os.Getpid()%10000, netCount.Add(1))
}

// world is the test's outside.
type world struct {
	name string // its ip netns name
	host string // "" for the real host, or the namespace that plays it
	link string // the host's end of the veth
}

// newWorld makes the world, joined to host ("" for the real one).
func newWorld(t *testing.T, host string) *world {
	t.Helper()
	w := &world{name: uniq("nslabw"), host: host, link: uniq("nsw")}
	addNetns(t, w.name)
	w.onHost(t, "ip", "link", "add", w.link, "type", "veth", "peer", "name", "eth0", "netns", w.name).Want(t, 0)
	w.onHost(t, "ip", "addr", "add", hostOnWorld+"/30", "dev", w.link).Want(t, 0)
	w.onHost(t, "ip", "link", "set", w.link, "up").Want(t, 0)
	for _, cmd := range [][]string{
		{"ip", "addr", "add", worldAddr + "/30", "dev", "eth0"},
		{"ip", "link", "set", "eth0", "up"},
		{"ip", "link", "set", "lo", "up"},
		{"ip", "route", "add", "default", "via", hostOnWorld},
	} {
		w.run(t, cmd...).Want(t, 0)
	}
	if host != "" {
		// A namespace playing the host has no other way out: the world is
		// its Internet, the way its default route goes.
		w.onHost(t, "ip", "route", "add", "default", "via", worldAddr).Want(t, 0)
	}
	if r := w.onHost(t, "ip", "route", "get", worldAddr); !strings.Contains(r.Stdout, "dev "+w.link+" ") {
		t.Fatalf("the host's route to the world does not go through %s:\n%s", w.link, r.Stdout)
	}
	return w
}

// onHost runs a command on the world's host.
func (w *world) onHost(t *testing.T, args ...string) labtest.Result {
	t.Helper()
	argv := inNet(w.host, args...)
	return labtest.Run(t, argv[0], argv[1:]...)
}

// run runs a command in the world.
func (w *world) run(t *testing.T, args ...string) labtest.Result {
	t.Helper()
	return labtest.Run(t, "ip", append([]string{"netns", "exec", w.name}, args...)...)
}

// start starts a command in the world, in the background.
func (w *world) start(t *testing.T, args ...string) *labtest.Running {
	t.Helper()
	return labtest.Start(t, "ip", append([]string{"netns", "exec", w.name}, args...)...)
}

// newFakeHost makes a network namespace that plays the host: links,
// nftables rules, forwarding and firewall of its own, so that a test can
// try a host with Docker's firewall, say, without touching the real one.
func newFakeHost(t *testing.T) string {
	t.Helper()
	h := uniq("nslabh")
	addNetns(t, h)
	labtest.Run(t, "ip", "-n", h, "link", "set", "lo", "up").Want(t, 0)
	return h
}

// inNet is the command line that runs args in the network namespace of
// host — as it is for the real host, "". nsenter enters the network
// namespace alone: ip netns exec would also mount a /sys of the
// namespace's, without the cgroup hierarchy the runtime needs.
func inNet(host string, args ...string) []string {
	if host == "" {
		return args
	}
	return append([]string{"nsenter", "--net=/run/netns/" + host}, args...)
}

// addNetns is ip netns add NAME, undone at the test's end — with the
// /run/netns mount that the first ip netns add on a machine makes.
func addNetns(t *testing.T, name string) {
	t.Helper()
	labtest.RestoreRunNetns(t)
	labtest.Run(t, "ip", "netns", "add", name).Want(t, 0)
	t.Cleanup(func() { labtest.Run(t, "ip", "netns", "del", name) })
}
