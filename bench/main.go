// Command bench measures nslab's container against the tools people use,
// side by side on this machine, and writes docs/benchmarks.md and an SVG
// chart. make bench runs it. Numbers are informative: nothing passes or
// fails.
//
// Three things are measured. Start-to-exit of /bin/true in the same busybox
// rootfs, by hyperfine, for 06-container and its peers (each peer only if
// installed and able to run here; otherwise the reason is recorded).
// Scale: 500 containers one after the other, and 32 at once. TCP
// throughput between two containers over the bridge, against a bare veth
// pair and loopback — all between namespaces this program creates.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/pflag"
)

type config struct {
	bin, rootfs, out, svg string
	runs                  int
}

func main() {
	var cfg config
	pflag.StringVar(&cfg.bin, "bin", "bin", "directory with 06-container and nsprobe")
	pflag.StringVar(&cfg.rootfs, "rootfs", "rootfs", "the busybox root filesystem every tool runs")
	pflag.StringVar(&cfg.out, "out", "docs/benchmarks.md", "the report")
	pflag.StringVar(&cfg.svg, "svg", "docs/img/start-to-exit.svg", "the chart")
	pflag.IntVar(&cfg.runs, "runs", 100, "hyperfine runs per command")
	pflag.Parse()
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		cleanup(cfg)
		os.Exit(1)
	}
}

func run(cfg config) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("needs root: sudo make bench")
	}
	for _, p := range []*string{&cfg.bin, &cfg.rootfs} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			return err
		}
		*p = abs
	}
	if _, err := os.Stat(filepath.Join(cfg.rootfs, "bin", "true")); err != nil {
		return fmt.Errorf("no rootfs at %s: make rootfs", cfg.rootfs)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		sig := <-sigs
		fmt.Fprintln(os.Stderr, "bench: interrupted; removing what it created")
		cleanup(cfg)
		// End the way an interrupted program should: by the signal itself.
		signal.Reset(sig)
		_ = syscall.Kill(os.Getpid(), sig.(syscall.Signal))
	}()
	defer cleanup(cfg)

	netnsBefore = netnsState()
	r := report{Machine: describeMachine()}
	var err error
	fmt.Println("bench: start-to-exit (hyperfine)")
	if r.Start, r.Refused, err = startToExit(cfg); err != nil {
		return err
	}
	fmt.Println("bench: where the time goes (--timings), and memory")
	if r.Phases, err = phases(cfg, r.Start); err != nil {
		return err
	}
	r.Memory = memory(cfg, r.Start)
	fmt.Println("bench: 500 containers in a row, 32 at once")
	if r.Scale, err = scale(cfg); err != nil {
		return err
	}
	fmt.Println("bench: TCP throughput")
	if r.Net, err = throughput(cfg); err != nil {
		return err
	}
	return r.write(cfg)
}

// cleanup removes whatever the benchmark may have left: its network
// namespaces, its runc/crun containers, the bridge — and the mount that
// ip netns add makes of /run/netns the first time, and never removes.
func cleanup(cfg config) {
	for _, ns := range []string{"nslb-a", "nslb-b", "nslb0"} {
		quiet("ip", "netns", "del", ns)
	}
	restoreNetns(netnsBefore)
	for _, rt := range []string{"runc", "crun"} {
		quiet(rt, "delete", "--force", "nslab-bench")
	}
	quiet(filepath.Join(cfg.bin, "06-container"), "--cleanup")
	os.RemoveAll(bundleRoot)
}
