package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"nslab/internal/labtest"
)

// gatewayMAC is the script that prints the Ethernet address the
// container's ARP cache holds for the gateway, after a ping fills it.
const gatewayMAC = `ping -c1 -W1 10.99.0.1 >/dev/null; awk '$1=="10.99.0.1" {print $4}' /proc/net/arp`

// What a container may reach on the host: its ping of the gateway, and
// nothing that listens there — not by the gateway's address, not by the
// host's other addresses, not in a frame built by hand past the routing
// table. Confined, not even the ping. With the host's rules flushed, the
// hand-built frame does reach the service: the rules are what stops it.
func TestHostServicesWalledOff(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	newWorld(t, "") // the host's second address, 198.18.0.1
	tcp := labtest.Start(t, probe, "listen", "0.0.0.0:9000")
	waitFor(t, tcp, "listening")
	udp := labtest.Start(t, probe, "udp-listen", "0.0.0.0:9001")
	waitFor(t, udp, "listening")

	script := `mac=$(` + gatewayMAC + `); [ -n "$mac" ] && echo "ping: ok"
nsprobe connect 10.99.0.1:9000
nsprobe connect ` + hostOnWorld + `:9000
nsprobe frame eth0 "$mac" 10.99.0.41 10.99.0.1:9001 raw-to-host
nsprobe udp-ask 10.99.0.1:9001 asked-host`
	runC(t, noDNS, "--ip", "10.99.0.41", "--", "sh", "-c", script).Contains(t, "ping: ok",
		"connect: refused: dial tcp 10.99.0.1:9000: connect: no route to host",
		"connect: refused: dial tcp "+hostOnWorld+":9000: connect: no route to host",
		"frame: sent", "udp-ask: refused")
	confined := runC(t, noDNS, "--confine-net", "--", "sh", "-c", "ping -c1 -W1 10.99.0.1 >/dev/null || echo 'ping: refused'; nsprobe connect 10.99.0.1:9000")
	confined.Contains(t, "ping: refused", "connect: refused")

	down := labtest.Start(t, bin, args(t, noDNS, "--ip", "10.99.0.43", "--", "sh", "-c",
		`mac=$(`+gatewayMAC+`); echo ready; read x; nsprobe frame eth0 "$mac" 10.99.0.43 10.99.0.1:9001 rules-flushed`)...)
	waitFor(t, down, "ready")
	labtest.Run(t, "nft", "flush", "chain", "ip", "nslab", "input").Want(t, 0)
	down.Enter()
	down.Wait(t).Want(t, 0)
	out := udp.Wait(t).Want(t, 0).Output()
	if !strings.Contains(out, "says rules-flushed") || strings.Contains(out, "raw-to-host") || strings.Contains(out, "asked-host") {
		t.Errorf("the host's UDP service heard:\n%s", out)
	}
	tcp.Signal(syscall.SIGTERM)
	if out := tcp.Wait(t).Output(); strings.Contains(out, "greeted") {
		t.Errorf("the host's TCP service served a container:\n%s", out)
	}
}

// A container with CAP_NET_RAW forges ARP replies to put itself between a
// neighbour and the gateway, and sends a datagram in the gateway's name.
// The bridge's walls drop both: the neighbour still knows the gateway by
// its own address, and hears nothing. With the attacker's walls flushed,
// both attacks work — the walls are what stops them.
func TestAttackSpoofNeighbours(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	victim, vid := startWaiting(t, "--hostname", "victim", "--ip", "10.99.0.51")
	attacker, aid := startWaiting(t, "--hostname", "attacker", "--ip", "10.99.0.52")
	exec := func(id, script string) string {
		return runC(t, "exec", id, "--", "sh", "-c", script).Want(t, 0).Stdout
	}
	macs := labtest.Lines(exec(vid, gatewayMAC+"; cat /sys/class/net/eth0/address"))
	amac := strings.TrimSpace(exec(aid, "cat /sys/class/net/eth0/address"))
	if len(macs) != 2 || macs[0] == "" {
		t.Fatalf("victim's gateway and own address: %q", macs)
	}
	gw, vmac := macs[0], macs[1]
	exec(vid, "nsprobe udp-listen 0.0.0.0:5000 > /tmp/heard 2>&1 < /dev/null &")
	// The forged answers go on for a few seconds, in the background; the
	// victim's table is read meanwhile.
	attack := func(tag string) string {
		exec(aid, fmt.Sprintf("nsprobe arp-reply eth0 10.99.0.1 10.99.0.51 %s > /dev/null 2>&1 & echo $! > /tmp/forging; sleep 0.5; nsprobe frame eth0 %s 10.99.0.1 10.99.0.51:5000 %s", vmac, vmac, tag))
		heard := exec(vid, `sleep 0.3; awk '$1=="10.99.0.1" {print $4}' /proc/net/arp; cat /tmp/heard`)
		exec(aid, "while kill -0 $(cat /tmp/forging) 2> /dev/null; do sleep 0.2; done")
		return heard
	}
	walled := attack("through-the-walls")
	if !strings.HasPrefix(walled, gw+"\n") || strings.Contains(walled, "says") {
		t.Errorf("with the walls: the victim holds\n%s(the gateway is %s)", walled, gw)
	}
	labtest.Run(t, "nft", "flush", "chain", "bridge", "nslab", "port-"+aid).Want(t, 0)
	open := attack("walls-flushed")
	if !strings.HasPrefix(open, amac+"\n") || !strings.Contains(open, "10.99.0.1:40000 says walls-flushed") {
		t.Errorf("without the walls the attack should work; the victim holds\n%s(the attacker is %s)", open, amac)
	}
	victim.Close()
	attacker.Close()
	victim.Wait(t).Want(t, 0)
	attacker.Wait(t).Want(t, 0)
}

// A network namespace outlives its processes while a socket of it still
// has data to send: here, to a world that never reads. Stopped, the
// runtime deletes the container's veth at once. Killed, it cannot — the
// veth stays, a port of the bridge answering for the address — until the
// next runtime's sweep deletes it, before its address is leased again.
func TestVethGoesWithContainer(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	w := newWorld(t, "")
	for _, kill := range []bool{false, true} {
		stall := w.start(t, probe, "stall", worldAddr+":7100")
		waitFor(t, stall, "listening")
		c := labtest.Start(t, bin, args(t, noDNS, "--ip", "10.99.0.61", "--", "nsprobe", "source", worldAddr+":7100", "60")...)
		waitFor(t, stall, "holding")
		labtest.Sleep(300) // the socket's buffers fill
		if kill {
			c.Signal(syscall.SIGKILL)
		} else {
			c.Signal(syscall.SIGTERM)
		}
		c.Wait(t)
		if kill {
			waitUntil(t, "the container's processes to die", func() bool { return len(processes(t, "nsprobe\x00source\x00"+worldAddr+":7100\x0060\x00")) == 0 })
			labtest.Sleep(500)
		}
		veths, _ := filepath.Glob("/sys/class/net/" + vethPrefix + "*")
		if kill != (len(veths) == 1) {
			t.Errorf("killed %v: veths left %v", kill, veths)
		}
		runC(t, noDNS, "--ip", "10.99.0.61", "--", "nsprobe", "connect", worldAddr+":7100").Want(t, 1) // the stall serves one
		if veths, _ := filepath.Glob("/sys/class/net/" + vethPrefix + "*"); len(veths) != 0 {
			t.Errorf("killed %v: after the next container, veths left %v", kill, veths)
		}
		stall.Signal(syscall.SIGKILL)
		stall.Wait(t)
	}
}

// After a runtime is killed, its rules and the forwarding it turned on
// stay; --cleanup removes the rules and restores forwarding.
func TestNetworkCleanupAfterKill(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	before, _ := os.ReadFile("/proc/sys/net/ipv4/ip_forward")
	c := labtest.Start(t, bin, args(t, noDNS, "-p", "8090:80", "--", "sh", "-c", "echo ready; exec sleep 987002")...)
	waitFor(t, c, "ready")
	c.Signal(syscall.SIGKILL)
	c.Wait(t)
	waitUntil(t, "the container to die", func() bool { return len(processes(t, "sleep\x00987002\x00")) == 0 })
	if r := labtest.Run(t, "nft", "list", "tables").Want(t, 0); !strings.Contains(r.Stdout, "table ip nslab") {
		t.Errorf("the killed runtime's rules are gone already:\n%s", r.Stdout)
	}
	labtest.Run(t, bin, "--cleanup").Want(t, 0)
	if r := labtest.Run(t, "nft", "list", "tables").Want(t, 0); strings.Contains(r.Stdout, "nslab") {
		t.Errorf("after --cleanup:\n%s", r.Stdout)
	}
	if after, _ := os.ReadFile("/proc/sys/net/ipv4/ip_forward"); string(after) != string(before) {
		t.Errorf("ip_forward %q after --cleanup, %q before", after, before)
	}
}
