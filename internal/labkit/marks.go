package main

import (
	"go/ast"
	"regexp"
	"strings"
)

// A region is one function a student writes: its doc comment holds a
// line
//
//	LAB 3.2 (guided): write the maps from the parent — docs/03-user.md, user_namespaces(7)
//
// and the lines after it, up to the end of the comment, are the hint.
// The hint ends with the tests that check the step — "Checked by
// TestNobodyBecomesRoot." — which fail when the step alone is cut.
type region struct {
	ID    string // "3.2": chapter 3, step 2
	Level string // guided, open or challenge
	Hint  string
	Func  string   // the function's name, for the report
	Tests []string // the chapter's tests that check it
}

var (
	labRE     = regexp.MustCompile(`^LAB (\d+\.\d+) \((guided|open|challenge)\): (.*)$`)
	checkedRE = regexp.MustCompile(`Checked by ((?:Test\w+(?:, )?)+)\.`)
	stepRE    = regexp.MustCompile(`^\d+\.\d+$`)
)

// regionOf reads the LAB line of a function's doc comment, if it has one.
func regionOf(fn *ast.FuncDecl) (region, bool) {
	if fn.Doc == nil {
		return region{}, false
	}
	lines := strings.Split(fn.Doc.Text(), "\n")
	for i, line := range lines {
		if m := labRE.FindStringSubmatch(line); m != nil {
			text := strings.Join(append([]string{m[3]}, lines[i+1:]...), " ")
			hint := strings.Join(strings.Fields(text), " ") // one space between words
			r := region{ID: m[1], Level: m[2], Hint: hint, Func: fn.Name.Name}
			if c := checkedRE.FindStringSubmatch(hint); c != nil {
				r.Tests = strings.Split(c[1], ", ")
			}
			return r, true
		}
	}
	return region{}, false
}

// levels are what each LEVEL cuts: guided one function a chapter, open
// every step, challenge also what goes beyond the steps; none, nothing —
// the reference itself, which an instructor can grade to see the grader
// pass.
var levels = map[string][]string{
	"none":      {},
	"guided":    {"guided"},
	"open":      {"guided", "open"},
	"challenge": {"guided", "open", "challenge"},
}

// cuts reports whether a region is cut at a level. A step's id as the
// level ("3.2") cuts that step alone: to practise one, or to check that
// its tests notice when it is missing.
func cuts(level string, r region) bool {
	if stepRE.MatchString(level) {
		return r.ID == level
	}
	for _, l := range levels[level] {
		if r.Level == l {
			return true
		}
	}
	return false
}
