package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// labModule is the module path of a student's copy of a chapter:
// nslab/labs/03-user. Its own packages are imported as
// nslab/labs/03-user/…; everything else — internal/, earlier chapters —
// is the reference, through replace nslab => ../.. A path below nslab/
// is what lets the copy use nslab/internal/…: Go allows an internal
// package only to importers whose path starts with its parent's.
func labModule(chapter string) string { return "nslab/labs/" + chapter }

// makeLab writes the student's copy of a chapter into dir: its Go files
// but the tests, with the imports of its own packages pointing into the
// copy and the marked functions cut at level; the lab sheet; a go.mod of
// its own. It never touches the project's files, and refuses to write
// over a copy that exists — a student's work.
func makeLab(top, chapter, dir, level string) ([]region, error) {
	if _, ok := levels[level]; !ok && !stepRE.MatchString(level) {
		return nil, fmt.Errorf("LEVEL=%s: want guided, open, challenge or none, or one step's id such as 3.2", level)
	}
	if _, err := os.Stat(dir); err == nil {
		return nil, fmt.Errorf("%s exists — it may hold your work: move it away to start again", dir)
	}
	src := filepath.Join(top, chapter)
	var cut []region
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dir, rel)
		switch {
		case info.IsDir():
			return os.MkdirAll(to, 0o755)
		case strings.HasSuffix(p, "_test.go"):
			return nil
		case strings.HasSuffix(p, ".go"):
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			b, regions, err := cutFile(p, rewriteImports(b, chapter), level)
			if err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			cut = append(cut, regions...)
			return os.WriteFile(to, b, 0o644)
		case rel == "README.md":
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(to, b, 0o644)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return cut, writeModule(top, dir, chapter)
}

// rewriteImports points the imports of the chapter's own packages at the
// copy: "nslab/03-user/userns" becomes "nslab/labs/03-user/userns".
func rewriteImports(src []byte, chapter string) []byte {
	own := strconv.Quote("nslab/" + chapter + "/")
	return []byte(strings.ReplaceAll(string(src), own[:len(own)-1], `"`+labModule(chapter)+"/"))
}

// writeModule gives the copy a go.mod of its own, with the project's
// requirements and checksums: the project's go test ./... and go vet
// never see into labs/, and the copy builds against the reference code
// of everything it does not hold.
func writeModule(top, dir, chapter string) error {
	mod, err := os.ReadFile(filepath.Join(top, "go.mod"))
	if err != nil {
		return err
	}
	requires := string(mod[strings.Index(string(mod), "require"):])
	rel, err := filepath.Rel(dir, top)
	if err != nil {
		return err
	}
	gomod := fmt.Sprintf("module %s\n\ngo 1.19\n\nrequire nslab v0.0.0\n\nreplace nslab => %s\n\n%s", labModule(chapter), filepath.ToSlash(rel), requires)
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644); err != nil {
		return err
	}
	sum, err := os.ReadFile(filepath.Join(top, "go.sum"))
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644)
}

// regionsOf lists the marked functions of a chapter's reference code, in
// file order, for the hints of check.
func regionsOf(top, chapter string) ([]region, error) {
	var all []region
	err := filepath.Walk(filepath.Join(top, chapter), func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		for _, d := range f.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok {
				if r, ok := regionOf(fn); ok {
					all = append(all, r)
				}
			}
		}
		return nil
	})
	return all, err
}
