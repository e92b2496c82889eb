package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"nslab/03-user/caps"
	"nslab/internal/labtest"
)

var bin string

func TestMain(m *testing.M) { os.Exit(labtest.Main(m, map[string]*string{".": &bin})) }

func owner(t *testing.T, path string) uint32 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Uid
}

// An unprivileged user is uid 0 inside; a file that root-inside creates
// belongs to uid 65534 on the host.
func TestNobodyBecomesRoot(t *testing.T) {
	labtest.NeedRoot(t)
	file := filepath.Join(labtest.SharedDir(t), "made-inside")
	r := labtest.RunAs(t, labtest.Nobody, bin, "--", "sh", "-c", `id -u; id -g; touch "$0"; stat -c %u "$0"`, file).Want(t, 0)
	if got := labtest.Lines(r.Stdout); strings.Join(got, " ") != "0 0 0" {
		t.Errorf("inside: uid, gid, file owner = %q, want 0 0 0", got)
	}
	if uid := owner(t, file); uid != labtest.Nobody {
		t.Errorf("outside, the file belongs to uid %d, want %d", uid, labtest.Nobody)
	}
	r.Contains(t, "before any map: uid=65534 gid=65534", "uid 0 here is uid 65534 to the host")
	r.Matches(t,
		`/proc/\d+/uid_map +<- 0 65534 1\n`,
		`/proc/\d+/setgroups +<- deny\n`,
		`/proc/\d+/gid_map +<- 0 65534 1\n`,
	)
}

// Outside: no capabilities. Inside: all of them, as /proc/self/status says.
func TestCapabilitiesInsideAndOutside(t *testing.T) {
	labtest.NeedRoot(t)
	r := labtest.RunAs(t, labtest.Nobody, bin, "--", "grep", "CapEff", "/proc/self/status").Want(t, 0)
	r.Contains(t, "parent: uid=65534 gid=65534", "effective capabilities 0000000000000000 (none)")
	hex := strings.TrimSpace(strings.TrimPrefix(r.Stdout, "CapEff:"))
	got, err := strconv.ParseUint(hex, 16, 64)
	if err != nil {
		t.Fatalf("CapEff line %q: %v", r.Stdout, err)
	}
	if want := caps.Full(); caps.Set(got) != want {
		t.Errorf("CapEff inside = %016x, want every capability %016x", got, uint64(want))
	}
}

// All capabilities, yet the host's hostname is out of reach; with --uts
// the namespace's own hostname can be set, and the host's still stays.
func TestCapabilitiesDoNotReachHost(t *testing.T) {
	labtest.NeedRoot(t)
	before, _ := os.Hostname()
	labtest.RunAs(t, labtest.Nobody, bin, "--", "true").Want(t, 0).
		Contains(t, "inside: sethostname: operation not permitted")
	r := labtest.RunAs(t, labtest.Nobody, bin, "--uts", "--", "hostname").Want(t, 0)
	r.Contains(t, `sethostname("nslab-03") works`)
	if strings.TrimSpace(r.Stdout) != "nslab-03" {
		t.Errorf("hostname inside = %q", r.Stdout)
	}
	if after, _ := os.Hostname(); after != before {
		t.Errorf("host hostname changed from %q to %q", before, after)
	}
}

func TestGoMaps(t *testing.T) {
	labtest.NeedRoot(t)
	r := labtest.RunAs(t, labtest.Nobody, bin, "--go-maps", "--", "id", "-u").Want(t, 0)
	r.Contains(t, "uid=0 gid=0 already: Go wrote the maps", "SysProcAttr.UidMappings")
	if strings.TrimSpace(r.Stdout) != "0" {
		t.Errorf("id -u inside = %q", r.Stdout)
	}
	if strings.Contains(r.Stderr, "by hand") {
		t.Error("--go-maps still wrote the maps by hand")
	}
}

// Root may map a range; root inside is then uid 100000 on the host.
func TestRootMapsARange(t *testing.T) {
	labtest.NeedRoot(t)
	file := filepath.Join(labtest.SharedDir(t), "made-inside")
	r := labtest.Run(t, bin, "--uid-map", "0 100000 65536", "--gid-map", "0:100000:65536",
		"--", "sh", "-c", `id -u; touch "$0"; cat /proc/self/uid_map`, file).Want(t, 0)
	lines := labtest.Lines(r.Stdout)
	if len(lines) != 2 || lines[0] != "0" || strings.Join(strings.Fields(lines[1]), " ") != "0 100000 65536" {
		t.Errorf("inside printed %q", lines)
	}
	if uid := owner(t, file); uid != 100000 {
		t.Errorf("outside, the file belongs to uid %d, want 100000", uid)
	}
}

func TestBadMapsRejected(t *testing.T) {
	labtest.NeedRoot(t)
	for m, want := range map[string]string{
		"0 1000":                  "--uid-map: range 1 \"0 1000\": want three numbers",
		"a 1000 1":                `"a" is not an id`,
		"0 1000 0":                "count is 0",
		"0 100000 10,5 200000 1":  `ranges 1 "0 100000 10" and 2 "5 200000 1" overlap inside`,
		"0 100000 10,20 100005 1": "overlap outside",
		"0 4294967290 10":         "runs past the largest id",
	} {
		r := labtest.Run(t, bin, "-v", "--uid-map", m, "--", "true").Want(t, 125)
		r.Contains(t, "03-user: --uid-map: ", want)
		if strings.Contains(r.Output(), "clone(") {
			t.Errorf("%q: a namespace was created before the check", m)
		}
	}
	labtest.RunAs(t, labtest.Nobody, bin, "--uid-map", "0 100000 65536", "--", "true").Want(t, 125).
		Contains(t, "a regular user may map only their own uid")
	labtest.RunAs(t, labtest.Nobody, bin, "--gid-map", "0 0 1", "--", "true").Want(t, 125).
		Contains(t, `--gid-map "0 0 1": a regular user may map only their own gid`)
}

// With user.max_user_namespaces=0 — set only inside a scratch user
// namespace, where the limit is the namespace's own — the error names the
// sysctl and the fix, and --check fails the same way.
func TestForbiddenBySysctl(t *testing.T) {
	labtest.NeedRoot(t)
	script := `echo 0 > /proc/sys/user/max_user_namespaces && "$BIN" -- true; echo "status $?"; "$BIN" --check; echo "check $?"`
	r := labtest.RunOpts(t, labtest.Opts{Env: []string{"BIN=" + bin}}, "unshare", "--user", "--map-root-user", "sh", "-c", script).Want(t, 0)
	r.Contains(t,
		"03-user: clone(CLONE_NEWUSER): no space left on device — sysctl -w user.max_user_namespaces=15000",
		"status 125",
		"FAIL  user.max_user_namespaces=0 forbids user namespaces — sysctl -w user.max_user_namespaces=15000",
		"check 1",
	)
}

func TestExitStatusAndExplain(t *testing.T) {
	labtest.NeedRoot(t)
	labtest.RunAs(t, labtest.Nobody, bin, "--", "sh", "-c", "exit 9").Want(t, 9)
	labtest.RunAs(t, labtest.Nobody, bin, "--", "sh", "-c", "kill -KILL $$").Want(t, 128+9)
	labtest.RunAs(t, labtest.Nobody, bin, "-v", "--", "true").Want(t, 0).Contains(t,
		"+ [parent] clone(CLONE_NEWUSER)",
		"$ printf '0 65534 1' > /proc/",
		"$ printf 'deny' > /proc/",
	)
}

func TestCheck(t *testing.T) {
	labtest.NeedRoot(t)
	labtest.Run(t, bin, "--check").Want(t, 0).Contains(t, "ok    uid 65534 can create a user namespace")
	labtest.RunAs(t, labtest.Nobody, bin, "--check").Want(t, 0)
}

// Bad maps, and the stages started by hand: one line, status 125.
func TestBadInput(t *testing.T) {
	labtest.Refused(t, bin, []labtest.Refusal{
		{Args: []string{"--uid-map", "x"}, Status: 125},
		{Args: []string{"--gid-map", "0 0 0"}, Status: 125},
		{Args: []string{"--uid-map", "0 1000"}, Status: 125},
		{Args: []string{"--uid-map", "0 4294967295 1"}, Status: 125},
		{Args: []string{"--go-maps=sure"}, Status: 125},
		{Args: []string{"--", "true"}, Argv0: "nslab:child", Status: 125},
		{Args: []string{"--", "true"}, Argv0: "nslab:inside", Status: 125},
	})
	labtest.RefusedToNobody(t, bin, []labtest.Refusal{
		{Args: []string{"--uid-map", "0 0 1", "--", "true"}, Status: 125},
	})
}
