package docs

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// What a page names that the glossary must list: man pages — name and
// section, as setns(2) — CLONE_ flags, and /proc files.
var (
	manRE   = regexp.MustCompile(`\b[a-z_0-9]+(-[a-z_0-9]+)*\([1-8]\)`)
	flagRE  = regexp.MustCompile(`\bCLONE_(NEW[A-Z]+|FS|INTO_CGROUP)\b`)
	procRE  = regexp.MustCompile("`(/proc/[^` ]+)`")
	pidRE   = regexp.MustCompile(`^/proc/(\d+|self|PID|\$\$|\$p|<pid>|\{[^}]*\})`)
	nsAnyRE = regexp.MustCompile(`^/proc/PID/ns/(X|…|TYPE)$`)
)

// procName writes a /proc path as the glossary lists it: any process as
// PID, any namespace type as TYPE, no trailing slash.
func procName(p string) string {
	p = pidRE.ReplaceAllString(p, "/proc/PID")
	p = nsAnyRE.ReplaceAllString(p, "/proc/PID/ns/TYPE")
	return strings.TrimSuffix(p, "/")
}

// Every man page, flag and /proc file that a page of the book names has
// its row in the glossary.
func TestGlossary(t *testing.T) {
	b, err := os.ReadFile("glossary.md")
	if err != nil {
		t.Fatal(err)
	}
	glossary := string(b)
	for _, file := range markdownFiles(t) {
		if file == "glossary.md" {
			continue
		}
		page, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var terms []string
		terms = append(terms, manRE.FindAllString(string(page), -1)...)
		terms = append(terms, flagRE.FindAllString(string(page), -1)...)
		for _, m := range procRE.FindAllStringSubmatch(string(page), -1) {
			terms = append(terms, procName(m[1]))
		}
		for _, term := range terms {
			if !strings.Contains(glossary, "| `"+term+"` |") {
				t.Errorf("%s names %s, which the glossary does not list", name(file), term)
			}
		}
	}
}
