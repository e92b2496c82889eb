// Package mountns holds the mount-namespace steps that chapters 04 and 06
// reuse: reading /proc/PID/mountinfo, changing a mount's propagation, and
// mounting with each step shown in explain mode.
package mountns

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Mount is one line of /proc/PID/mountinfo (see proc(5)):
//
//	36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
//	(1)(2)(3)   (4)   (5)      (6)      (7)   (8) (9)   (10)         (11)
type Mount struct {
	ID         int      // (1) unique id of the mount
	ParentID   int      // (2) id of the mount it sits on
	Root       string   // (4) which directory of the filesystem is mounted
	MountPoint string   // (5) where, relative to the reader's root
	Options    string   // (6) per-mount options
	Optional   []string // (7) propagation tags: shared:N, master:N, propagate_from:N, unbindable
	FSType     string   // (9)
	Source     string   // (10)
	Line       string   // the whole line, as the kernel wrote it
}

// Propagation describes how mount events travel to and from this mount:
// "shared:N" (peer group N), "master:N" (a slave of group N), both, or
// "private" when the kernel printed no tag.
func (m Mount) Propagation() string {
	var tags []string
	for _, t := range m.Optional {
		if strings.HasPrefix(t, "shared:") || strings.HasPrefix(t, "master:") || t == "unbindable" {
			tags = append(tags, t)
		}
	}
	if len(tags) == 0 {
		return "private"
	}
	return strings.Join(tags, " ")
}

// Shared reports whether the mount is in a peer group: mounts made beneath
// it propagate to its peers.
func (m Mount) Shared() bool {
	return strings.Contains(m.Propagation(), "shared:")
}

// Read parses a mountinfo file, "/proc/self/mountinfo" or
// "/proc/PID/mountinfo".
func Read(path string) ([]Mount, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var mounts []Mount
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		m, err := ParseLine(sc.Text())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		mounts = append(mounts, m)
	}
	return mounts, sc.Err()
}

// ParseLine parses one mountinfo line.
func ParseLine(line string) (Mount, error) {
	pre, post, ok := strings.Cut(line, " - ")
	f, g := strings.Fields(pre), strings.Fields(post)
	if !ok || len(f) < 6 || len(g) < 2 {
		return Mount{}, fmt.Errorf("malformed mountinfo line %q", line)
	}
	id, err1 := strconv.Atoi(f[0])
	parent, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil {
		return Mount{}, fmt.Errorf("malformed mount ids in %q", line)
	}
	return Mount{
		ID:         id,
		ParentID:   parent,
		Root:       unescape(f[3]),
		MountPoint: unescape(f[4]),
		Options:    f[5],
		Optional:   f[6:],
		FSType:     g[0],
		Source:     unescape(g[1]),
		Line:       line,
	}, nil
}

// unescape undoes the octal escapes (\040 for a space, \011, \012, \134)
// the kernel uses for characters that would break the line apart.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// Find returns the topmost mount at mountPoint: when several are stacked
// on the same point, the last one in the table is the one in use.
func Find(mounts []Mount, mountPoint string) (Mount, bool) {
	for i := len(mounts) - 1; i >= 0; i-- {
		if mounts[i].MountPoint == mountPoint {
			return mounts[i], true
		}
	}
	return Mount{}, false
}

// Under returns the mounts at dir or beneath it.
func Under(mounts []Mount, dir string) []Mount {
	dir = strings.TrimSuffix(dir, "/")
	var out []Mount
	for _, m := range mounts {
		if m.MountPoint == dir || strings.HasPrefix(m.MountPoint, dir+"/") {
			out = append(out, m)
		}
	}
	return out
}
