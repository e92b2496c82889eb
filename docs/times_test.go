package docs

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The times in the book's table of chapters are estimates from one model,
// stated on the page, and kept to it by this test — so that a chapter
// that grows says so. A first-time reader reads the chapter and its lab
// sheet at readingSpeed words a minute, and spends a minute on each
// command they type and compare with the book. Reading the code is not
// in the time: the table gives its size apart, for the chapters that
// have code of their own (the other pages have "—").
const (
	readingSpeed      = 130 // words a minute, prose with a terminal beside it
	minutesPerCommand = 1
)

var (
	mdLink  = regexp.MustCompile(`\]\(([^)#]+\.md)\)`)
	labLink = regexp.MustCompile(`^\.\./(\d\d-[a-z]+)/README\.md$`)
)

// TestChapterTimes recomputes each row's time and code size, and accepts
// the table's figures within a tenth of the model's — so that a small
// edit leaves the table be, and a chapter that grew says so.
func TestChapterTimes(t *testing.T) {
	rows := chapterRows(t)
	if len(rows) < 9 {
		t.Fatalf("found %d rows in the table of chapters, want 9 or more", len(rows))
	}
	for _, r := range rows {
		words, commands, lines := 0, 0, 0
		for _, page := range r.pages {
			w, c := measure(t, page)
			words, commands = words+w, commands+c
			if m := labLink.FindStringSubmatch(page); m != nil {
				lines = goLines(t, filepath.Join("..", m[1]))
			}
		}
		minutes := float64(words)/readingSpeed + float64(commands*minutesPerCommand)
		if !near(r.time, "%d min", minutes) {
			t.Errorf("%s: the table says %q; the model gives %.0f min (%d words, %d commands) — write %d min",
				r.pages[0], r.time, minutes, words, commands, int(5*math.Round(minutes/5)))
		}
		switch {
		case lines == 0 && r.code != "—":
			t.Errorf("%s: the table gives %q lines of code to a page without a lab of its own; write —", r.pages[0], r.code)
		case lines > 0 && !near(r.code, "~%d lines", float64(lines)):
			t.Errorf("%s: the table says %q; the chapter has %d lines of Go — write ~%d lines",
				r.pages[0], r.code, lines, 50*int(math.Round(float64(lines)/50)))
		}
	}
}

// near reports whether a cell, read with format, holds a number within a
// tenth of want.
func near(cell, format string, want float64) bool {
	var n int
	if _, err := fmt.Sscanf(cell, format, &n); err != nil {
		return false
	}
	return math.Abs(float64(n)-want) <= want/10
}

type chapterRow struct {
	pages      []string // relative to docs/
	time, code string
}

// chapterRows reads the table under "## The chapters, in order".
func chapterRows(t *testing.T) []chapterRow {
	f, err := os.Open("README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []chapterRow
	in := false
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := s.Text()
		switch {
		case strings.HasPrefix(line, "## "):
			in = line == "## The chapters, in order"
		case in && strings.HasPrefix(line, "| ["):
			cells := strings.Split(line, " | ")
			if len(cells) < 4 {
				t.Fatalf("a row of the table has %d cells, want 4: %s", len(cells), line)
			}
			var pages []string
			for _, m := range mdLink.FindAllStringSubmatch(cells[0], -1) {
				pages = append(pages, m[1])
			}
			rows = append(rows, chapterRow{pages: pages, time: cells[1], code: cells[2]})
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// measure counts the words of a page and the commands of its console
// blocks (the lines starting with "$ ").
func measure(t *testing.T, page string) (words, commands int) {
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		words += len(strings.Fields(line))
		if strings.HasPrefix(line, "$ ") {
			commands++
		}
	}
	return words, commands
}

// goLines counts the lines of a chapter's Go code that are not blank,
// leaving out its tests and nsprobe, the lab's probe.
func goLines(t *testing.T, dir string) int {
	n := 0
	err := filepath.Walk(dir, func(path string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if fi.IsDir() && fi.Name() == "nsprobe" {
			return filepath.SkipDir
		}
		if fi.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, line := range strings.Split(string(b), "\n") {
			if strings.TrimSpace(line) != "" {
				n++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
