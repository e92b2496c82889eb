package main

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"nslab/internal/cli"
)

// Rootless networking, with pasta (Debian package passt, the tool Podman
// uses). A user may not add links to the host, so no veth pair can join a
// rootless container to a bridge. pasta, run as that user, joins the
// container's user and network namespaces, makes a tap device there
// (eth0) with the host's own address and routes, and carries what the
// container sends through ordinary sockets of its own on the host: a
// connection from the container is a connection from pasta, with the
// user's rights and no more. -p becomes pasta's -t and -u: pasta listens
// on the host's port and connects to the container's.
//
// Two of pasta's defaults would open the host to the container, so they
// are turned off: the gateway's address as a way to the host's loopback
// (--no-map-gw), and the container's connections to its own loopback
// ports passed on to the host's (-T none -U none).

// dnsForward is the address at which pasta answers DNS for a host whose
// name servers are on its loopback: pasta, on the host, can reach them.
const dnsForward = "169.254.1.1"

// checkTun refuses early when pasta could not open /dev/net/tun: most
// distributions make it 0666; a minimal machine may not.
func checkTun() error {
	if err := unix.Access("/dev/net/tun", unix.R_OK|unix.W_OK); err != nil {
		return cli.Failf("slirp4netns and pasta need /dev/net/tun, which you cannot open (%v) — as root: chmod 0666 /dev/net/tun, as most distributions have it; or --net=none", err)
	}
	return nil
}

// pastaArgs is pasta's command line for the container's init, pid.
func pastaArgs(pid int, n netSpec, dir string) []string {
	args := []string{"--foreground", "--quiet", "--ipv4-only", "--config-net", "--ns-ifname", "eth0",
		"--no-map-gw", "--tcp-ns", "none", "--udp-ns", "none",
		"--pid", filepath.Join(dir, "pasta.pid"), "--log-file", filepath.Join(dir, "pasta.log")}
	args = append(args, pastaPorts(n.Ports)...)
	if helperDNS(n).IsValid() {
		args = append(args, "--dns-forward", dnsForward)
	}
	return append(args, "--userns", fmt.Sprintf("/proc/%d/ns/user", pid), "--netns", fmt.Sprintf("/proc/%d/ns/net", pid))
}

// pastaPorts writes the -p mappings as pasta's options, one per port:
// --tcp-ports [ADDRESS/]HOSTPORT:CONTAINERPORT, or "none" for no port.
func pastaPorts(ports []port) []string {
	opts := map[string][]string{}
	for _, p := range ports {
		spec := fmt.Sprintf("%d:%d", p.HostPort, p.ContainerPort)
		if !p.HostIP.IsUnspecified() {
			spec = p.HostIP.String() + "/" + spec
		}
		opts[p.Proto] = append(opts[p.Proto], spec)
	}
	var args []string
	for _, proto := range []string{"tcp", "udp"} {
		if len(opts[proto]) == 0 {
			opts[proto] = []string{"none"}
		}
		for _, spec := range opts[proto] {
			args = append(args, "--"+proto+"-ports", spec)
		}
	}
	return args
}

// helperDNS is where a rootless container asks names when the host's
// name servers are all on its loopback and no --dns was given: the
// helper answers there, and asks them. Invalid when it does not.
func helperDNS(n netSpec) netip.Addr {
	if n.DNSGiven || len(n.DNS.Servers) > 0 {
		return netip.Addr{}
	}
	switch n.Mode {
	case "pasta":
		return netip.MustParseAddr(dnsForward)
	case "slirp4netns":
		return netip.MustParseAddr(slirpDNS)
	}
	return netip.Addr{}
}

// startPasta starts pasta for the container and waits until it has set
// eth0 up: it writes its pid file then.
func (c *container) startPasta() error {
	pid := c.cmd.Process.Pid
	args := pastaArgs(pid, c.spec.Net, c.dir)
	c.log.Step("fork + execve(pasta)", "pasta "+strings.Join(args, " "))
	cmd := exec.Command("pasta", args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := c.startHelper(cmd, nil); err != nil {
		return cli.Failf("pasta: %w", err)
	}
	logPath := filepath.Join(c.dir, "pasta.log")
	deadline := time.Now().Add(helperReady)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(filepath.Join(c.dir, "pasta.pid")); err == nil && len(b) > 0 {
			return nil
		}
		select {
		case err := <-c.helperDone:
			c.helper = nil
			return cli.Failf("pasta exited (%v): %s", err, lastLine(logPath))
		case <-time.After(10 * time.Millisecond):
		}
	}
	return cli.Failf("pasta did not set up the container's network in %v: %s", helperReady, lastLine(logPath))
}

// helperReady bounds the wait for pasta or slirp4netns to configure the
// namespace, and for slirp4netns's answers.
const helperReady = 10 * time.Second

// startHelper starts pasta or slirp4netns. It dies with the runtime
// (Pdeathsig: a killed runtime leaves none behind); exit, if not nil, is
// the descriptor whose closing tells it to end.
func (c *container) startHelper(cmd *exec.Cmd, exit *os.File) error {
	if err := cmd.Start(); err != nil {
		if exit != nil {
			exit.Close()
		}
		return err
	}
	c.helper, c.helperExit = cmd, exit
	c.helperDone = make(chan error, 1)
	go func() { c.helperDone <- cmd.Wait() }()
	return nil
}

// stopHelper ends pasta or slirp4netns once the container has: closing
// slirp4netns's exit descriptor asks it to end, and SIGKILL makes sure.
func (c *container) stopHelper() {
	if c.helper == nil {
		return
	}
	if c.helperExit != nil {
		c.helperExit.Close()
	}
	select {
	case <-c.helperDone:
	case <-time.After(time.Second):
		_ = c.helper.Process.Kill()
		<-c.helperDone
	}
	c.helper = nil
}

// lastLine is the last line of pasta's log, for an error message,
// without its time stamp ("0.9707: ERROR:   ").
func lastLine(path string) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	last := lines[len(lines)-1]
	if _, rest, ok := strings.Cut(last, ": "); ok {
		last = strings.TrimSpace(rest)
	}
	return last
}
