package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"nslab/01-uts/reexec"
	"nslab/05-net/netlink"
	"nslab/internal/cli"
	"nslab/internal/explain"
	"nslab/internal/nsinfo"
)

// container is the runtime's view of one container: what it was asked
// for, and what it created on the host, so that remove can undo it.
type container struct {
	spec  *spec
	flags flags
	log   *explain.Log

	host       *netlink.Conn // bridge mode: the host's netlink socket
	bridge     netlink.Link
	veth       string       // the host end of its veth pair, once made
	ports      []*published // the host ports it publishes, held from the start
	helper     *exec.Cmd    // rootless: pasta or slirp4netns, its network
	helperDone chan error   // the helper's exit
	helperExit *os.File     // slirp4netns ends when this closes
	dir        string       // the container's state directory
	layer      string       // as root, the tmpfs mounted there for the overlay's upper layer
	lease      string       // the lease file of its address
	cgroup     string       // its cgroup, as root
	bornIn     bool         // whether the init was born in its cgroup (CLONE_INTO_CGROUP)
	streams    *streams
	cmd        *exec.Cmd
	specOut    *os.File     // the runtime's end of the spec pipe
	lifeline   *os.File     // held open while the runtime lives
	marks      *marks       // --timings: the runtime's notes
	timingsIn  *os.File     // --timings: where pid1 sends its notes and the init's
	child      childTimings // those notes, once the container has ended
}

// cloneFlags are the namespaces the init is born in: all but time, user
// (which rootless adds) and cgroup, which the init creates itself once it
// is in its cgroup — born there (cgroup_born.go) or moved (connect).
const cloneFlags = unix.CLONE_NEWUTS | unix.CLONE_NEWNS | unix.CLONE_NEWPID |
	unix.CLONE_NEWIPC | unix.CLONE_NEWNET

// prepare makes the container's state directory and cgroup and, in bridge
// mode, finds or creates the bridge and leases an address. It holds a lock
// on the state directory throughout: two runtimes starting together
// neither create the bridge twice nor take the same address, and neither
// mistakes the other's half-made state for a dead runtime's leftovers,
// which it sweeps first.
func (c *container) prepare() error {
	root, err := stateRoot(c.spec.Rootless)
	if err != nil {
		return err
	}
	unlock, err := lockDir(root)
	if err != nil {
		return cli.Failf("state directory %s: %w", root, err)
	}
	defer unlock()
	sweep(root, c.spec.Rootless)
	c.marks.note("runtime", "lock the state directory, sweep stale state")
	addr := netip.Addr{}
	if c.spec.Net.Mode == "bridge" {
		if err := c.checkHostFirewall(); err != nil {
			return err
		}
		if addr, err = c.leaseAddress(root); err != nil {
			return err
		}
		c.marks.note("runtime", "the host's firewall, the bridge, an address")
	}
	if c.dir, err = makeContainerDir(root, c.spec.ID); err != nil {
		return err
	}
	c.spec.StateDir, c.spec.Etc = c.dir, etcContents(c.spec, addr)
	if err := c.prepareLayer(); err != nil {
		return err
	}
	c.marks.note("runtime", "the container's directory, its writable layer")
	if !c.spec.Rootless {
		if c.cgroup, err = makeCgroup(c.spec.ID, c.log); err != nil {
			return err
		}
		if err := limitCgroup(c.spec.Limits, c.cgroup, c.log); err != nil {
			return err
		}
		c.marks.note("runtime", "its cgroup and limits")
	}
	return nil
}

// prepareLayer makes the place of the overlay's upper layer: as root a
// tmpfs on the host, which the init will find in its copy of the mount
// table; rootless an empty directory, where the init mounts its own.
func (c *container) prepareLayer() error {
	if c.spec.RootMode != "overlay" {
		return nil
	}
	if c.spec.Rootless {
		c.spec.Layer = filepath.Join(c.dir, "layer")
		return os.Mkdir(c.spec.Layer, 0o700)
	}
	layer, err := mountLayer(c.dir, c.spec.LayerSize, c.log)
	c.layer, c.spec.Layer = layer, layer
	return err
}

// leaseAddress opens the host's netlink socket, checks the subnet, makes
// sure the bridge is there and takes an address. The caller holds the
// state directory's lock.
func (c *container) leaseAddress(root string) (netip.Addr, error) {
	host, err := netlink.Dial()
	if err != nil {
		return netip.Addr{}, err
	}
	c.host = host
	subnet, want, err := checkSubnet(host, c.flags.bridge, c.flags.subnet, c.flags.ip)
	if err != nil {
		return netip.Addr{}, err
	}
	if c.bridge, err = ensureBridge(host, c.flags.bridge, subnet, c.log); err != nil {
		return netip.Addr{}, err
	}
	dir := leaseDir(root, c.flags.bridge)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return netip.Addr{}, cli.Failf("lease directory: %w", err)
	}
	addr, err := takeLease(dir, subnet, gateway(subnet), want, c.spec.ID)
	if err != nil {
		return addr, err
	}
	c.lease = filepath.Join(dir, addr.String())
	c.spec.Net.Addr = netip.PrefixFrom(addr, subnet.Bits())
	c.spec.Net.Gateway = gateway(subnet)
	return addr, nil
}

// start runs this binary again as the container's init, in new
// namespaces. It gets two pipes: fd 3, on which the spec will arrive when
// the runtime has finished its part, and fd 4, which the runtime never
// writes: its end closes only when the runtime dies. Its standard streams
// and fds 5 and 6 come from stdio.go: /dev/null for its stdin, and nothing
// that is the host's terminal.
//
// The parent-death signal (SIGKILL) is sent when the thread that started
// the child ends, not the process. Go ends a thread only when a goroutine
// locked to it returns, which the runtime never does; and should that
// change, the lifeline still ends the container with the process.
func (c *container) start() error {
	specIn, specOut, err := os.Pipe()
	if err != nil {
		return err
	}
	lifeIn, lifeOut, err := os.Pipe()
	if err != nil {
		return err
	}
	defer specIn.Close()
	defer lifeIn.Close()
	c.specOut, c.lifeline = specOut, lifeOut

	flags := uintptr(cloneFlags)
	if c.spec.Rootless {
		flags |= unix.CLONE_NEWUSER
	}
	var args []string
	if c.spec.Verbose {
		args = append(args, "-v")
	}
	files := append([]*os.File{specIn, lifeIn}, c.streams.initFiles()...)
	if c.spec.Timings {
		timingsIn, timingsOut, err := os.Pipe()
		if err != nil {
			return err
		}
		defer timingsOut.Close() // the init has its copy once started
		c.timingsIn = timingsIn
		files = append(files, timingsOut)
	}
	var cgroupDir *os.File
	if c.cgroup != "" {
		if cgroupDir, err = os.Open(c.cgroup); err != nil {
			return err
		}
		defer cgroupDir.Close()
	}
	markCloexec()
	c.cmd = c.initCommand(flags, args, files)
	clone := fmt.Sprintf("clone(%s)", nsinfo.FlagNames(flags))
	if cgroupDir != nil && bornIn(c.cmd.SysProcAttr, cgroupDir) {
		c.bornIn = true
		clone = fmt.Sprintf("clone3(%s|CLONE_INTO_CGROUP, cgroup=%s)", nsinfo.FlagNames(flags), c.cgroup)
	}
	c.log.Step(clone+` + execve("/proc/self/exe")`,
		"unshare --uts --mount --pid --fork --ipc --net"+map[bool]string{true: " --user", false: ""}[c.spec.Rootless]+" "+prog+" init")
	err = c.cmd.Start()
	if c.bornIn && errors.Is(err, unix.ENOSYS) {
		// clone3 refused, by a seccomp filter around this runtime: clone,
		// then move the init (connect does).
		c.log.Note("clone3 refused (ENOSYS): clone instead, then move the init into its cgroup")
		c.bornIn = false
		c.cmd = c.initCommand(flags, args, files)
		err = c.cmd.Start()
	}
	if err != nil {
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.ENOSPC) {
			return cli.Failf("clone(%s): %w — run as root, or see %s --check", nsinfo.FlagNames(flags), err, prog)
		}
		return cli.Failf("starting the init: %w", err)
	}
	c.streams.started()
	c.marks.note("runtime", "clone + execve of the init, as the runtime sees it")
	return nil
}

// initCommand is the init's command line: this binary again, in new
// namespaces, killed if the runtime's thread ends first, with the given
// descriptors from fd 3 on.
func (c *container) initCommand(flags uintptr, args []string, files []*os.File) *exec.Cmd {
	cmd := reexec.Command("init", args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: flags, Pdeathsig: syscall.SIGKILL}
	if c.spec.Rootless {
		keepCapabilities(cmd.SysProcAttr)
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = c.streams.devNull, c.streams.initOut, c.streams.initErr
	cmd.ExtraFiles = files
	return cmd
}

// connect does from outside what the init cannot do for itself: its
// cgroup (unless it was born there), the uid and gid maps of a rootless
// container, and the veth pair of a bridged one. Then it sends the spec,
// which lets the init go on.
func (c *container) connect() error {
	pid := c.cmd.Process.Pid
	if c.cgroup != "" && !c.bornIn {
		if err := joinCgroup(c.cgroup, pid, c.log); err != nil {
			return err
		}
	}
	if c.spec.Rootless {
		if err := mapToRoot(pid, c.log); err != nil {
			return err
		}
	}
	c.marks.note("runtime", "the init into its cgroup, or its uid and gid maps")
	switch c.spec.Net.Mode {
	case "bridge":
		if err := c.plug(pid); err != nil {
			return err
		}
	case "pasta":
		if err := c.startPasta(); err != nil {
			return err
		}
	case "slirp4netns":
		if err := c.startSlirp(); err != nil {
			return err
		}
	}
	c.marks.note("runtime", "its network: veth pair and rules, or the rootless helper")
	c.log.Step("write(spec pipe, JSON)", "")
	err := json.NewEncoder(c.specOut).Encode(c.spec)
	c.specOut.Close()
	if err != nil {
		return cli.Failf("sending the spec to the init: %w", err)
	}
	// No note here: the init may read the spec and move on before the
	// runtime is scheduled again; its "wait for the spec" ends the row.
	return nil
}

// receiveTimings reads the notes pid1 sent, with the init's, once the
// container has ended: pid1 wrote them as it exited.
func (c *container) receiveTimings() childTimings {
	if c.timingsIn == nil {
		return childTimings{}
	}
	defer c.timingsIn.Close()
	return receiveTimings(c.timingsIn)
}

// wait waits for the init, passing on the signals a user sends (caught
// since before the set-up, on sigs). SIGTERM and SIGHUP mean "stop the
// container": they are passed on too, and if the container has not exited
// after --stop-timeout seconds, it is killed.
func (c *container) wait(sigs chan os.Signal) (int, error) {
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	var deadline <-chan time.Time
	for {
		select {
		case sig := <-sigs:
			if sig == syscall.SIGWINCH && c.spec.TTY {
				c.streams.resize() // the container's terminal tells its programs
				continue
			}
			_ = c.cmd.Process.Signal(sig)
			if (sig == syscall.SIGTERM || sig == syscall.SIGHUP) && deadline == nil {
				deadline = time.After(time.Duration(c.flags.stopTimeout) * time.Second)
			}
		case <-deadline:
			c.log.Step("kill(init, SIGKILL) — the stop timeout passed", "")
			_ = c.cmd.Process.Kill()
		case err := <-done:
			return cli.StatusOf(err)
		}
	}
}

// describeNet says where the container is on the network.
func (c *container) describeNet() string {
	switch c.spec.Net.Mode {
	case "bridge":
		return fmt.Sprintf("eth0 %s on bridge %s", c.spec.Net.Addr, c.bridge.Name)
	case "pasta", "slirp4netns":
		return "eth0 through " + c.spec.Net.Mode
	}
	if c.spec.Rootless && c.flags.net == "" {
		return "only lo (apt-get install slirp4netns for a network)"
	}
	return "only lo (--net=none)"
}

// kill ends a container whose set-up failed on the runtime's side.
func (c *container) kill() {
	if c.cmd != nil && c.cmd.Process != nil {
		_ = c.cmd.Process.Kill()
		_ = c.cmd.Wait() // killed on purpose: its status says nothing
	}
}

// remove undoes what prepare and connect made: the network first — the
// host end of the veth pair, the container's rules — and its address
// only once no interface can answer for it any more.
func (c *container) remove() error {
	closePorts(c.ports)
	c.ports = nil
	c.stopHelper()
	if c.lease == "" && c.dir == "" && c.cgroup == "" {
		return nil
	}
	root, err := stateRoot(c.spec.Rootless)
	if err != nil {
		return err
	}
	var errs []error
	// Without the lock, go on: leaving the files behind would be worse.
	if unlock, err := lockDir(root); err == nil {
		defer unlock()
	} else {
		errs = append(errs, err)
	}
	if c.lease != "" {
		err := c.unplug()
		if err == nil {
			err = os.Remove(c.lease)
		}
		errs = append(errs, err)
		c.lease = ""
	}
	if c.layer != "" {
		errs = append(errs, unmountLayer(c.layer))
		c.layer = ""
	}
	if c.dir != "" {
		errs = append(errs, removeContainerDir(c.dir))
		c.dir = ""
	}
	if c.cgroup != "" {
		errs = append(errs, removeCgroup(c.cgroup), tidyCgroups())
		c.cgroup = ""
	}
	if c.host != nil {
		errs = append(errs, c.host.Close())
		c.host = nil
	}
	errs = append(errs, tidy(root, c.flags.bridge))
	return firstError(errs)
}

// firstError returns the first error that is not nil; the others are
// printed, so that none is dropped.
func firstError(errs []error) error {
	var first error
	for _, err := range errs {
		switch {
		case err == nil:
		case first == nil:
			first = err
		default:
			cli.Warnf("cleanup: %v", err)
		}
	}
	return first
}

// markCloexec marks every descriptor from 3 up close-on-exec, so none
// that this process inherited reaches the container (close_range(2),
// Linux 5.11; /proc/self/fd on older kernels).
func markCloexec() {
	if err := unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err == nil {
		return
	}
	entries, _ := os.ReadDir("/proc/self/fd")
	for _, e := range entries {
		var fd int
		if _, err := fmt.Sscan(e.Name(), &fd); err == nil && fd > 2 {
			unix.CloseOnExec(fd)
		}
	}
}
