// Package docs holds the book. Its tests keep the book true: every
// relative link resolves, and every console transcript in the lab sheets
// and the docs is run and compared with what the programs print today.
package docs

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"nslab/internal/labtest"
)

// work is the directory transcripts run in: bin/ with every chapter's
// binary and nsprobe, and rootfs/ — what make build and make rootfs give a
// learner.
var work string

var chapters = []string{"01-uts", "02-mount", "03-user", "04-pid", "05-net", "06-container"}

func TestMain(m *testing.M) {
	os.Exit(labtest.Main(m, map[string]*string{}))
}

// setup builds the learner's working directory once.
func setup(t *testing.T) string {
	t.Helper()
	if work != "" {
		return work
	}
	dir := filepath.Join(labtest.BuildDir, "work")
	bin := filepath.Join(dir, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range append(chapters, "06-container/nsprobe") {
		if _, err := labtest.Build(filepath.Join("..", c), bin); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := labtest.Rootfs(dir, filepath.Join(bin, "nsprobe")); err != nil {
		t.Fatal(err)
	}
	work = dir
	return work
}

// markdownFiles lists the book's pages: the README, the lab sheets and
// docs/.
func markdownFiles(t *testing.T) []string {
	t.Helper()
	files := []string{"../README.md"}
	for _, c := range chapters {
		files = append(files, filepath.Join("..", c, "README.md"))
	}
	docs, err := filepath.Glob("*.md")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, docs...)
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	return files
}

func name(path string) string {
	rel, err := filepath.Rel("..", path)
	if err != nil {
		return path
	}
	return fmt.Sprint(rel)
}
