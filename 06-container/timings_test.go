package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"nslab/internal/labtest"
)

var timingRowRE = regexp.MustCompile(`^\s+([0-9.]+) ms\s+([0-9.]+)%\s+(\S+)\s+(.+)$`)

// --timings prints one time line for the runtime, the init, pid1 and the
// command: every phase, in order, adding up to the total — which cannot
// be more than the run took seen from outside — and the peak memory.
func TestTimings(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	for _, net := range []string{"--net=none", noDNS} {
		began := time.Now()
		r := runC(t, net, "--timings", "--", "true").Want(t, 0)
		outside := time.Since(began)
		lines := labtest.Lines(r.Stderr)
		if len(lines) < 3 || !strings.HasPrefix(lines[0], "--timings: ") {
			t.Fatalf("no table:\n%s", r.Stderr)
		}
		total, err := strconv.ParseFloat(strings.Fields(lines[0])[1], 64)
		if err != nil || total <= 0 || time.Duration(total*float64(time.Millisecond)) > outside {
			t.Errorf("%s: total %q, but the run took %v from outside", net, lines[0], outside)
		}
		var sum float64
		var who []string
		for _, l := range lines[1:] {
			if m := timingRowRE.FindStringSubmatch(l); m != nil {
				d, _ := strconv.ParseFloat(m[1], 64)
				sum += d
				if len(who) == 0 || who[len(who)-1] != m[3] {
					who = append(who, m[3])
				}
			}
		}
		if sum < total*0.99 || sum > total*1.01 {
			t.Errorf("%s: the rows add up to %.2f ms, the total is %.2f ms:\n%s", net, sum, total, r.Stderr)
		}
		order := strings.Join(who, " ")
		for _, want := range []string{"runtime", "init", "pid1", "command"} {
			if !strings.Contains(order, want) {
				t.Errorf("%s: no row of the %s: %s", net, want, order)
			}
		}
		if !strings.HasSuffix(order, "pid1 command runtime") {
			t.Errorf("%s: the time line ends %q, want pid1, the command, then the runtime's teardown", net, order)
		}
		r.Contains(t, "memory: peak resident size (VmHWM) of the runtime ", ", the init ", ", pid1 ")
	}
}
