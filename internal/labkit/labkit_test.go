package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"nslab/internal/labtest"
)

const sample = `package p

import (
	"fmt"
	"os"
)

// Hello greets.
//
// LAB 9.1 (guided): print the greeting — docs/x.md, write(2).
func Hello() error {
	_, err := fmt.Println("hello")
	return err
}

// Home is kept.
//
// LAB 9.2 (open): read HOME.
// Checked by TestHome, TestEnv.
func Home() string { return os.Getenv("HOME") }
`

// A cut keeps the signature, puts a stub that names the step in place of
// the body, drops the imports only the body used, and leaves alone what
// the level does not cut.
func TestCutFile(t *testing.T) {
	out, cut, err := cutFile("p.go", []byte(sample), "guided")
	if err != nil {
		t.Fatal(err)
	}
	got := string(out)
	if len(cut) != 1 || cut[0].ID != "9.1" || cut[0].Func != "Hello" || cut[0].Hint != "print the greeting — docs/x.md, write(2)." {
		t.Errorf("cut %+v", cut)
	}
	for _, want := range []string{`func Hello() error {`, `panic("TODO LAB 9.1: print the greeting — docs/x.md, write(2).")`, `"os"`, `os.Getenv("HOME")`} {
		if !strings.Contains(got, want) {
			t.Errorf("the cut file lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, `"fmt"`) {
		t.Errorf("fmt, used only by the cut body, is still imported:\n%s", got)
	}
	if _, cut, _ := cutFile("p.go", []byte(sample), "open"); len(cut) != 2 {
		t.Errorf("level open cut %d functions, want 2", len(cut))
	}
	_, cut, _ = cutFile("p.go", []byte(sample), "9.2")
	if len(cut) != 1 || cut[0].Func != "Home" || strings.Join(cut[0].Tests, " ") != "TestHome TestEnv" {
		t.Errorf("level 9.2 cut %+v, want Home alone, checked by TestHome and TestEnv", cut)
	}
}

// What a failed test said is kept, but not a stack trace: an error
// line that ends in parentheses stays, the trace's functions go.
func TestMessages(t *testing.T) {
	said := "=== RUN   TestX\n    main_test.go:26: exit status 125\n" +
		"05-net: step 3: panic: TODO LAB 5.2: see rtnetlink(7) (everything created so far was removed)\n" +
		"goroutine 1 [running]:\nnslab/05-net.(*lab).walk(0xc000010000, 0x1)\n\t/work/05-net/lab.go:80 +0x1f\n--- FAIL: TestX (0.01s)\n"
	want := "    main_test.go:26: exit status 125\n05-net: step 3: panic: TODO LAB 5.2: see rtnetlink(7) (everything created so far was removed)"
	if got := messages(said); got != want {
		t.Errorf("messages kept:\n%s\nwant:\n%s", got, want)
	}
}

// The whole loop on chapter 01, as root: every level's copy builds; the
// untouched guided skeleton fails its check with the first step's hint;
// the reference, graded the same way, passes every step.
func TestLabLoop(t *testing.T) {
	labtest.NeedRoot(t)
	top, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, level := range []string{"guided", "open", "challenge", "none"} {
		copyDir := filepath.Join(dir, level)
		if _, err := makeLab(top, "01-uts", copyDir, level); err != nil {
			t.Fatal(err)
		}
		build := exec.Command("go", "build", "-o", os.DevNull, ".")
		build.Dir = copyDir
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("the %s copy does not build: %v\n%s", level, err, out)
		}
	}
	if _, err := makeLab(top, "01-uts", filepath.Join(dir, "guided"), "guided"); err == nil {
		t.Error("makeLab wrote over an existing copy")
	}
	skeleton, err := checkLab(top, "01-uts", filepath.Join(dir, "guided"), "")
	if err != nil {
		t.Fatal(err)
	}
	var first *step
	for i := range skeleton {
		if !skeleton[i].Pass {
			first = &skeleton[i]
			break
		}
	}
	if first == nil || !strings.HasPrefix(first.Hint, "LAB 1.1 (SetHostname):") || strings.Contains(first.Output, "goroutine ") {
		t.Errorf("the skeleton's first failure: %+v", first)
	}
	reference, err := checkLab(top, "01-uts", filepath.Join(dir, "none"), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range reference {
		if !s.Pass {
			t.Errorf("the reference fails %s:\n%s", s.Test, s.Output)
		}
	}
	if len(reference) == 0 {
		t.Error("no step was run")
	}
}

var chapters = []string{"01-uts", "02-mount", "03-user", "04-pid", "05-net", "06-container"}

// Every step of every chapter, cut alone, fails the tests its hint names
// — so no step is dead weight, and the hint sends the student to the
// right place — and every level of every chapter builds. Only the named
// tests run, to keep this short.
func TestEveryStepIsChecked(t *testing.T) {
	labtest.NeedRoot(t)
	top, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, chapter := range chapters {
		for _, level := range []string{"guided", "open", "challenge"} {
			buildLab(t, top, chapter, filepath.Join(dir, chapter+"-"+level), level)
		}
		regions, err := regionsOf(top, chapter)
		if err != nil {
			t.Fatal(err)
		}
		if len(regions) < 2 {
			t.Errorf("%s has %d marked steps, want 2 or more", chapter, len(regions))
		}
		for _, r := range regions {
			before := labtest.Snapshot(t)
			stepFailsItsTests(t, top, chapter, filepath.Join(dir, chapter+"-"+r.ID), r)
			if changed := changes(t, before); changed != "" {
				t.Errorf("LAB %s cut alone left the host changed — a half-written step must not leak what the steps before it made:\n%s", r.ID, changed)
			}
		}
	}
}

// changes waits up to five seconds for the host to be as before — a
// network namespace goes asynchronously — and says what stayed different.
// (labtest.NoTrace would take the host's lock, which the chapter's own
// tests take too.)
func changes(t *testing.T, before labtest.HostState) string {
	var after labtest.HostState
	for i := 0; i < 50; i++ {
		if after = labtest.Snapshot(t); reflect.DeepEqual(before, after) {
			return ""
		}
		time.Sleep(100 * time.Millisecond)
	}
	return before.Diff(after)
}

// buildLab makes a copy at a level and builds it.
func buildLab(t *testing.T, top, chapter, dir, level string) {
	t.Helper()
	if _, err := makeLab(top, chapter, dir, level); err != nil {
		t.Fatal(err)
	}
	build := exec.Command("go", "build", "-o", os.DevNull, ".")
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		t.Errorf("%s at level %s does not build: %v\n%s", chapter, level, err, out)
	}
}

// stepFailsItsTests cuts one step alone and runs the tests that check
// it: each must fail, with the step's own hint.
func stepFailsItsTests(t *testing.T, top, chapter, dir string, r region) {
	t.Helper()
	if len(r.Tests) == 0 {
		t.Errorf("LAB %s (%s) names no test: end its hint with \"Checked by TestX.\"", r.ID, r.Func)
		return
	}
	t.Logf("LAB %s (%s) cut alone, against %s", r.ID, r.Func, strings.Join(r.Tests, ", "))
	cut, err := makeLab(top, chapter, dir, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(cut) != 1 {
		t.Fatalf("LEVEL=%s cut %d functions, want 1", r.ID, len(cut))
	}
	list, err := checkLab(top, chapter, dir, "^("+strings.Join(r.Tests, "|")+")$")
	if err != nil {
		t.Fatalf("LAB %s: %v", r.ID, err)
	}
	ran := map[string]step{}
	for _, s := range list {
		ran[s.Test] = s
	}
	for _, name := range r.Tests {
		s, ok := ran[name]
		switch {
		case !ok:
			t.Errorf("LAB %s: %s did not run — is it a test of %s?", r.ID, name, chapter)
		case s.Pass:
			t.Errorf("LAB %s (%s) cut alone: %s still passes — it does not check the step", r.ID, r.Func, name)
		case !strings.HasPrefix(s.Hint, "LAB "+r.ID+" "):
			t.Errorf("LAB %s cut alone: %s fails with the hint of another step: %s", r.ID, name, s.Hint)
		}
	}
}

// make lab-NN writes only under LABS: the project's files stay as they
// were. The tree is compared file by file — not with git status, since a
// classroom VM may hold the project as an archive, without .git.
func TestMakeLabLeavesTheTreeClean(t *testing.T) {
	top, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	status := func() string { return fingerprint(t, top) }
	before := status()
	labs := t.TempDir()
	make := exec.Command("make", "-s", "lab-03", "LEVEL=open", "LABS="+labs)
	make.Dir = top
	if out, err := make.CombinedOutput(); err != nil {
		t.Fatalf("make lab-03: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(labs, "03-user", "go.mod")); err != nil {
		t.Errorf("make lab-03 wrote no copy: %v", err)
	}
	if after := status(); after != before {
		t.Errorf("make lab-03 changed the project's files:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// fingerprint lists every file of the project with its size, mode and
// modification time, leaving out what .gitignore does (bin/, rootfs/,
// labs/…) and .git itself.
func fingerprint(t *testing.T, top string) string {
	skip := map[string]bool{".git": true, "bin": true, "rootfs": true, "labs": true, ".vm": true, ".tools": true}
	var b strings.Builder
	err := filepath.Walk(top, func(path string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(top, path)
		if fi.IsDir() && (skip[rel] || strings.HasPrefix(rel, "rootfs.tmp.")) {
			return filepath.SkipDir
		}
		fmt.Fprintf(&b, "%s %d %v %d\n", rel, fi.Size(), fi.Mode(), fi.ModTime().UnixNano())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}
