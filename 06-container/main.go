// Command 06-container runs a command in a container rooted in a
// directory: chapter 06 of nslab, where chapters 01–05 come together.
//
// The runtime (this process, on the host) checks everything, leases an
// address, and starts its own binary again as the container's init, in
// new UTS, mount, PID, IPC, network and cgroup namespaces (and a user
// namespace when rootless). While the init waits on a pipe, the runtime
// writes the uid maps (rootless) or plugs a veth pair into the bridge. Then
// it sends the init its spec; the init sets the hostname, configures its
// network from inside, builds the root filesystem with pivot_root, and
// runs the command under the init of chapter 04. When the init exits, the
// runtime removes what it made and exits with the command's status.
//
// main.go is that sequence; each concern has its own file beside it.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"nslab/01-uts/reexec"
	"nslab/internal/cli"
	"nslab/internal/doctor"
	"nslab/internal/explain"
)

const prog = "06-container"

const summary = `Chapter 06, a container: COMMAND (default /bin/sh) runs in a root filesystem
with its own hostname, mounts, PIDs, IPC, network and cgroup namespaces.

Subcommands, before any --:
  run [flags] [--] COMMAND    the same as without "run"
  exec [-t] [-i] [-e K=V] [-w DIR] ID [--] COMMAND
                              run a command in a running container (docs: "Joining a container")
  ps [-q]                     list the running containers (-q: their ids only)
  stop [--stop-timeout N] ID  SIGTERM, then SIGKILL after N seconds (default 10)
A command that happens to be called run, exec, ps or stop goes after --.`

func main() {
	goStart, started := cpuBeforeMain(), monotonic()
	p := cli.New(prog, prog+" [flags] [--] [COMMAND [ARG...]]  |  "+prog+" exec|ps|stop ...", summary)
	var f flags
	p.Flags.StringVar(&f.rootfs, "rootfs", "rootfs", "root filesystem directory (make rootfs builds ./rootfs), the read-only lower layer")
	p.Flags.BoolVar(&f.rootfsRW, "rootfs-rw", false, "write to the rootfs directory itself instead of a layer of the container's own")
	p.Flags.BoolVar(&f.readOnly, "read-only", false, "the root read-only, with a tmpfs on /tmp and /run")
	p.Flags.StringVar(&f.layerSize, "layer-size", "256m", "the size of the container's writable layer (a tmpfs)")
	p.Flags.StringVar(&f.memory, "memory", "", "limit the container's memory, e.g. 32m or 1g (cgroup v2 memory.max, no swap)")
	p.Flags.IntVar(&f.pids, "pids", 0, "limit the container's tasks, processes and threads (cgroup v2 pids.max)")
	p.Flags.Float64Var(&f.cpus, "cpus", 0, "limit the container's CPU time, in CPUs, e.g. 0.5 (cgroup v2 cpu.max)")
	p.Flags.StringArrayVar(&f.volumes, "volume", nil, "bind a host path into the container, HOST:CONTAINER[:ro] (repeatable; docker's -v, but -v is explain mode here)")
	p.Flags.StringVar(&f.hostname, "hostname", "", "hostname inside (default: the container id)")
	p.Flags.StringArrayVarP(&f.env, "env", "e", nil, "set an environment variable, KEY=VALUE (or KEY: the host's value)")
	p.Flags.StringVarP(&f.workdir, "workdir", "w", "/", "working directory inside")
	p.Flags.BoolVarP(&f.tty, "tty", "t", isTerminal(0), "give the command a terminal of the container's own (default: when stdin is a terminal)")
	p.Flags.BoolVarP(&f.interactive, "interactive", "i", true, "connect the command's stdin to this one's (=false: /dev/null)")
	p.Flags.StringVar(&f.net, "net", "", `"bridge" (default as root); rootless, "slirp4netns" or "pasta" (the first installed is the default); or "none" (only lo)`)
	p.Flags.StringVar(&f.bridge, "bridge", defaultBridge, "bridge on the host, created on first use")
	p.Flags.StringVar(&f.subnet, "subnet", defaultSubnet, "subnet of the bridge; its first address is the gateway")
	p.Flags.StringVar(&f.ip, "ip", "", "ask for this address (refused if taken)")
	p.Flags.StringArrayVarP(&f.publish, "publish", "p", nil, "publish a port, [HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|/udp] (repeatable)")
	p.Flags.StringArrayVar(&f.dns, "dns", nil, "a name server for the container (repeatable; default: the host's, those on its loopback left out)")
	p.Flags.BoolVar(&f.chroot, "chroot", false, "chroot(2) instead of pivot_root(2) — escapable; for the lab that shows why")
	p.Flags.BoolVar(&f.rootless, "rootless", os.Geteuid() != 0, "run as a regular user: a user namespace maps you to root, networked by slirp4netns or pasta")
	p.Flags.StringArrayVar(&f.capAdd, "cap-add", nil, "add a capability to the default set (NAME or ALL)")
	p.Flags.StringArrayVar(&f.capDrop, "cap-drop", nil, "drop a capability from the default set (NAME or ALL)")
	p.Flags.BoolVar(&f.noNewPrivs, "no-new-privs", true, "no_new_privs: setuid bits and file capabilities grant nothing (=false to turn off)")
	p.Flags.StringVar(&f.seccomp, "seccomp", "on", `"on": refuse the system calls listed in docs/06-container.md; "off" to compare`)
	p.Flags.BoolVar(&f.maskProc, "mask-proc", true, "hide /proc/kcore, /proc/keys... and make /proc/sys and friends read-only (=false to turn off)")
	p.Flags.BoolVar(&f.confineNet, "confine-net", false, "keep the container to the bridge's subnet: no way out, not even to the host")
	p.Flags.IntVar(&f.stopTimeout, "stop-timeout", 10, "seconds the container gets after SIGTERM or SIGHUP to the runtime before SIGKILL")
	p.Flags.BoolVar(&f.timings, "timings", false, "at exit, a table of where the time went: each phase of the runtime, the init and pid1")
	p.Flags.BoolVar(&f.cleanup, "cleanup", false, "remove the bridge and state left by runtimes that were killed, then exit")
	command, err := p.Parse(os.Args[1:])
	if err != nil {
		cli.Exit(prog, err)
	}
	log := explain.New(p.Verbose, "runtime")
	sub := subcommand(command, p.Flags.ArgsLenAtDash())
	switch {
	case p.Check:
		err = doctor.Run(prog, checks(f))
	case reexec.Stage() == "init":
		err = withHint(containerInit(explain.New(p.Verbose, "init")))
	case reexec.Stage() == "pid1":
		err = pid1(command)
	case f.cleanup:
		err = cleanup(f, log)
	case sub == "run":
		// The run flags may come after the word "run" too.
		if err = p.Flags.Parse(command[1:]); err == nil {
			f.hostnameGiven = p.Flags.Changed("hostname")
			err = run(f, p.Flags.Args(), p.Verbose, log, runStart{goStart, started})
		}
	case sub != "":
		err = other(sub, f.rootless, command[1:], log)
	default:
		f.hostnameGiven = p.Flags.Changed("hostname")
		err = run(f, command, p.Verbose, log, runStart{goStart, started})
	}
	cli.Exit(prog, err)
}

// other runs the subcommands that act on running containers: exec, ps
// and stop, each with flags of its own.
func other(sub string, rootless bool, args []string, log *explain.Log) error {
	fs := pflag.NewFlagSet(sub, pflag.ContinueOnError)
	fs.SetInterspersed(false)
	fs.Usage = func() {}
	var ef execFlags
	timeout := fs.Int("stop-timeout", 10, "")
	quiet := fs.BoolP("quiet", "q", false, "")
	if sub == "exec" {
		fs.BoolVarP(&ef.tty, "tty", "t", isTerminal(0), "")
		fs.BoolVarP(&ef.interactive, "interactive", "i", true, "")
		fs.StringArrayVarP(&ef.env, "env", "e", nil, "")
		fs.StringVarP(&ef.workdir, "workdir", "w", "", "")
	}
	if err := fs.Parse(args); err != nil {
		return cli.Failf("%s: %w — %s", sub, err, usageOf(sub))
	}
	rest := fs.Args()
	switch sub {
	case "ps":
		if len(rest) > 0 {
			return cli.Failf("ps takes no arguments: %s", usageOf(sub))
		}
		return ps(rootless, *quiet)
	case "stop":
		id, more, err := idArg(sub, rest)
		if err == nil && len(more) > 0 {
			err = cli.Failf("stop takes one container id: %s", usageOf(sub))
		}
		if err == nil && *timeout < 0 {
			err = cli.Failf("--stop-timeout %d: want 0 or more seconds", *timeout)
		}
		if err != nil {
			return err
		}
		return stop(rootless, id, time.Duration(*timeout)*time.Second, log)
	}
	id, command, err := idArg(sub, rest)
	if err != nil {
		return err
	}
	if len(command) > 0 && command[0] == "--" {
		command = command[1:]
	}
	return execIn(rootless, id, ef, command, log)
}

// runStart is when the runtime started: the CPU time its Go runtime took
// before main, and CLOCK_MONOTONIC when main began (timings.go).
type runStart struct {
	goStart time.Duration
	main    int64
}

// run is the runtime, step by step.
func run(f flags, command []string, verbose bool, log *explain.Log, start runStart) (err error) {
	m := &marks{on: f.timings, list: []mark{{At: start.main, Who: "runtime", What: "main"}}}
	// 1. Check everything before creating anything.
	s, err := makeSpec(f, command, verbose)
	if err != nil {
		return err
	}
	s.Timings = f.timings
	m.note("runtime", "check the flags, the rootfs, the command")
	c := &container{spec: s, flags: f, log: log, marks: m}
	if f.timings {
		// Deferred first, so it runs last: after the teardown below.
		defer func() {
			m.note("runtime", "teardown: ports, network, lease, layer, cgroup, state directory")
			fmt.Fprint(os.Stderr, timingTable(start.goStart, append(m.list, c.child.Marks...)))
			fmt.Fprint(os.Stderr, memoryLine(c.child))
		}()
	}
	defer cli.Cleanup(&err, "removing the container's state", c.remove)
	// From here on a signal must not end the runtime before it has
	// removed what it made: catch them now, act on them below.
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, cli.ForwardedSignals...)
	defer signal.Stop(sigs)

	// 2. Its standard streams — never the host's terminal (stdio.go) —
	// its state directory, its cgroup and, in bridge mode, an address.
	if c.streams, err = newStreams(s.TTY, f.interactive); err != nil {
		return err
	}
	if s.TTY {
		if err := c.streams.socket(); err != nil {
			return err
		}
	}
	defer cli.Cleanup(&err, "restoring the terminal", c.streams.restore)
	if err := c.holdPorts(); err != nil {
		return err
	}
	m.note("runtime", "standard streams, host ports")
	if err := c.prepare(); err != nil {
		return err
	}
	if err := interrupted(sigs); err != nil {
		return err
	}

	// 3. The init, in new namespaces and — built with Go 1.20 or newer —
	// born in its cgroup (cgroup_born.go), waiting for its spec.
	if err := c.start(); err != nil {
		return err
	}

	// 4. From outside: its cgroup if it was not born there, the user
	// namespace's maps, the veth pair. The spec then lets the init go on; ps, exec and stop find it
	// by its info.
	if err := c.connect(); err != nil {
		c.kill()
		return err
	}
	if err := c.writeInfo(); err != nil {
		c.kill()
		return err
	}

	if len(command) == 0 && isTerminal(0) {
		say("container %s: hostname %s, %s; type exit to leave", s.ID, s.Hostname, c.describeNet())
	}
	// 5. With -t, the container's terminal, from the init.
	if s.TTY {
		if err := c.streams.attachTerminal(); err != nil {
			c.kill()
			return err
		}
	}

	// 6. Wait for the init, passing signals on, then for its output.
	status, err := c.wait(sigs)
	m.note("runtime", "PID 1 exits; the kernel ends the namespaces; the runtime reaps it")
	c.streams.finish()
	c.child = c.receiveTimings()
	if err != nil {
		return err
	}
	for _, line := range limitEvents(s.Limits, c.cgroup) {
		say("%s", line)
	}
	return cli.Exited(status)
}

// interrupted reports a request to stop that arrived during the set-up,
// before there is a container to pass it to.
func interrupted(sigs chan os.Signal) error {
	for {
		select {
		case sig := <-sigs:
			if n := sig.(syscall.Signal); n == syscall.SIGINT || n == syscall.SIGTERM || n == syscall.SIGHUP || n == syscall.SIGQUIT {
				return cli.Errorf(cli.ExitSignalBase+int(n), "%v before the container started; nothing is left behind", sig)
			}
		default:
			return nil
		}
	}
}

// say prints one line of the runtime's own, to stderr.
func say(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, prog+": "+format+"\n", args...)
}
