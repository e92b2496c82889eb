// Package caps names Linux capabilities and reads a process's capability
// sets from /proc/PID/status. 06-container uses the same names for
// --cap-add and --cap-drop.
//
// Every process has five sets: permitted (what it may use), effective
// (what it uses now), inheritable and ambient (what survives execve), and
// bounding (the most it can ever gain). Capabilities belong to a user
// namespace: a process with every capability in a child user namespace
// holds them over that namespace's resources only.
package caps

import (
	"bufio"
	"fmt"
	"math/bits"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Names lists the capabilities by number, as in <linux/capability.h>.
var Names = []string{
	unix.CAP_CHOWN:              "CAP_CHOWN",
	unix.CAP_DAC_OVERRIDE:       "CAP_DAC_OVERRIDE",
	unix.CAP_DAC_READ_SEARCH:    "CAP_DAC_READ_SEARCH",
	unix.CAP_FOWNER:             "CAP_FOWNER",
	unix.CAP_FSETID:             "CAP_FSETID",
	unix.CAP_KILL:               "CAP_KILL",
	unix.CAP_SETGID:             "CAP_SETGID",
	unix.CAP_SETUID:             "CAP_SETUID",
	unix.CAP_SETPCAP:            "CAP_SETPCAP",
	unix.CAP_LINUX_IMMUTABLE:    "CAP_LINUX_IMMUTABLE",
	unix.CAP_NET_BIND_SERVICE:   "CAP_NET_BIND_SERVICE",
	unix.CAP_NET_BROADCAST:      "CAP_NET_BROADCAST",
	unix.CAP_NET_ADMIN:          "CAP_NET_ADMIN",
	unix.CAP_NET_RAW:            "CAP_NET_RAW",
	unix.CAP_IPC_LOCK:           "CAP_IPC_LOCK",
	unix.CAP_IPC_OWNER:          "CAP_IPC_OWNER",
	unix.CAP_SYS_MODULE:         "CAP_SYS_MODULE",
	unix.CAP_SYS_RAWIO:          "CAP_SYS_RAWIO",
	unix.CAP_SYS_CHROOT:         "CAP_SYS_CHROOT",
	unix.CAP_SYS_PTRACE:         "CAP_SYS_PTRACE",
	unix.CAP_SYS_PACCT:          "CAP_SYS_PACCT",
	unix.CAP_SYS_ADMIN:          "CAP_SYS_ADMIN",
	unix.CAP_SYS_BOOT:           "CAP_SYS_BOOT",
	unix.CAP_SYS_NICE:           "CAP_SYS_NICE",
	unix.CAP_SYS_RESOURCE:       "CAP_SYS_RESOURCE",
	unix.CAP_SYS_TIME:           "CAP_SYS_TIME",
	unix.CAP_SYS_TTY_CONFIG:     "CAP_SYS_TTY_CONFIG",
	unix.CAP_MKNOD:              "CAP_MKNOD",
	unix.CAP_LEASE:              "CAP_LEASE",
	unix.CAP_AUDIT_WRITE:        "CAP_AUDIT_WRITE",
	unix.CAP_AUDIT_CONTROL:      "CAP_AUDIT_CONTROL",
	unix.CAP_SETFCAP:            "CAP_SETFCAP",
	unix.CAP_MAC_OVERRIDE:       "CAP_MAC_OVERRIDE",
	unix.CAP_MAC_ADMIN:          "CAP_MAC_ADMIN",
	unix.CAP_SYSLOG:             "CAP_SYSLOG",
	unix.CAP_WAKE_ALARM:         "CAP_WAKE_ALARM",
	unix.CAP_BLOCK_SUSPEND:      "CAP_BLOCK_SUSPEND",
	unix.CAP_AUDIT_READ:         "CAP_AUDIT_READ",
	unix.CAP_PERFMON:            "CAP_PERFMON",
	unix.CAP_BPF:                "CAP_BPF",
	unix.CAP_CHECKPOINT_RESTORE: "CAP_CHECKPOINT_RESTORE",
}

// Set is a capability set as a bit mask: bit N is capability N.
type Set uint64

// Has reports whether the set holds capability c.
func (s Set) Has(c int) bool { return s&(1<<uint(c)) != 0 }

// Count returns the number of capabilities in the set.
func (s Set) Count() int { return bits.OnesCount64(uint64(s)) }

// String lists the names in the set, "(none)" for an empty one.
func (s Set) String() string {
	if s == 0 {
		return "(none)"
	}
	var names []string
	for c := 0; c < 64; c++ {
		if s.Has(c) {
			names = append(names, Name(c))
		}
	}
	return strings.Join(names, " ")
}

// Summary is the hex mask and the number of capabilities, with the names
// when there are few, for one line of output.
func (s Set) Summary() string {
	switch {
	case s == 0:
		return "0000000000000000 (none)"
	case s == Full():
		return fmt.Sprintf("%016x (all %d)", uint64(s), s.Count())
	case s.Count() <= 4:
		return fmt.Sprintf("%016x (%s)", uint64(s), s)
	}
	return fmt.Sprintf("%016x (%d capabilities)", uint64(s), s.Count())
}

// Name returns the name of capability c, or "cap_N" for one this table
// does not know (a kernel newer than the table).
func Name(c int) string {
	if c >= 0 && c < len(Names) {
		return Names[c]
	}
	return fmt.Sprintf("cap_%d", c)
}

// Parse takes a name with or without the CAP_ prefix, in any case.
func Parse(name string) (int, error) {
	want := strings.ToUpper(name)
	if !strings.HasPrefix(want, "CAP_") {
		want = "CAP_" + want
	}
	for c, n := range Names {
		if n == want {
			return c, nil
		}
	}
	return 0, fmt.Errorf("unknown capability %q (see capabilities(7); for example NET_ADMIN or CAP_SYS_TIME)", name)
}

// Last returns the highest capability number this kernel knows
// (/proc/sys/kernel/cap_last_cap).
func Last() int {
	b, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	if err != nil {
		return len(Names) - 1
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return len(Names) - 1
	}
	return n
}

// Full returns the set of every capability this kernel knows.
func Full() Set {
	return Set(uint64(1)<<uint(Last()+1) - 1)
}

// Sets are the five capability sets of a process.
type Sets struct {
	Inheritable, Permitted, Effective, Bounding, Ambient Set
}

// Read returns the capability sets of process pid (0 for the caller) from
// the CapInh, CapPrm, CapEff, CapBnd and CapAmb lines of its status file.
func Read(pid int) (Sets, error) {
	path := "/proc/self/status"
	if pid != 0 {
		path = fmt.Sprintf("/proc/%d/status", pid)
	}
	f, err := os.Open(path)
	if err != nil {
		return Sets{}, err
	}
	defer f.Close()
	var s Sets
	fields := map[string]*Set{
		"CapInh": &s.Inheritable, "CapPrm": &s.Permitted, "CapEff": &s.Effective,
		"CapBnd": &s.Bounding, "CapAmb": &s.Ambient,
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if dst, known := fields[key]; ok && known {
			v, err := strconv.ParseUint(strings.TrimSpace(value), 16, 64)
			if err != nil {
				return Sets{}, fmt.Errorf("%s: %s: %w", path, key, err)
			}
			*dst = Set(v)
		}
	}
	return s, sc.Err()
}
