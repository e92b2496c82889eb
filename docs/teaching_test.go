package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var (
	labMarkRE   = regexp.MustCompile(`// LAB (\d+\.\d+) \((guided|open|challenge)\):`)
	checkedByRE = regexp.MustCompile(`// Checked by ((?:Test\w+(?:, )?)+)\.`)
)

// Every step marked in the chapters' code has its row in the instructor
// guide, with its level and the tests that check it, and the guide
// lists no step the code lacks.
func TestTeaching(t *testing.T) {
	b, err := os.ReadFile("teaching.md")
	if err != nil {
		t.Fatal(err)
	}
	guide := string(b)
	marked := map[string]bool{}
	for _, c := range chapters {
		err := filepath.Walk(filepath.Join("..", c), func(p string, info os.FileInfo, err error) error {
			if err != nil || info.IsDir() || !strings.HasSuffix(p, ".go") {
				return err
			}
			src, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			for _, m := range labMarkRE.FindAllStringSubmatchIndex(string(src), -1) {
				id, level := string(src[m[2]:m[3]]), string(src[m[4]:m[5]])
				marked[id] = true
				if !strings.Contains(guide, "| LAB "+id+" | "+level+" |") {
					t.Errorf("%s marks LAB %s (%s), which docs/teaching.md does not list with that level", p, id, level)
				}
				checked := checkedByRE.FindSubmatch(src[m[1]:])
				if checked == nil {
					t.Errorf("%s: LAB %s names no test (Checked by TestX.)", p, id)
					continue
				}
				tests := "`" + strings.ReplaceAll(string(checked[1]), ", ", "`, `") + "`"
				if !regexp.MustCompile(`\| LAB ` + regexp.QuoteMeta(id) + ` \|.*\| ` + regexp.QuoteMeta(tests) + ` \|`).MatchString(guide) {
					t.Errorf("docs/teaching.md's row of LAB %s does not say it is checked by %s", id, tests)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range regexp.MustCompile(`\| LAB (\d+\.\d+) \|`).FindAllStringSubmatch(guide, -1) {
		if !marked[m[1]] {
			t.Errorf("docs/teaching.md lists LAB %s, which no function is marked with", m[1])
		}
	}
}
