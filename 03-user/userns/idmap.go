// Package userns parses, checks and writes the uid and gid maps of a user
// namespace — by hand, through /proc/PID/uid_map, /proc/PID/setgroups and
// /proc/PID/gid_map, so every write can be seen. 06-container reuses it for
// rootless containers.
package userns

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// MaxLines is how many lines a map may have since Linux 4.15 (it was 5).
const MaxLines = 340

// Range maps Count consecutive ids starting at Inside (in the new
// namespace) to ids starting at Outside (in the parent namespace): one line
// of uid_map, "Inside Outside Count".
type Range struct {
	Inside, Outside, Count uint32
}

// Map is a whole uid_map or gid_map.
type Map []Range

// String returns the map as the kernel wants it written: one line per
// range, all in a single write(2).
func (m Map) String() string {
	var b strings.Builder
	for _, r := range m {
		fmt.Fprintf(&b, "%d %d %d\n", r.Inside, r.Outside, r.Count)
	}
	return b.String()
}

// OneLine returns the map with commas between the ranges, as the flags
// take it.
func (m Map) OneLine() string {
	return strings.ReplaceAll(strings.TrimSuffix(m.String(), "\n"), "\n", ",")
}

// Single maps one outside id to root (0) inside: all that an unprivileged
// user may write.
func Single(outside int) Map {
	return Map{{Inside: 0, Outside: uint32(outside), Count: 1}}
}

// ParseMap reads ranges separated by commas, each "INSIDE OUTSIDE COUNT"
// (or with colons, "INSIDE:OUTSIDE:COUNT"), for example
// "0 100000 65536" or "0:1000:1,1:100000:65535". It refuses what the
// kernel would refuse — zero counts, ranges that run past the largest id,
// ranges that overlap inside or outside, too many lines — with a message
// that says which range is wrong.
func ParseMap(s string) (Map, error) {
	var m Map
	for i, part := range strings.Split(s, ",") {
		fields := strings.FieldsFunc(part, func(r rune) bool { return r == ' ' || r == ':' || r == '\t' })
		if len(fields) != 3 {
			return nil, fmt.Errorf("range %d %q: want three numbers, INSIDE OUTSIDE COUNT", i+1, strings.TrimSpace(part))
		}
		var n [3]uint32
		for j, f := range fields {
			v, err := strconv.ParseUint(f, 10, 32)
			if err != nil {
				return nil, fmt.Errorf("range %d %q: %q is not an id (0 to %d)", i+1, strings.TrimSpace(part), f, uint32(math.MaxUint32))
			}
			n[j] = uint32(v)
		}
		m = append(m, Range{Inside: n[0], Outside: n[1], Count: n[2]})
	}
	return m, m.Check()
}

// Check applies the kernel's rules for a map (see user_namespaces(7)).
func (m Map) Check() error {
	if len(m) == 0 {
		return fmt.Errorf("empty map")
	}
	if len(m) > MaxLines {
		return fmt.Errorf("%d ranges: the kernel takes at most %d", len(m), MaxLines)
	}
	for i, r := range m {
		if r.Count == 0 {
			return fmt.Errorf("range %d %q: count is 0", i+1, r.text())
		}
		// The last id of a range must be at most 2^32-2: 2^32-1 is
		// (uid_t)-1, which means "no id" to setresuid(2) and chown(2).
		if uint64(r.Inside)+uint64(r.Count)-1 >= math.MaxUint32 ||
			uint64(r.Outside)+uint64(r.Count)-1 >= math.MaxUint32 {
			return fmt.Errorf("range %d %q runs past the largest id, %d", i+1, r.text(), uint32(math.MaxUint32-1))
		}
		for j := 0; j < i; j++ {
			o := m[j]
			if overlap(r.Inside, r.Count, o.Inside, o.Count) {
				return fmt.Errorf("ranges %d %q and %d %q overlap inside", j+1, o.text(), i+1, r.text())
			}
			if overlap(r.Outside, r.Count, o.Outside, o.Count) {
				return fmt.Errorf("ranges %d %q and %d %q overlap outside", j+1, o.text(), i+1, r.text())
			}
		}
	}
	return nil
}

func (r Range) text() string { return fmt.Sprintf("%d %d %d", r.Inside, r.Outside, r.Count) }

func overlap(a, an, b, bn uint32) bool {
	return uint64(a) < uint64(b)+uint64(bn) && uint64(b) < uint64(a)+uint64(an)
}

// CheckUnprivileged applies the extra rule for a writer without
// CAP_SETUID (or CAP_SETGID) in the parent namespace: one line, mapping
// only the writer's own id. what is "uid" or "gid".
func (m Map) CheckUnprivileged(what string, own int) error {
	if len(m) == 1 && m[0].Outside == uint32(own) && m[0].Count == 1 {
		return nil
	}
	return fmt.Errorf("--%s-map %q: a regular user may map only their own %s, as one line like \"0 %d 1\" — more needs root (or newuidmap(1) and /etc/sub%s)",
		what, m.OneLine(), what, own, what)
}

// Contains reports whether the map gives an inside id to outside.
func (m Map) Contains(outside uint32) bool {
	for _, r := range m {
		if outside >= r.Outside && uint64(outside) < uint64(r.Outside)+uint64(r.Count) {
			return true
		}
	}
	return false
}
