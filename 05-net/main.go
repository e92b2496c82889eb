// Command 05-net walks through network namespaces step by step: chapter
// 05 of nslab.
//
// A new network namespace has only a loopback device, and it is down.
// Bringing it up makes 127.0.0.1 work inside; a veth pair — two
// interfaces joined like the ends of a cable — connects the namespace to
// the host, or two namespaces to each other; a bridge joins many. Each step
// prints what it did and its ip(8) twin, proves itself with a real TCP
// connection, and everything is removed at the end, on Ctrl-C too.
package main

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"

	"nslab/05-net/firewall"
	"nslab/05-net/netlink"
	"nslab/internal/cli"
	"nslab/internal/doctor"
	"nslab/internal/explain"
	"nslab/internal/nsinfo"
)

const prog = "05-net"

const summary = `Chapter 05, network namespaces: lo, a veth pair to the host, a pair
between two namespaces, and a bridge for three — created, tested with TCP, removed.`

type config struct {
	subnet string
	hostIP string
	prefix string
	port   int
	pause  bool
}

func main() {
	p := cli.New(prog, prog+" [flags]", summary)
	var cfg config
	p.Flags.StringVar(&cfg.subnet, "subnet", "10.55.0.0/24", "IPv4 subnet for every address of the walk-through (/28 or larger)")
	p.Flags.StringVar(&cfg.hostIP, "host-ip", "", "the host's address in step 3 (default: the subnet's first address)")
	p.Flags.StringVar(&cfg.prefix, "prefix", "nsl", "prefix of every link and namespace name")
	p.Flags.IntVar(&cfg.port, "port", 7000, "TCP port of the connection tests")
	p.Flags.BoolVar(&cfg.pause, "pause", false, "wait for Enter after each step, to look around with ip netns exec")
	args, err := p.Parse(os.Args[1:])
	switch {
	case err != nil:
	case len(args) > 0:
		err = cli.Failf("no command is run in this chapter (got %q) — see %s --help", args[0], prog)
	case p.Check:
		err = doctor.Run(prog, checks())
	default:
		err = run(cfg, explain.New(p.Verbose, "host"))
	}
	cli.Exit(prog, err)
}

// run checks the plan, walks through the steps and removes everything,
// whatever happens: a failed step, Ctrl-C, kill.
func run(cfg config, log *explain.Log) (err error) {
	pl, err := makePlan(cfg)
	if err != nil {
		return err
	}
	if cfg.port < 1 || cfg.port > 65535 {
		return cli.Failf("--port %d: want 1 to 65535", cfg.port)
	}
	host, err := netlink.Dial()
	if err != nil {
		return err
	}
	defer cli.Cleanup(&err, "closing the host's netlink socket", host.Close)
	if err := pl.checkHost(host); err != nil {
		return err
	}
	if os.Geteuid() != 0 {
		return cli.Failf("creating network namespaces needs root — run it with sudo (sudo make run-05)")
	}

	ctx, caught := interruptible()
	l := &lab{ctx: ctx, plan: pl, host: host, log: log, pause: cfg.pause}
	stepErr := l.walk()
	undoErr := l.undo()
	sig := caught()
	switch {
	case sig != 0:
		err = cli.Errorf(cli.ExitSignalBase+int(sig), "interrupted by %s; removed everything the walk-through created", unix.SignalName(sig))
	case stepErr != nil:
		err = cli.Failf("%w (everything created so far was removed)", stepErr)
	}
	if undoErr == nil {
		return err
	}
	if err == nil {
		return undoErr
	}
	cli.Warnf("%v", undoErr)
	return err
}

// interruptible returns a context that ends at SIGINT, SIGTERM or SIGHUP,
// and a function that tells which signal ended it (0 for none).
func interruptible() (context.Context, func() syscall.Signal) {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	var got syscall.Signal
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			got = s.(syscall.Signal)
			cancel()
		case <-done:
		}
	}()
	return ctx, func() syscall.Signal {
		signal.Stop(sigs)
		close(done)
		if errors.Is(ctx.Err(), context.Canceled) {
			return got
		}
		return 0
	}
}

// checks lists what this chapter needs from the machine.
func checks() []doctor.Result {
	net, _ := nsinfo.Lookup("net")
	return []doctor.Result{doctor.Kernel(net), doctor.Root(prog), doctor.Unshare(net.Flag), firewall.BridgeNetfilter("nsl-br0")}
}
