package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// step is one of the chapter's behavioural tests, as the student's
// binary fared in it.
type step struct {
	Test   string `json:"test"`
	Pass   bool   `json:"pass"`
	Output string `json:"output,omitempty"` // what the test said, for a failure
	Hint   string `json:"hint,omitempty"`
}

// testEvent is one line of go test -json.
type testEvent struct {
	Action, Test, Output string
}

// checkLab builds the student's copy and runs the project's own tests of
// the chapter's program against that binary: labtest.Build takes it from
// NSLAB_PREBUILT instead of building the reference. The tests are the
// tracked ones, never the copy's; run, when not empty, narrows them as
// go test -run does.
func checkLab(top, chapter, dir, run string) ([]step, error) {
	bin, err := os.MkdirTemp("", "nslab-check-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(bin)
	if err := os.Chmod(bin, 0o755); err != nil {
		return nil, err
	}
	build := exec.Command("go", "build", "-o", filepath.Join(bin, filepath.Base(chapter)), ".")
	build.Dir, build.Env = dir, append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("your copy does not build:\n%s", out)
	}
	if chapter == "06-container" {
		// The tests' probe is the reference's: the lab is the runtime.
		probe := exec.Command("go", "build", "-o", filepath.Join(bin, "nsprobe"), "./06-container/nsprobe")
		probe.Dir, probe.Env = top, append(os.Environ(), "CGO_ENABLED=0")
		if out, err := probe.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("building nsprobe: %v\n%s", err, out)
		}
	}
	test := exec.Command("go", "test", "-json", "-count=1", "-run", run, "./"+chapter+"/")
	test.Dir, test.Env = top, append(os.Environ(), "NSLAB_PREBUILT="+bin)
	out, _ := test.Output()
	regions, err := regionsOf(top, chapter)
	if err != nil {
		return nil, err
	}
	return steps(out, regions), nil
}

var todoRE = regexp.MustCompile(`TODO LAB (\d+\.\d+)`)

// steps reads go test -json's events into one step per top-level test,
// and gives each failure its hint: the step whose stub it ran into, or
// else the chapter's first step.
func steps(out []byte, regions []region) []step {
	var list []step
	index := map[string]int{}
	output := map[string]*strings.Builder{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var e testEvent
		if json.Unmarshal(sc.Bytes(), &e) != nil || e.Test == "" || strings.Contains(e.Test, "/") {
			continue
		}
		if _, ok := index[e.Test]; !ok {
			index[e.Test] = len(list)
			list = append(list, step{Test: e.Test})
			output[e.Test] = &strings.Builder{}
		}
		switch e.Action {
		case "output":
			output[e.Test].WriteString(e.Output)
		case "pass":
			list[index[e.Test]].Pass = true
		}
	}
	for i := range list {
		if list[i].Pass {
			continue
		}
		said := output[list[i].Test].String()
		list[i].Output = messages(said)
		list[i].Hint = hintFor(said, regions)
	}
	return list
}

// messages keeps what a failed test said — its t.Error lines and what
// they quote — and leaves out the run lines and any goroutine trace.
func messages(said string) string {
	var keep []string
	for _, line := range strings.Split(said, "\n") {
		t := strings.TrimSpace(line)
		switch {
		case t == "", strings.HasPrefix(t, "=== "), strings.HasPrefix(t, "--- "), strings.HasPrefix(t, "goroutine "),
			strings.HasPrefix(t, "/"), isFrame(t), strings.HasPrefix(t, "created by"):
			continue
		}
		keep = append(keep, line)
	}
	return strings.Join(keep, "\n")
}

// isFrame reports whether a line is a function of a Go stack trace,
// "nslab/05-net.(*lab).walk(0xc000010000)": a call before any space.
// An error line that ends in parentheses has a space before its first.
func isFrame(line string) bool {
	open, space := strings.IndexByte(line, '('), strings.IndexByte(line, ' ')
	return open > 0 && (space < 0 || space > open) && strings.HasSuffix(line, ")")
}

// hintFor finds the step a failure points at: the TODO it ran into;
// failing that, the step whose hint shares the most words with what the
// test said (a failure that names gid_map points at the step that writes
// it); failing that, the chapter's first step.
func hintFor(said string, regions []region) string {
	sort.Slice(regions, func(i, j int) bool { return regions[i].ID < regions[j].ID })
	best, bestScore := -1, 0
	for i, r := range regions {
		if m := todoRE.FindStringSubmatch(said); m != nil {
			if r.ID == m[1] {
				best = i
				break
			}
			continue
		}
		if score := sharedWords(r.Hint, said); score > bestScore {
			best, bestScore = i, score
		}
	}
	if best < 0 && len(regions) > 0 {
		best = 0
	}
	if best < 0 {
		return ""
	}
	r := regions[best]
	return fmt.Sprintf("LAB %s (%s): %s", r.ID, r.Func, r.Hint)
}

var wordRE = regexp.MustCompile(`[A-Za-z_][A-Za-z_0-9]{4,}`)

// sharedWords counts the words of five letters or more of a hint that
// the test's output contains.
func sharedWords(hint, said string) int {
	n := 0
	for _, w := range wordRE.FindAllString(hint, -1) {
		if strings.Contains(said, w) {
			n++
		}
	}
	return n
}
