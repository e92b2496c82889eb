package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// phaseRuns is how many --timings runs each phase's median comes from.
const phaseRuns = 30

// phaseResult is where one kind of run spends its time: the median of
// each phase over phaseRuns runs of --timings, in the order they happen,
// and the median total, beside hyperfine's median for the same command.
type phaseResult struct {
	Name       string
	Phases     []phaseRow
	Total      float64 // ms, the median of --timings' own totals
	Outside    float64 // ms, the median of the same runs timed from here, fork to reaping
	Unseen     float64 // the median share of each run that the table does not cover
	Hyperfine  float64 // ms, hyperfine's median for the command without --timings
	RuntimeRSS float64 // MiB, medians of the memory line
	InitRSS    float64
	PID1RSS    float64
}

type phaseRow struct {
	Who, What string
	Median    float64 // ms
}

var (
	totalRE  = regexp.MustCompile(`^--timings: ([0-9.]+) ms`)
	rowRE    = regexp.MustCompile(`^\s+([0-9.]+) ms\s+[0-9.]+%\s+(\S+)\s+(.+)$`)
	memoryRE = regexp.MustCompile(`of the runtime ([0-9.]+) MiB, the init ([0-9.]+) MiB, pid1 ([0-9.]+) MiB`)
)

// phases runs 06-container --timings phaseRuns times for each network
// mode and takes the medians.
func phases(cfg config, start []result) ([]phaseResult, error) {
	c := cfg.bin + "/06-container"
	var out []phaseResult
	for _, mode := range []struct{ name, net string }{
		{"06-container --net=none", "--net=none"},
		{"06-container --net=bridge", "--net=bridge"},
	} {
		argv := []string{c, "--rootfs", cfg.rootfs, mode.net, "--dns", "127.0.0.1", "--timings", "--", "/bin/true"}
		if mode.net == "--net=none" {
			argv = []string{c, "--rootfs", cfg.rootfs, mode.net, "--timings", "--", "/bin/true"}
		}
		p, err := medianPhases(argv)
		if err != nil {
			return nil, fmt.Errorf("%s --timings: %v", mode.name, err)
		}
		p.Name = mode.name
		for _, s := range start {
			if s.Name == mode.name {
				p.Hyperfine = s.Median
			}
		}
		out = append(out, p)
	}
	return out, nil
}

// medianPhases runs argv and reads its --timings table phaseRuns times.
func medianPhases(argv []string) (phaseResult, error) {
	var order []phaseRow
	samples := map[string][]float64{}
	var totals, outside, unseen, runtimeRSS, initRSS, pid1RSS []float64
	for i := 0; i < phaseRuns; i++ {
		var stderr bytes.Buffer
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Stderr = &stderr
		began := time.Now()
		if err := cmd.Run(); err != nil {
			return phaseResult{}, fmt.Errorf("%v: %s", err, firstLine(stderr.String()))
		}
		wall := float64(time.Since(began)) / float64(time.Millisecond)
		outside = append(outside, wall)
		for _, line := range strings.Split(stderr.String(), "\n") {
			if m := totalRE.FindStringSubmatch(line); m != nil {
				totals = append(totals, number(m[1]))
				unseen = append(unseen, (wall-number(m[1]))/wall)
			} else if m := rowRE.FindStringSubmatch(line); m != nil {
				key := m[2] + "\x00" + m[3]
				if _, seen := samples[key]; !seen {
					order = append(order, phaseRow{Who: m[2], What: m[3]})
				}
				samples[key] = append(samples[key], number(m[1]))
			} else if m := memoryRE.FindStringSubmatch(line); m != nil {
				runtimeRSS, initRSS, pid1RSS = append(runtimeRSS, number(m[1])), append(initRSS, number(m[2])), append(pid1RSS, number(m[3]))
			}
		}
	}
	p := phaseResult{Total: median(totals), Outside: median(outside), Unseen: median(unseen),
		RuntimeRSS: median(runtimeRSS), InitRSS: median(initRSS), PID1RSS: median(pid1RSS)}
	for _, row := range order {
		row.Median = median(samples[row.Who+"\x00"+row.What])
		p.Phases = append(p.Phases, row)
	}
	return p, nil
}

// peakMemory runs a peer once under GNU time and returns the largest
// resident size, in MiB, of it and the processes it waited for, as
// wait4(2) reports it. Not from here: Go starts a child with vfork, and a
// vfork child's count starts at its parent's size when it execs; time
// forks.
func peakMemory(argv []string) (float64, error) {
	out, err := exec.Command("/usr/bin/time", append([]string{"-f", "nslab-peak-kib %M"}, argv...)...).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("%v: %s", err, firstLine(string(out)))
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "nslab-peak-kib ") {
			return number(strings.TrimPrefix(line, "nslab-peak-kib ")) / 1024, nil
		}
	}
	return 0, fmt.Errorf("time said nothing")
}

// memory measures the peak resident size of each peer that ran.
func memory(cfg config, start []result) []memoryRow {
	var rows []memoryRow
	for _, p := range peers(cfg) {
		for _, s := range start {
			if s.Name == p.Name {
				if mib, err := peakMemory(p.Argv); err == nil {
					rows = append(rows, memoryRow{p.Name, mib})
				}
			}
		}
	}
	return rows
}

type memoryRow struct {
	Name string
	MiB  float64
}

func number(s string) float64 {
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}
