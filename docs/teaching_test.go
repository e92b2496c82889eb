package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var labMarkRE = regexp.MustCompile(`// LAB (\d+\.\d+) \((guided|open|challenge)\):`)

// Every step marked in the chapters' code has its row in the instructor
// guide, with its level, and the guide lists no step the code lacks.
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
			for _, m := range labMarkRE.FindAllStringSubmatch(string(src), -1) {
				marked[m[1]] = true
				if !strings.Contains(guide, "| LAB "+m[1]+" | "+m[2]+" |") {
					t.Errorf("%s marks LAB %s (%s), which docs/teaching.md does not list with that level", p, m[1], m[2])
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
