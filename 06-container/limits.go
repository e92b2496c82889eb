package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"nslab/internal/cli"
	"nslab/internal/explain"
)

// Limits. A cgroup is the kernel's unit of accounting: every process
// belongs to exactly one cgroup of the unified (v2) hierarchy, and the
// controllers enabled for that cgroup count what its processes use and
// hold them to the limits written in its files (Documentation/admin-guide/
// cgroup-v2.rst):
//
//   - memory.max: above it the kernel reclaims, then the OOM killer picks
//     a process of the cgroup; memory.swap.max 0 keeps it from swapping
//     instead, so the limit is what it says. memory.events counts oom_kill.
//   - pids.max: fork and clone fail with EAGAIN once the cgroup holds that
//     many tasks (threads count); pids.events counts the refusals (max).
//   - cpu.max "QUOTA PERIOD": at most QUOTA µs of CPU time per PERIOD µs,
//     across all CPUs; cpu.stat counts nr_throttled and throttled_usec.
//
// A controller is usable in a cgroup only if its parent lists it in
// cgroup.subtree_control, and so on up to the root: the runtime enables
// the ones a container needs at the root and on nslab/. On a hybrid host,
// cgroup v1 holds the controllers and the unified root's cgroup.controllers
// is empty: there is nothing to enable, and a limit is refused.
//
// A cgroup (limits) is not a cgroup namespace (a view): the namespace only
// changes what /proc/PID/cgroup and a cgroup2 mount show as the root.

// limits is what --memory, --pids and --cpus asked for; zero is no limit.
type limits struct {
	Memory int64   // bytes
	Pids   int     // tasks
	CPUs   float64 // CPUs' worth of time
}

// cpuPeriod is the period of cpu.max, in microseconds: the kernel's
// default, 100 ms.
const cpuPeriod = 100000

// parseLimits reads the limit flags.
func parseLimits(f flags) (limits, error) {
	var l limits
	var err error
	if f.memory != "" {
		if l.Memory, err = parseBytes(f.memory); err != nil || l.Memory < 4<<20 {
			return l, cli.Failf("--memory %q: want a size of at least 4m, such as 32m or 1g", f.memory)
		}
	}
	if f.pids < 0 || f.pids == 1 || f.pids == 2 {
		return l, cli.Failf("--pids %d: want at least 3 (the init, PID 1 and the command), or 0 for no limit", f.pids)
	}
	l.Pids = f.pids
	if f.cpus < 0 || f.cpus > 0 && f.cpus < 0.01 {
		return l, cli.Failf("--cpus %v: want a fraction of CPUs of at least 0.01, such as 0.5 or 2", f.cpus)
	}
	l.CPUs = f.cpus
	return l, nil
}

// parseBytes reads a size: a number of bytes, or with k, m or g after it.
func parseBytes(s string) (int64, error) {
	unit := int64(1)
	if i := strings.IndexAny(strings.ToLower(s), "kmg"); i >= 0 && i == len(s)-1 {
		unit = map[byte]int64{'k': 1 << 10, 'm': 1 << 20, 'g': 1 << 30}[strings.ToLower(s)[i]]
		s = s[:i]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > (1<<50)/unit {
		return 0, errors.New("not a size")
	}
	return n * unit, nil
}

// controllers lists the controllers the limits need.
func (l limits) controllers() []string {
	var c []string
	if l.Memory > 0 {
		c = append(c, "memory")
	}
	if l.Pids > 0 {
		c = append(c, "pids")
	}
	if l.CPUs > 0 {
		c = append(c, "cpu")
	}
	return c
}

// checkLimits refuses limits this host cannot give: without root (no
// cgroup of the container's own), or without the controllers in the
// unified hierarchy (cgroup v1 holds them).
func checkLimits(l limits, rootless bool) error {
	need := l.controllers()
	if len(need) == 0 {
		return nil
	}
	if rootless {
		return cli.Failf("--memory, --pids and --cpus need a cgroup of the container's own, which a rootless container does not get — run as root")
	}
	root, err := unifiedRoot()
	if err != nil {
		return cli.Failf("%w", err)
	}
	have, _ := os.ReadFile(filepath.Join(root, "cgroup.controllers"))
	for _, c := range need {
		if !hasWord(string(have), c) {
			return cli.Failf("the %s controller is not in cgroup v2 here (%s lists %q): cgroup v1 holds it — boot with systemd.unified_cgroup_hierarchy=1 cgroup_no_v1=all, as Debian 12 and Ubuntu 22.04 do by default", c, filepath.Join(root, "cgroup.controllers"), strings.TrimSpace(string(have)))
		}
	}
	return nil
}

// hasWord reports whether a space-separated list holds word.
func hasWord(list, word string) bool {
	for _, w := range strings.Fields(list) {
		if w == word {
			return true
		}
	}
	return false
}

// enableControllers writes +NAME to cgroup.subtree_control at the root
// and in nslab/, for each controller the limits need.
func enableControllers(l limits, root string, log *explain.Log) error {
	need := l.controllers()
	if len(need) == 0 {
		return nil
	}
	for _, dir := range []string{root, filepath.Join(root, cgroupParent)} {
		file := filepath.Join(dir, "cgroup.subtree_control")
		on, _ := os.ReadFile(file)
		for _, c := range need {
			if hasWord(string(on), c) {
				continue
			}
			if err := writeCgroupFile(file, "+"+c, log); err != nil {
				return err
			}
		}
	}
	return nil
}

// limitCgroup enables the controllers the limits need and writes the
// limits into the container's cgroup.
func limitCgroup(l limits, dir string, log *explain.Log) error {
	if len(l.controllers()) == 0 {
		return nil
	}
	root, err := unifiedRoot()
	if err != nil {
		return cli.Failf("%w", err)
	}
	if err := enableControllers(l, root, log); err != nil {
		return err
	}
	return writeLimits(l, dir, log)
}

// writeLimits writes the limits into the container's cgroup, before any
// process of the container is in it.
func writeLimits(l limits, dir string, log *explain.Log) error {
	var files [][2]string
	if l.Memory > 0 {
		files = append(files, [2]string{"memory.max", strconv.FormatInt(l.Memory, 10)})
		if _, err := os.Stat(filepath.Join(dir, "memory.swap.max")); err == nil {
			files = append(files, [2]string{"memory.swap.max", "0"})
		}
	}
	if l.Pids > 0 {
		files = append(files, [2]string{"pids.max", strconv.Itoa(l.Pids)})
	}
	if l.CPUs > 0 {
		files = append(files, [2]string{"cpu.max", fmt.Sprintf("%d %d", int64(l.CPUs*cpuPeriod+0.5), cpuPeriod)})
	}
	for _, f := range files {
		if err := writeCgroupFile(filepath.Join(dir, f[0]), f[1], log); err != nil {
			return err
		}
	}
	return nil
}

// writeCgroupFile writes one value to a cgroup file.
func writeCgroupFile(file, value string, log *explain.Log) error {
	log.Step(fmt.Sprintf("write(%q, %q)", file, value), fmt.Sprintf("echo %s > %s", value, file))
	if err := os.WriteFile(file, []byte(value), 0); err != nil {
		return cli.Failf("cgroup: writing %q to %s: %w", value, file, err)
	}
	return nil
}

// limitEvents says, after the container ended, which limits it met: an
// OOM kill (memory.events' oom_kill) and refused forks (pids.events' max).
func limitEvents(l limits, dir string) []string {
	var said []string
	if n := eventCount(filepath.Join(dir, "memory.events"), "oom_kill"); l.Memory > 0 && n > 0 {
		said = append(said, fmt.Sprintf("the OOM killer ended %d process(es) of the container: it reached --memory %s (memory.events: oom_kill %d)", n, formatBytes(l.Memory), n))
	}
	if n := eventCount(filepath.Join(dir, "pids.events"), "max"); l.Pids > 0 && n > 0 {
		said = append(said, fmt.Sprintf("%d fork(s) refused: the container reached --pids %d (pids.events: max %d)", n, l.Pids, n))
	}
	return said
}

// eventCount reads one counter of a cgroup's *.events file: lines of
// "name count".
func eventCount(file, name string) int {
	b, _ := os.ReadFile(file)
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == name {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return 0
}

// formatBytes writes a size as --memory takes it.
func formatBytes(n int64) string {
	for _, u := range []struct {
		suffix string
		size   int64
	}{{"g", 1 << 30}, {"m", 1 << 20}, {"k", 1 << 10}} {
		if n%u.size == 0 {
			return fmt.Sprintf("%d%s", n/u.size, u.suffix)
		}
	}
	return strconv.FormatInt(n, 10)
}
