package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nslab/02-mount/mountns"
	"nslab/internal/labtest"
)

var bin string

func TestMain(m *testing.M) { os.Exit(labtest.Main(m, map[string]*string{".": &bin})) }

// leakScript runs 02-mount with the given flags on dir, and has the
// command inside grep the *host's* mountinfo (that of the shell standing
// for the host) for dir while the child's mounts exist.
const leakScript = `host=$$
"$BIN" $FLAGS --dir "$DIR" -- sh -c "grep -c ' $DIR/' /proc/$host/mountinfo; grep -c ' $DIR/' /proc/self/mountinfo"
echo "after: $(grep -c " $DIR/" /proc/self/mountinfo)"`

func runLeakScript(t *testing.T, flags string) labtest.Result {
	dir := t.TempDir()
	return labtest.SystemdLikeHost(t, []string{"BIN=" + bin, "DIR=" + dir, "FLAGS=" + flags}, leakScript)
}

// subMount makes the scratch directory a shared mount of its own first,
// as a host's /tmp or /run often is: only a recursive change of
// propagation (MS_REC) reaches it.
const subMount = `mount -t tmpfs nslab-sub "$DIR" && mount --make-shared "$DIR" && `

// On a host whose / is shared, the default (private) and slave leave the
// host's table untouched while the child has two mounts — also when the
// mounts go under a shared submount.
func TestNoLeakOnSystemdLikeHost(t *testing.T) {
	labtest.NeedRoot(t)
	labtest.NoTrace(t)
	for _, flags := range []string{"", "--propagation slave"} {
		for _, pre := range []string{"", subMount} {
			env := []string{"BIN=" + bin, "DIR=" + t.TempDir(), "FLAGS=" + flags}
			r := labtest.SystemdLikeHost(t, env, pre+leakScript).Want(t, 0)
			if got := labtest.Lines(r.Stdout); len(got) != 3 || got[0] != "0" || got[1] != "2" || got[2] != "after: 0" {
				t.Errorf("%q %q: host/child/after mount counts = %q, want 0, 2, after: 0\n%s", flags, pre, got, r.Stderr)
			}
			r.Contains(t, "host:   / is shared:", "stayed in its namespace")
		}
	}
}

// The control experiment: leave / shared, and the same grep does see the
// leak — so the test above could have failed. 02-mount reports the leak
// and removes it.
func TestLeakWithoutPrivateIsSeenAndRemoved(t *testing.T) {
	labtest.NeedRoot(t)
	labtest.NoTrace(t)
	r := runLeakScript(t, "--propagation unchanged").Want(t, 0)
	if got := labtest.Lines(r.Stdout); len(got) != 3 || got[0] != "2" || got[2] != "after: 0" {
		t.Errorf("host/child/after mount counts = %q, want 2, 2, after: 0\n%s", got, r.Stderr)
	}
	r.Contains(t, "LEAKED", "removed them again")
}

// Inside, the tmpfs and the bind mount are the same filesystem: a file
// written through one is read through the other.
func TestTmpfsAndBindInside(t *testing.T) {
	labtest.NeedRoot(t)
	labtest.NoTrace(t)
	dir := t.TempDir()
	r := labtest.Run(t, bin, "--dir", dir, "--", "cat", "/proc/self/mountinfo").Want(t, 0)
	var mounts []mountns.Mount
	for _, line := range labtest.Lines(r.Stdout) {
		m, err := mountns.ParseLine(line)
		if err != nil {
			t.Fatal(err)
		}
		mounts = append(mounts, m)
	}
	tmpfs, ok1 := mountns.Find(mounts, dir+"/tmpfs")
	bind, ok2 := mountns.Find(mounts, dir+"/bind")
	if !ok1 || !ok2 || tmpfs.FSType != "tmpfs" || bind.FSType != "tmpfs" || tmpfs.Source != "nslab-02" {
		t.Fatalf("mounts inside: tmpfs=%+v bind=%+v", tmpfs, bind)
	}
	if root, _ := mountns.Find(mounts, "/"); root.Propagation() != "private" {
		t.Errorf("/ inside is %s, want private", root.Propagation())
	}
	report := labtest.Run(t, bin, "--dir", dir).Want(t, 0)
	if !strings.Contains(report.Stdout, dir+"/bind/hello: written to the tmpfs, read through the bind mount") {
		t.Errorf("report = %q", report.Stdout)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("%s not empty afterwards: %v", dir, entries)
	}
}

func TestDemoPropagation(t *testing.T) {
	labtest.NeedRoot(t)
	labtest.NoTrace(t)
	before := scratchDirs(t)
	r := labtest.Run(t, bin, "--demo-propagation").Want(t, 0)
	for _, row := range [][]string{
		{"shared", "yes — it leaked", "yes"},
		{"slave", "no", "yes"},
		{"private", "no", "no"},
	} {
		found := false
		for _, line := range labtest.Lines(r.Stdout) {
			f := strings.Split(strings.Join(strings.Fields(line), " "), " ")
			if len(f) > 0 && f[0] == row[0] {
				found = strings.Join(f[1:], " ") == row[1]+" "+row[2]
				break
			}
		}
		if !found {
			t.Errorf("row %v missing or wrong:\n%s", row, r.Stdout)
		}
	}
	if after := scratchDirs(t); len(after) != len(before) {
		t.Errorf("scratch directories left in /tmp: %v", after)
	}
}

func scratchDirs(t *testing.T) []string {
	m, err := filepath.Glob(filepath.Join(os.TempDir(), "nslab-02-*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestBadInputCreatesNothing(t *testing.T) {
	labtest.NeedRoot(t)
	labtest.NoTrace(t)
	before := scratchDirs(t)
	labtest.Run(t, bin, "-v", "--propagation", "sideways").Want(t, 125).Contains(t, `02-mount: --propagation "sideways": want private, slave, shared or unchanged`)
	r := labtest.Run(t, bin, "-v", "--dir", "/no/such/dir").Want(t, 125).Contains(t, "02-mount: --dir /no/such/dir: not an existing directory")
	if strings.Contains(r.Output(), "clone(") {
		t.Errorf("a namespace was created before the check:\n%s", r.Output())
	}
	if after := scratchDirs(t); len(after) != len(before) {
		t.Errorf("scratch directories left in /tmp: %v", after)
	}
}

func TestExitStatusPassesThrough(t *testing.T) {
	labtest.NeedRoot(t)
	labtest.Run(t, bin, "--", "sh", "-c", "exit 7").Want(t, 7)
	labtest.Run(t, bin, "--", "no-such-command").Want(t, 127)
}

// A regular user needs --user; with it, the mount namespace belongs to the
// new user namespace, and its copy of a shared / is reduced to a slave.
func TestUnprivileged(t *testing.T) {
	labtest.NeedRoot(t)
	labtest.NoTrace(t)
	labtest.RunAs(t, labtest.Nobody, bin, "--", "true").Want(t, 125).Contains(t, "chapter 03")
	labtest.RunAs(t, labtest.Nobody, bin, "--user", "--", "true").Want(t, 0).Contains(t, "stayed in its namespace")
	r := labtest.SystemdLikeHost(t, []string{"BIN=" + bin}, `setpriv --reuid 65534 --regid 65534 --clear-groups "$BIN" --user --propagation unchanged -- true`).Want(t, 0)
	r.Contains(t, "stayed in its namespace").Matches(t, `/ before: .* master:\d+ - .*\(master:\d+\)`)
}

func TestExplainMode(t *testing.T) {
	labtest.NeedRoot(t)
	labtest.Run(t, bin, "-v", "--", "true").Want(t, 0).Contains(t,
		"+ [parent] clone(CLONE_NEWNS)",
		`+ [child] mount(NULL, "/", NULL, MS_REC|MS_PRIVATE, NULL)`,
		"$ mount --make-rprivate /",
		"$ mount -t tmpfs -o nosuid,nodev,size=1m,mode=755 nslab-02 ",
		"$ mount --bind ",
	)
}

func TestCheck(t *testing.T) {
	labtest.NeedRoot(t)
	labtest.Run(t, bin, "--check").Want(t, 0).Contains(t, "ok    unshare(CLONE_NEWNS) works here")
}

// Bad input, and the stages started by hand (they would make the host's
// "/" private and mount on it): one line, status 125, nothing changed.
func TestBadInput(t *testing.T) {
	labtest.Refused(t, bin, []labtest.Refusal{
		{Args: []string{"--propagation", "sideways"}, Status: 125},
		{Args: []string{"--dir", "/no/such/dir"}, Status: 125},
		{Args: []string{"--dir", "/etc/passwd"}, Status: 125},
		{Args: []string{"--demo-propagation=perhaps"}, Status: 125},
		{Args: []string{"--dir", "/tmp", "--", "true"}, Argv0: "nslab:child", Status: 125},
		{Args: []string{"--dir", "/tmp/x/private"}, Argv0: "nslab:demo-child", Status: 125},
	})
	labtest.RefusedToNobody(t, bin, []labtest.Refusal{
		{Args: []string{"--demo-propagation"}, Status: 125},
		{Args: []string{"--", "true"}, Status: 125},
	})
}

// A learner's own mount under the directory — made on the host while the
// child runs, as exercise 1 asks — reaches the slave child, and is neither
// reported as the program's leak nor removed: the program looks only for
// the two mounts it made.
func TestHandMadeMountIsLeftAlone(t *testing.T) {
	labtest.NeedRoot(t)
	labtest.NoTrace(t)
	dir := t.TempDir()
	script := `mkdir "$DIR/x"; mkfifo "$DIR/ready" "$DIR/go"
"$BIN" --propagation slave --dir "$DIR" -- sh -c 'echo > "$DIR/ready"; read x < "$DIR/go"; findmnt -n -o SOURCE "$DIR/x"' &
read x < "$DIR/ready"
mount -t tmpfs hostmade "$DIR/x"
echo go > "$DIR/go"; wait $!
echo "after: $(grep -c " $DIR/x " /proc/$$/mountinfo)"
umount "$DIR/x"; rm "$DIR/ready" "$DIR/go"; rmdir "$DIR/x"`
	r := labtest.SystemdLikeHost(t, []string{"BIN=" + bin, "DIR=" + dir}, script).Want(t, 0)
	if got := labtest.Lines(r.Stdout); len(got) != 2 || got[0] != "hostmade" || got[1] != "after: 1" {
		t.Errorf("inside / after = %q, want hostmade, after: 1\n%s", got, r.Stderr)
	}
	if strings.Contains(r.Stderr, "LEAKED") {
		t.Errorf("the learner's mount was reported as a leak:\n%s", r.Stderr)
	}
	r.Contains(t, "they stayed in its namespace")
}
