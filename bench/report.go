package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

type report struct {
	Machine machine
	Start   []result
	Refused []refused
	Scale   scaleResult
	Net     []netResult
	Phases  []phaseResult
	Memory  []memoryRow
}

type machine struct {
	Kernel, CPU, Go, Date string
	CPUs                  int
}

func describeMachine() machine {
	var u unix.Utsname
	unix.Uname(&u)
	m := machine{Kernel: unix.ByteSliceToString(u.Release[:]), Go: runtime.Version(), CPUs: runtime.NumCPU(),
		Date: time.Now().UTC().Format("2006-01-02"), CPU: "unknown CPU"}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}

func (r report) find(name string) (result, bool) {
	for _, s := range r.Start {
		if s.Name == name {
			return s, true
		}
	}
	return result{}, false
}

// write produces the Markdown page and the chart.
func (r report) write(cfg config) error {
	if err := os.MkdirAll(filepath.Dir(cfg.svg), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(cfg.svg, []byte(r.svg()), 0o644); err != nil {
		return err
	}
	rel, _ := filepath.Rel(filepath.Dir(cfg.out), cfg.svg)
	if err := os.WriteFile(cfg.out, []byte(r.markdown(rel)), 0o644); err != nil {
		return err
	}
	fmt.Printf("bench: wrote %s and %s\n", cfg.out, cfg.svg)
	return nil
}

func (r report) markdown(chart string) string {
	var b strings.Builder
	m := r.Machine
	fmt.Fprintf(&b, "# Benchmarks — nslab beside the tools people use\n\n")
	fmt.Fprintf(&b, "*Measured on %s: Linux %s, %s (%d CPUs), %s. Written by `sudo make bench` ([bench/](../bench/main.go)). Numbers from another machine will differ — run it on yours; compare ratios, not milliseconds.*\n\n", m.Date, m.Kernel, m.CPU, m.CPUs, m.Go)
	b.WriteString("Everything runs back to back in one invocation, on the same busybox root filesystem, so that all rows see the same machine. Results are informative: nothing here passes or fails.\n\n")

	b.WriteString("## Start to exit of `/bin/true`\n\n")
	b.WriteString("Timed by [hyperfine](https://github.com/sharkdp/hyperfine) (`-N`: no shell in between), after five warm-up runs. The ratio is the median over the `unshare` baseline's.\n\n")
	b.WriteString("| tool | median ms | min ms | max ms | × unshare | what one run does |\n|---|---:|---:|---:|---:|---|\n")
	for _, s := range r.Start {
		fmt.Fprintf(&b, "| %s | %.2f | %.2f | %.2f | %.2f | %s |\n", s.Name, s.Median, s.Min, s.Max, s.Ratio, s.Measure)
	}
	if len(r.Refused) > 0 {
		b.WriteString("\nNot measured on this machine:\n\n| tool | why |\n|---|---|\n")
		for _, x := range r.Refused {
			fmt.Fprintf(&b, "| %s | %s |\n", x.Name, strings.ReplaceAll(x.Why, "|", "\\|"))
		}
	}
	fmt.Fprintf(&b, "\n![start to exit, median with min–max](%s)\n\n", chart)
	b.WriteString(r.targets())
	b.WriteString(r.phasesMarkdown())
	b.WriteString(r.memoryMarkdown())

	b.WriteString("\n## Scale\n\n")
	s := r.Scale
	fmt.Fprintf(&b, "`06-container --net=bridge -- /bin/true`, %d times in a row, each timed from fork to exit:\n\n", s.Runs)
	b.WriteString("| p50 ms | p90 ms | p99 ms | max ms |\n|---:|---:|---:|---:|\n")
	fmt.Fprintf(&b, "| %.2f | %.2f | %.2f | %.2f |\n\n", s.P50, s.P90, s.P99, s.Max)
	fmt.Fprintf(&b, "%d of them started at once: the last one exited after **%.1f ms** (%.2f ms per container, on %d CPUs).\n\n", s.Concurrent, s.ConcurrentWall, s.ConcurrentWall/float64(s.Concurrent), m.CPUs)

	b.WriteString("## TCP throughput\n\n")
	fmt.Fprintf(&b, "`nsprobe source` sends for %s s to `nsprobe sink`, which reports what arrived — the same small Go programs on every path, since iperf3 is not in the busybox root filesystem. Each path is measured %d times, in turns, and the median is shown; one TCP stream on a small VM varies by 10–20%% from run to run. Only namespaces the benchmark made are involved.\n\n", seconds, rounds)
	b.WriteString("| path | MB/s | × bare veth | what is between the sockets |\n|---|---:|---:|---|\n")
	for _, n := range r.Net {
		fmt.Fprintf(&b, "| %s | %.0f | %.2f | %s |\n", n.Name, n.MBps, n.Ratio, n.Measure)
	}
	b.WriteString("\n## Reading the numbers\n\n")
	b.WriteString("- **06-container runs two Go programs** — the runtime and, as PID 1, the init — where `unshare` and `chroot` are small C programs. The `a Go program` row is what starting one costs here: its runtime starts several threads before `main`. The init's start comes after the clone that creates its namespaces, and the `unshare --net` row shows what a network namespace adds to that.\n")
	b.WriteString("- **The init starts the command as its child** rather than becoming it — it must stay to reap and forward signals — and from a fresh thread that it limits first (`no_new_privs`, seccomp, capabilities). Limiting the init's own main thread instead would save that thread, but would let the command ptrace a process whose other threads still hold every capability.\n")
	b.WriteString("- **The init is born in its cgroup**: `clone3` with `CLONE_INTO_CGROUP`. The `init moved` row is the same runtime built to clone first and then move the init, one write to `cgroup.procs` — a write that waits for an RCU grace period (the cgroup threadgroup lock's writer side); the gap between the two rows is that wait, and it varies from run to run as grace periods do.\n")
	b.WriteString("- **The set-up steps themselves are cheap**: running with `--mask-proc=false --seccomp=off --no-new-privs=false --cap-add ALL` hardly moves the median. Teardown is mostly the kernel's: when PID 1 exits, the PID, mount and IPC namespaces go with it before the runtime hears of it; the network namespace goes later, asynchronously. With `--net=bridge` the runtime waits for one thing: it deletes the host end of the veth pair itself before it frees the address, so that no lingering namespace can answer for it.\n")
	b.WriteString("- **The copy-on-write root** is a tmpfs, two directories and an overlay mount, undone at exit; the `--rootfs-rw` row is the same run with the rootfs itself as the root, so the gap between the two rows is what the overlay costs.\n")
	b.WriteString("- **`--net=bridge` adds** the lease (a file under a lock), one netlink message for the veth pair, two for the bridge port, one nftables transaction for the container's rules (and one to remove them), the init's address and route, and the deletion of the veth pair — most of the difference from `--net=none`: the kernel deletes a link synchronously, waiting for RCU grace periods (about 20–30 ms for `ip link del` of a veth on this kind of VM), where leaving it to the dying network namespace cost the runtime nothing, but let a lingering namespace keep answering for the address. The `ip netns + veth` row does the same with one `ip` process per step, and a synchronous `ip link del`.\n")
	b.WriteString("- **Published ports**: through NAT, only the first packet of a connection meets the rules; the rest are rewritten from its conntrack entry, so the `-p, NAT` row should stay close to the bridge's. Through `127.0.0.1`, every byte crosses the runtime's proxy — two sockets and a copy in user space — as with `docker-proxy`.\n")
	b.WriteString("- **runc and crun** do more per run: they read and validate an OCI bundle, set up cgroups, and keep state; they are the reference for a complete runtime, not a race to win.\n")
	b.WriteString("\nThe Go benchmarks in [06-container/bench_test.go](../06-container/bench_test.go) (`go test -bench . ./06-container/`) time the same two commands against the baseline from inside Go, alternating run by run.\n")
	return b.String()
}

// targets compares with the goals the project set itself.
func (r report) targets() string {
	var b strings.Builder
	b.WriteString("Targets (reported, not asserted):\n\n")
	none, okNone := r.find("06-container --net=none")
	if bw, ok := r.find("bwrap --unshare-all"); ok && okNone {
		fmt.Fprintf(&b, "- `--net=none` at most 1.5× `bwrap --unshare-all`: **%.2f×** (%.2f ms against %.2f ms)", none.Median/bw.Median, none.Median, bw.Median)
		if moved, ok := r.find("06-container --net=none, init moved"); ok {
			fmt.Fprintf(&b, "; before the init was born in its cgroup, %.2f×", moved.Median/bw.Median)
		}
		b.WriteString(".\n")
	}
	if br, ok := r.find("06-container --net=bridge"); ok && okNone {
		fmt.Fprintf(&b, "- `--net=bridge` at most 1.25× `--net=none`: **%.2f×** (%.2f ms).\n", br.Median/none.Median, br.Median)
	}
	if len(r.Net) > 0 {
		fmt.Fprintf(&b, "- container↔container throughput at least 95%% of the bare veth pair: **%.0f%%**.\n", r.Net[0].Ratio*100)
	}
	return b.String()
}

// svg draws each tool's median as a bar, with its min–max range as a
// line, on one scale.
func (r report) svg() string {
	const left, width, row, top = 200.0, 480.0, 26.0, 30.0
	max := 0.0
	for _, s := range r.Start {
		if s.Max > max {
			max = s.Max
		}
	}
	if max == 0 {
		max = 1
	}
	x := func(ms float64) float64 { return left + ms/max*width }
	height := top + row*float64(len(r.Start)) + 30
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-family="sans-serif" font-size="12">`+"\n", left+width+70, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%.0f" y="18" font-weight="bold">start to exit of /bin/true, ms (median, min–max) — Linux %s</text>`+"\n", left, r.Machine.Kernel)
	for i, s := range r.Start {
		y := top + row*float64(i)
		color := "#9aa5b1"
		if strings.HasPrefix(s.Name, "06-container") {
			color = "#2b6cb0"
		}
		fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" text-anchor="end">%s</text>`+"\n", left-8, y+15, escape(s.Name))
		fmt.Fprintf(&b, `<rect x="%.0f" y="%.1f" width="%.1f" height="16" fill="%s"/>`+"\n", left, y+3, x(s.Median)-left, color)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="black"/>`+"\n", x(s.Min), y+11, x(s.Max), y+11)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f">%.1f</text>`+"\n", x(s.Max)+4, y+15, s.Median)
	}
	fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="#444"/>`+"\n", left, top, left, height-30)
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f">0</text><text x="%.0f" y="%.0f" text-anchor="end">%.0f ms</text>`+"\n", left, height-12, left+width, height-12, max)
	b.WriteString("</svg>\n")
	return b.String()
}

func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// phasesMarkdown is the time line of --timings, phase by phase, for each
// network mode, and how its total compares with hyperfine's.
func (r report) phasesMarkdown() string {
	var b strings.Builder
	b.WriteString("\n## Where the time goes\n\n")
	fmt.Fprintf(&b, "`--timings` prints each phase of one run ([the chapter](06-container.md#where-the-time-goes---timings) explains them). Here, the median of each phase over %d runs; and each of those runs timed from outside too, from fork to reaping, as hyperfine does: what the table cannot see — the kernel's `execve` before the Go runtime starts, the exit after the last note — is the difference between the two.\n\n", phaseRuns)
	for _, p := range r.Phases {
		fmt.Fprintf(&b, "**%s**: %.2f ms by `--timings`, %.2f ms from outside; the median run spent %.1f%% of its time outside the table (hyperfine, without `--timings`: %.2f ms).\n\n", p.Name, p.Total, p.Outside, 100*p.Unseen, p.Hyperfine)
		b.WriteString("| who | phase | median ms |\n|---|---|---:|\n")
		for _, row := range p.Phases {
			fmt.Fprintf(&b, "| %s | %s | %.2f |\n", row.Who, row.What, row.Median)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// memoryMarkdown is the peak resident size of each tool's run.
func (r report) memoryMarkdown() string {
	var b strings.Builder
	b.WriteString("## Memory\n\n")
	b.WriteString("The peak resident size of one run, as GNU time reads it from wait4(2): the largest of the process and of those it waited for. For 06-container, `--timings` gives each program's own peak (`VmHWM`): the runtime, the init, and pid1.\n\n| tool | peak MiB |\n|---|---:|\n")
	for _, m := range r.Memory {
		fmt.Fprintf(&b, "| %s | %.1f |\n", m.Name, m.MiB)
	}
	for _, p := range r.Phases {
		fmt.Fprintf(&b, "\n%s: the runtime %.1f MiB, the init %.1f MiB, pid1 %.1f MiB (medians).", p.Name, p.RuntimeRSS, p.InitRSS, p.PID1RSS)
	}
	b.WriteString("\n")
	return b.String()
}
