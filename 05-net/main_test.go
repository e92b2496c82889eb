package main

import (
	"bufio"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"nslab/05-net/netlink"
	"nslab/05-net/netns"
	"nslab/internal/labtest"
)

var bin string

func TestMain(m *testing.M) { os.Exit(labtest.Main(m, map[string]*string{".": &bin})) }

func TestWalkThrough(t *testing.T) {
	labtest.NeedRoot(t)
	labtest.NoTrace(t)
	r := labtest.Run(t, bin).Want(t, 0)
	r.Contains(t,
		"nsl-a links: lo DOWN",
		"nsl-a → 127.0.0.1:7000: connect: network is unreachable",
		`nsl-a → 127.0.0.1:7000 (nsl-a): connected, got "hello from nsl-a"`,
		`host → 10.55.0.2:7000 (nsl-a): connected, got "hello from nsl-a"`,
		`nsl-b → 10.55.0.4:7000 (nsl-c): connected, got "hello from nsl-c"`,
		`nsl-f → 10.55.0.5:7000 (nsl-d): connected, got "hello from nsl-d"`,
		"processes in nsl-a: 0",
		"the host's nsl-h0 is gone too",
	)
	r.Matches(t, `cleanup: removed the \d+ things the walk-through created`)
}

// paused starts 05-net --pause and returns it, with a function that
// presses Enter until the walk-through pauses after the given step.
func paused(t *testing.T, args ...string) (*labtest.Running, func(step int)) {
	t.Helper()
	run := labtest.Start(t, bin, append([]string{"--pause"}, args...)...)
	seen := 0
	return run, func(step int) {
		t.Helper()
		for seen < step {
			line, err := run.ReadLine()
			if err != nil {
				t.Fatalf("waiting for step %d: %v\n%s", step, err, run.Output())
			}
			if strings.Contains(line, "press Enter for the next step") {
				if seen++; seen < step {
					run.Enter()
				}
			}
		}
	}
}

// While the walk-through waits after step 5, the test itself opens a
// listener in nsl-e and connects from nsl-d, through the names in
// /run/netns: the bridge carries a connection the program did not make.
func TestBridgeCarriesTheTestsOwnConnection(t *testing.T) {
	labtest.NeedRoot(t)
	labtest.NoTrace(t)
	run, waitStep := paused(t, "--prefix", "tbr", "--subnet", "10.56.0.0/24")
	waitStep(5)
	d, err := netns.Open("/run/netns/tbr-d")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	e, err := netns.Open("/run/netns/tbr-e")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var ln net.Listener
	if err := e.Do(func() (err error) { ln, err = net.Listen("tcp", "10.56.0.6:7100"); return }); err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			io.WriteString(c, "from the test\n")
			c.Close()
		}
	}()
	var got string
	if err := d.Do(func() error {
		c, err := net.DialTimeout("tcp", "10.56.0.6:7100", 2*time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		got, err = bufio.NewReader(c).ReadString('\n')
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got != "from the test\n" {
		t.Errorf("got %q", got)
	}
	run.Close()
	run.Wait(t).Want(t, 0)
}

// Ctrl-C or kill in the middle of the walk-through: status 128+N, and the
// host is as it was.
func TestSignalInTheMiddleCleansUp(t *testing.T) {
	labtest.NeedRoot(t)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		func() {
			labtest.NoTrace(t)
			run, waitStep := paused(t)
			waitStep(3)
			run.Signal(sig)
			r := run.Wait(t).Want(t, 128+int(sig))
			r.Contains(t, "interrupted by", "removed everything the walk-through created")
		}()
	}
}

// A step that fails — here because a link with the name step 3 needs
// appeared after the checks — still removes everything made before it.
func TestFailedStepCleansUp(t *testing.T) {
	labtest.NeedRoot(t)
	labtest.NoTrace(t)
	host, err := netlink.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	run, waitStep := paused(t, "--prefix", "tfs", "--subnet", "10.57.0.0/24")
	waitStep(1)
	if err := host.AddVeth("tfs-h0", "tfs-h0p", -1); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if l, err := host.LinkByName("tfs-h0"); err == nil {
			host.DeleteLink(l)
		}
	}()
	run.Close()
	r := run.Wait(t).Want(t, 125)
	r.Contains(t, "05-net: step 3: add veth tfs-h0 peer eth0: file exists", "(everything created so far was removed)")
}

func TestBadInputCreatesNothing(t *testing.T) {
	labtest.NeedRoot(t)
	labtest.NoTrace(t)
	host, err := netlink.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	// A link and a route that are in the way.
	if err := host.AddVeth("tbi-br0", "tbi-peer", -1); err != nil {
		t.Fatal(err)
	}
	l, _ := host.LinkByName("tbi-br0")
	defer host.DeleteLink(l)
	if err := host.AddAddr(l, netip.MustParsePrefix("10.77.0.1/24")); err != nil {
		t.Fatal(err)
	}
	if err := host.SetUp(l, true); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--subnet", "10.55.0.0/33"}, `--subnet "10.55.0.0/33": not a CIDR`},
		{[]string{"--subnet", "banana"}, `--subnet "banana": not a CIDR`},
		{[]string{"--subnet", "10.55.0.0/29"}, "has 6 host addresses; the walk-through needs 7"},
		{[]string{"--host-ip", "10.99.0.1"}, "--host-ip 10.99.0.1 is not a host address of --subnet 10.55.0.0/24"},
		{[]string{"--host-ip", "10.55.0.255"}, "is not a host address"},
		{[]string{"--prefix", "averylongname"}, `interface name "averylongname-h0" is 16 bytes; the kernel takes at most 15 (IFNAMSIZ)`},
		{[]string{"--prefix", "tbi"}, "link tbi-br0 already exists"},
		{[]string{"--subnet", "10.77.0.0/25"}, "--subnet 10.77.0.0/25 overlaps the host's route to 10.77.0.0/24"},
		{[]string{"--port", "0"}, "--port 0: want 1 to 65535"},
		{[]string{"--", "sh"}, "no command is run in this chapter"},
	} {
		r := labtest.Run(t, bin, append([]string{"-v"}, c.args...)...).Want(t, 125)
		r.Contains(t, "05-net: ", c.want)
		if strings.Contains(r.Output(), "RTM_NEWLINK") || strings.Contains(r.Output(), "step 1") {
			t.Errorf("%v: something was created before the check:\n%s", c.args, r.Output())
		}
	}
	// A namespace name that is taken.
	ns, err := netns.New()
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	created, err := ns.Pin("tbn-c")
	if err != nil {
		t.Fatal(err)
	}
	defer netns.Unpin("tbn-c", created)
	labtest.Run(t, bin, "--prefix", "tbn").Want(t, 125).Contains(t, "namespace tbn-c already exists in /run/netns")
}

func TestUnprivilegedAndCheck(t *testing.T) {
	labtest.NeedRoot(t)
	labtest.RunAs(t, labtest.Nobody, bin).Want(t, 125).Contains(t, "05-net: creating network namespaces needs root")
	labtest.Run(t, bin, "--check").Want(t, 0).Contains(t, "ok    unshare(CLONE_NEWNET) works here")
	labtest.Run(t, bin, "-v").Want(t, 0).Contains(t,
		"$ ip netns add nsl-a", "$ ip -n nsl-a link set lo up",
		"$ ip link add nsl-h0 type veth peer name eth0 netns nsl-a",
		"$ ip -n nsl-b link add eth0 type veth peer name eth0 netns nsl-c",
		"$ ip link set nsl-d0 master nsl-br0", "$ ip netns del nsl-a")
}

// Every flag with a bad value, as root and as nobody: one line, status
// 125, nothing created.
func TestBadInput(t *testing.T) {
	labtest.Refused(t, bin, []labtest.Refusal{
		{Args: []string{"--subnet", "banana"}, Status: 125},
		{Args: []string{"--subnet", "fd00::/64"}, Status: 125},
		{Args: []string{"--subnet", "10.55.0.0/30"}, Status: 125},
		{Args: []string{"--host-ip", "banana"}, Status: 125},
		{Args: []string{"--host-ip", "10.55.0.0"}, Status: 125},
		{Args: []string{"--prefix", ""}, Status: 125},
		{Args: []string{"--prefix", "-x"}, Status: 125},
		{Args: []string{"--prefix", "a/b"}, Status: 125},
		{Args: []string{"--prefix", strings.Repeat("p", 20)}, Status: 125},
		{Args: []string{"--port", "-1"}, Status: 125},
		{Args: []string{"--port", "65536"}, Status: 125},
		{Args: []string{"--pause=often"}, Status: 125},
		{Args: []string{"extra"}, Status: 125},
	})
}
