// Command labkit is classroom mode: make lab-NN writes a student's copy
// of a chapter with the marked functions cut out, and make check-NN grades
// that copy with the chapter's own tests. See docs/teaching.md.
//
//	labkit make CHAPTER DIR LEVEL
//	labkit check CHAPTER DIR FORMAT
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	if len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: labkit make CHAPTER DIR LEVEL | labkit check CHAPTER DIR FORMAT")
		os.Exit(2)
	}
	top, err := os.Getwd()
	if err != nil {
		fail(err)
	}
	chapter := strings.TrimSuffix(os.Args[2], "/")
	dir, err := filepath.Abs(os.Args[3])
	if err != nil {
		fail(err)
	}
	if _, err := os.Stat(filepath.Join(top, chapter, "main.go")); err != nil {
		fail(fmt.Errorf("no chapter %q here: run labkit from the project's top directory", chapter))
	}
	switch os.Args[1] {
	case "make":
		cut, err := makeLab(top, chapter, dir, os.Args[4])
		if err != nil {
			fail(err)
		}
		fmt.Printf("lab: %s, level %s, in %s — write these, then sudo make check-%s:\n", chapter, os.Args[4], dir, chapter[:2])
		for _, r := range cut {
			fmt.Printf("  LAB %s  %s: %s\n", r.ID, r.Func, r.Hint)
		}
	case "check":
		list, err := checkLab(top, chapter, dir, "")
		if err != nil {
			fail(err)
		}
		if !report(os.Stdout, chapter, list, os.Args[4]) {
			os.Exit(1)
		}
	default:
		fail(fmt.Errorf("%q: want make or check", os.Args[1]))
	}
}

// report prints the steps as text (the default), json or tap, and
// reports whether all passed.
func report(w *os.File, chapter string, list []step, format string) bool {
	passed := 0
	for _, s := range list {
		if s.Pass {
			passed++
		}
	}
	switch format {
	case "json":
		_ = json.NewEncoder(w).Encode(map[string]interface{}{"chapter": chapter, "passed": passed, "steps": list})
	case "tap":
		fmt.Fprintf(w, "1..%d\n", len(list))
		for i, s := range list {
			if s.Pass {
				fmt.Fprintf(w, "ok %d - %s\n", i+1, s.Test)
				continue
			}
			fmt.Fprintf(w, "not ok %d - %s\n", i+1, s.Test)
			for _, line := range strings.Split(s.Output+"\nhint: "+s.Hint, "\n") {
				fmt.Fprintf(w, "  # %s\n", line)
			}
		}
	default:
		first := true
		for _, s := range list {
			if s.Pass {
				fmt.Fprintf(w, "pass  %s\n", s.Test)
				continue
			}
			fmt.Fprintf(w, "FAIL  %s\n", s.Test)
			if first {
				fmt.Fprintf(w, "%s\n  hint: %s\n", indent(s.Output), s.Hint)
				first = false
			}
		}
		fmt.Fprintf(w, "check-%s: %d of %d steps pass\n", chapter[:2], passed, len(list))
	}
	return passed == len(list) && len(list) > 0
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n  ")
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "labkit:", err)
	os.Exit(2)
}
