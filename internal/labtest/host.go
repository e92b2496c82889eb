package labtest

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

// HostState is what a program could leave behind on the host: network
// links, named network namespaces, nftables rules and the sysctls of
// forwarding, mounts, files under /run/nslab, and the file descriptors of
// the test process itself.
type HostState struct {
	Links   []string
	NetNS   []string
	Ruleset []string // nft list ruleset, line by line
	Sysctls []string // ip_forward, conf/*/forwarding, conf/all/accept_redirects
	Mounts  []string
	Run     []string
	Tmp     []string // rootless state directories, /tmp/nslab-UID
	Cgroups []string
	FDs     int
}

// Snapshot reads the host's current state.
func Snapshot(t testing.TB) HostState {
	t.Helper()
	return HostState{
		Links:   dirNames("/sys/class/net"),
		NetNS:   dirNames("/run/netns"),
		Ruleset: ruleset(t),
		Sysctls: forwardingSysctls(),
		Mounts:  Mounts(t, "/proc/self/mountinfo"),
		Run:     tree("/run/nslab"),
		Tmp:     glob("/tmp/nslab-[0-9]*"),
		Cgroups: cgroupTree(),
		FDs:     len(dirNames("/proc/self/fd")),
	}
}

// ruleset lists the host's nftables rules, as nft(8) prints them.
func ruleset(t testing.TB) []string {
	out, err := exec.Command("nft", "list", "ruleset").Output()
	if err != nil {
		t.Fatalf("nft list ruleset: %v (the tests need nft: apt-get install nftables)", err)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

// forwardingSysctls reads the settings that turning forwarding on
// changes, as "path=value".
func forwardingSysctls() []string {
	paths, _ := filepath.Glob("/proc/sys/net/ipv4/conf/*/forwarding")
	paths = append(paths, "/proc/sys/net/ipv4/ip_forward", "/proc/sys/net/ipv4/conf/all/accept_redirects")
	var out []string
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			out = append(out, strings.TrimPrefix(p, "/proc/sys/net/ipv4/")+"="+strings.TrimSpace(string(b)))
		}
	}
	sort.Strings(out)
	return out
}

// cgroupTree lists nslab's subtree of the cgroup v2 hierarchy.
func cgroupTree() []string {
	if root := unifiedCgroup(); root != "" {
		return tree(filepath.Join(root, "nslab"))
	}
	return nil
}

// unifiedCgroup is where the cgroup v2 hierarchy is mounted, "" if none.
func unifiedCgroup() string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		pre, post, _ := strings.Cut(sc.Text(), " - ")
		if f1, f2 := strings.Fields(pre), strings.Fields(post); len(f1) > 4 && len(f2) > 0 && f2[0] == "cgroup2" {
			return f1[4]
		}
	}
	return ""
}

// NoTrace records the host's state now and, when the test ends, fails it
// if the state differs. It holds the host lock meanwhile, so that no other
// test process changes the host under it. Deleting a network namespace
// frees its devices asynchronously, so the comparison is retried for a few
// seconds.
func NoTrace(t testing.TB) {
	t.Helper()
	unlock, err := LockHost()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(unlock)
	before := Snapshot(t)
	t.Cleanup(func() {
		var after HostState
		for i := 0; i < 50; i++ {
			after = Snapshot(t)
			if reflect.DeepEqual(before, after) {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Errorf("the host changed:\n%s", diff(before, after))
	})
}

// Diff lists what differs from a in b, one "+" or "-" line per thing: for
// a test that cannot take the host's lock (its own tests take it) and so
// compares snapshots itself.
func (a HostState) Diff(b HostState) string { return diff(a, b) }

func diff(a, b HostState) string {
	var out strings.Builder
	list := func(name string, x, y []string) {
		for _, s := range minus(y, x) {
			fmt.Fprintf(&out, "  + %s %s\n", name, s)
		}
		for _, s := range minus(x, y) {
			fmt.Fprintf(&out, "  - %s %s\n", name, s)
		}
	}
	list("link", a.Links, b.Links)
	list("netns", a.NetNS, b.NetNS)
	list("nft", a.Ruleset, b.Ruleset)
	list("sysctl", a.Sysctls, b.Sysctls)
	list("mount", a.Mounts, b.Mounts)
	list("/run/nslab", a.Run, b.Run)
	list("rootless state", a.Tmp, b.Tmp)
	list("cgroup", a.Cgroups, b.Cgroups)
	if a.FDs != b.FDs {
		fmt.Fprintf(&out, "  open fds of the test: %d before, %d after\n", a.FDs, b.FDs)
	}
	return out.String()
}

// minus returns the strings of x that are not in y.
func minus(x, y []string) []string {
	in := map[string]bool{}
	for _, s := range y {
		in[s] = true
	}
	var out []string
	for _, s := range x {
		if !in[s] {
			out = append(out, s)
		}
	}
	return out
}

// Mounts reads a mountinfo file and returns one "mount point, type,
// source" line per mount, sorted, leaving out the numbers that change
// between two reads of the same table.
func Mounts(t testing.TB, mountinfo string) []string {
	t.Helper()
	f, err := os.Open(mountinfo)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var mounts []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw
		pre, post, _ := strings.Cut(sc.Text(), " - ")
		f1, f2 := strings.Fields(pre), strings.Fields(post)
		if len(f1) < 5 || len(f2) < 2 {
			continue
		}
		mounts = append(mounts, f1[4]+" "+f2[0]+" "+f2[1])
	}
	sort.Strings(mounts)
	return mounts
}

// glob lists the paths that match a pattern.
func glob(pattern string) []string {
	paths, _ := filepath.Glob(pattern)
	return paths
}

// dirNames lists a directory; a missing directory is empty.
func dirNames(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// tree lists every path under root; a missing root is empty.
func tree(root string) []string {
	var paths []string
	_ = filepath.Walk(root, func(path string, _ os.FileInfo, err error) error {
		if err == nil && path != root {
			paths = append(paths, path)
		}
		return nil
	})
	return paths
}

// RestoreRunNetns undoes, at the test's end, what the first ip netns add
// on a machine leaves behind: /run/netns, and a bind mount of it onto
// itself (which ip makes to share it). When no name is left there and
// neither was there before, both go. Call it after NoTrace, whose check
// then runs after it.
func RestoreRunNetns(t testing.TB) {
	t.Helper()
	_, err := os.Stat("/run/netns")
	existed := err == nil
	mounted := false
	for _, m := range Mounts(t, "/proc/self/mountinfo") {
		if strings.HasPrefix(m, "/run/netns ") {
			mounted = true
		}
	}
	t.Cleanup(func() {
		if left, _ := os.ReadDir("/run/netns"); len(left) > 0 {
			return
		}
		if !mounted {
			_ = exec.Command("umount", "/run/netns").Run()
		}
		if !existed {
			os.Remove("/run/netns")
		}
	})
}
