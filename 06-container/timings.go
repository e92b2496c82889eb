package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// --timings: where a container's time goes. The runtime, the init and
// pid1 each note the moments they finish a phase on CLOCK_MONOTONIC,
// which every process of the machine reads alike (no time namespace is
// involved), so their notes line up on one time line. The rows of the
// table are the intervals between consecutive notes, each named by the
// note that ends it: together they add up to the whole run, and work
// done at the same time by two processes shows as the interval of the
// one that finished it.
//
// Two moments cannot be noted by the process itself. A program does not
// see its own start: for the runtime, the CPU time used before main
// (getrusage) stands for the Go runtime's start — nothing blocks there,
// so CPU time is wall time; for the init, the runtime passes its clock
// reading at fork, and the init's first note is taken against it.

// mark is one note: when a phase ended, who did it and what it was.
type mark struct {
	At   int64 // CLOCK_MONOTONIC, ns
	Who  string
	What string
}

// marks collects notes; the zero value records nothing.
type marks struct {
	on   bool
	list []mark
}

// monotonic reads CLOCK_MONOTONIC in nanoseconds.
func monotonic() int64 {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return ts.Nano()
}

// note records that who has just finished what.
func (m *marks) note(who, what string) {
	if m != nil && m.on {
		m.list = append(m.list, mark{monotonic(), who, what})
	}
}

// cpuBeforeMain is the CPU time this process has used so far: called
// first thing in main, the cost of starting the Go runtime.
func cpuBeforeMain() time.Duration {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// childTimings is what pid1 sends the runtime at the end: its notes and
// the init's, and the peak resident size of each stage.
type childTimings struct {
	Marks            []mark
	InitKiB, PID1KiB int64
}

// sendTimings writes pid1's notes, with those the init passed on, to the
// runtime's timings pipe, as one JSON document.
func sendTimings(fd int, t childTimings) {
	if fd < 0 {
		return
	}
	f := os.NewFile(uintptr(fd), "timings")
	defer f.Close()
	_ = json.NewEncoder(f).Encode(t)
}

// receiveTimings reads what pid1 sent, once the container has ended.
func receiveTimings(r io.Reader) childTimings {
	var t childTimings
	_ = json.NewDecoder(r).Decode(&t)
	return t
}

// peakKiB is this process's peak resident size since its last execve:
// VmHWM of /proc/self/status, in KiB. (getrusage's ru_maxrss would not
// do: it carries over the parent's size when a vfork child execs, as
// Go's children do.)
func peakKiB() int64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			return n
		}
	}
	return 0
}

// timingTable writes the table: the Go runtime's start of the runtime,
// then each interval of the time line, then the total.
func timingTable(goStart time.Duration, list []mark) string {
	sort.SliceStable(list, func(i, j int) bool { return list[i].At < list[j].At })
	var b strings.Builder
	total := goStart
	if len(list) > 1 {
		total += time.Duration(list[len(list)-1].At - list[0].At)
	}
	fmt.Fprintf(&b, "--timings: %.2f ms from the runtime's execve to its exit\n", ms(total))
	row := func(who, what string, d time.Duration) {
		fmt.Fprintf(&b, "  %7.2f ms  %5.1f%%  %-8s %s\n", ms(d), 100*float64(d)/float64(total), who, what)
	}
	row("runtime", "Go runtime start (CPU time before main)", goStart)
	for i := 1; i < len(list); i++ {
		row(list[i].Who, list[i].What, time.Duration(list[i].At-list[i-1].At))
	}
	return b.String()
}

// memoryLine says how much memory each of the three programs used at
// most: the runtime, the init and pid1 (one process, two programs).
func memoryLine(t childTimings) string {
	return fmt.Sprintf("  memory: peak resident size (VmHWM) of the runtime %.1f MiB, the init %.1f MiB, pid1 %.1f MiB\n",
		float64(peakKiB())/1024, float64(t.InitKiB)/1024, float64(t.PID1KiB)/1024)
}

// ms is a duration in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
