package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"nslab/internal/cli"
)

// Rootless networking with slirp4netns (Debian package slirp4netns, the
// tool rootless Docker and Podman 4 use). Like pasta (pasta.go), it joins
// the container's namespaces as the user, makes a tap device there
// (eth0, 10.0.2.100/24, the gateway 10.0.2.2) and carries the container's
// traffic through sockets of its own on the host, with the user's rights.
// Its interface fits a runtime well: it says on one descriptor when eth0
// is ready, ends when another one closes — when the runtime ends, however
// it ends — and takes published ports at run time on a unix socket, as
// JSON requests.
//
// --disable-host-loopback keeps the gateway's address from leading to the
// host's 127.0.0.1.

// slirpDNS is where slirp4netns answers DNS itself, asking the host's
// name servers: it can reach those on the host's loopback.
const slirpDNS = "10.0.2.3"

// startSlirp starts slirp4netns for the container, waits until eth0 is
// up, then publishes the ports.
func (c *container) startSlirp() error {
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return err
	}
	defer readyR.Close()
	exitR, exitW, err := os.Pipe()
	if err != nil {
		readyW.Close()
		return err
	}
	socket := filepath.Join(c.dir, "slirp.sock")
	pid := c.cmd.Process.Pid
	args := []string{"--configure", "--mtu", "65520", "--disable-host-loopback", "--ready-fd", "3", "--exit-fd", "4",
		"--api-socket", socket, "--userns-path", fmt.Sprintf("/proc/%d/ns/user", pid),
		"--netns-type", "path", fmt.Sprintf("/proc/%d/ns/net", pid), "eth0"}
	c.log.Step("fork + execve(slirp4netns)", "slirp4netns "+strings.Join(args, " "))
	cmd := exec.Command("slirp4netns", args...)
	cmd.ExtraFiles = []*os.File{readyW, exitR}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	logPath := filepath.Join(c.dir, "slirp.log")
	if cmd.Stdout, err = os.Create(logPath); err != nil {
		readyW.Close()
		exitR.Close()
		exitW.Close()
		return err
	}
	cmd.Stderr = cmd.Stdout
	err = c.startHelper(cmd, exitW)
	cmd.Stdout.(*os.File).Close()
	readyW.Close()
	exitR.Close()
	if err != nil {
		return cli.Failf("slirp4netns: %w", err)
	}
	if err := waitReady(readyR); err != nil {
		return cli.Failf("slirp4netns did not set up the container's network (%v): %s", err, lastLine(logPath))
	}
	for _, p := range c.spec.Net.Ports {
		if err := slirpPublish(socket, p); err != nil {
			return err
		}
	}
	return nil
}

// waitReady reads the byte slirp4netns writes when eth0 is configured;
// end of file means it exited first.
func waitReady(r *os.File) error {
	_ = r.SetReadDeadline(time.Now().Add(helperReady))
	b := make([]byte, 1)
	_, err := r.Read(b)
	return err
}

// slirpPublish asks slirp4netns to listen on a host port and forward it to
// the container, as one JSON request on its API socket.
func slirpPublish(socket string, p port) error {
	conn, err := net.DialTimeout("unix", socket, helperReady)
	if err != nil {
		return cli.Failf("-p %s: slirp4netns API: %w", p, err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(helperReady))
	req := map[string]interface{}{"execute": "add_hostfwd", "arguments": map[string]interface{}{
		"proto": p.Proto, "host_addr": p.HostIP.String(), "host_port": p.HostPort, "guest_port": p.ContainerPort}}
	if err := json.NewEncoder(conn).Encode(req); err != nil {
		return cli.Failf("-p %s: slirp4netns API: %w", p, err)
	}
	_ = conn.(*net.UnixConn).CloseWrite()
	var reply struct {
		Error *struct{ Desc string }
	}
	if err := json.NewDecoder(bufio.NewReader(conn)).Decode(&reply); err != nil {
		return cli.Failf("-p %s: slirp4netns API: %w", p, err)
	}
	if reply.Error != nil {
		return cli.Failf("-p %s: slirp4netns: %s", p, reply.Error.Desc)
	}
	return nil
}
