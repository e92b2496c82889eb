package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
)

// proc is one process as /proc/PID/stat describes it.
type proc struct {
	pid, ppid int
	state     string // R running, S sleeping, Z zombie, ...
	comm      string
}

// readProcs lists the processes in /proc — the /proc mounted for the
// reader's PID namespace, so only the processes of that namespace, with
// the PIDs it uses.
func readProcs() ([]proc, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var procs []proc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		p, err := readStat(pid)
		if err != nil {
			continue // it exited while we were reading
		}
		procs = append(procs, p)
	}
	sort.Slice(procs, func(i, j int) bool { return procs[i].pid < procs[j].pid })
	return procs, nil
}

// readStat parses /proc/PID/stat: "PID (COMM) STATE PPID ...". COMM may
// contain spaces and parentheses, so it runs to the last ')'.
func readStat(pid int) (proc, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return proc{}, err
	}
	s := string(b)
	open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || close < open {
		return proc{}, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	rest := strings.Fields(s[close+1:])
	if len(rest) < 2 {
		return proc{}, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	ppid, _ := strconv.Atoi(rest[1])
	return proc{pid: pid, ppid: ppid, state: rest[0], comm: s[open+1 : close]}, nil
}

// printProcs writes a tiny ps: PID, parent, state and command.
func printProcs(w io.Writer, procs []proc) {
	fmt.Fprintf(w, "  %5s %5s %s %s\n", "PID", "PPID", "S", "COMMAND")
	for _, p := range procs {
		note := ""
		if p.state == "Z" {
			note = "  <defunct: a zombie>"
		}
		fmt.Fprintf(w, "  %5d %5d %s %s%s\n", p.pid, p.ppid, p.state, p.comm, note)
	}
}

// zombies counts the processes in state Z.
func zombies(procs []proc) int {
	n := 0
	for _, p := range procs {
		if p.state == "Z" {
			n++
		}
	}
	return n
}
