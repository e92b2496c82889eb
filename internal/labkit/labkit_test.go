package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

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
	skeleton, err := checkLab(top, "01-uts", filepath.Join(dir, "guided"))
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
	reference, err := checkLab(top, "01-uts", filepath.Join(dir, "none"))
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
