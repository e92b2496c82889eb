package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

var (
	linkRE    = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	headingRE = regexp.MustCompile(`(?m)^#{1,6} +(.+?) *$`)
	fenceRE   = regexp.MustCompile("(?ms)^```.*?^```")
)

// Every relative link of every page resolves: the file exists, and when
// the link names an anchor, the page has that heading.
func TestRelativeLinksResolve(t *testing.T) {
	for _, file := range markdownFiles(t) {
		text, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		prose := fenceRE.ReplaceAllString(string(text), "")
		for _, m := range linkRE.FindAllStringSubmatch(prose, -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			path, anchor, _ := strings.Cut(target, "#")
			resolved := file
			if path != "" {
				resolved = filepath.Join(filepath.Dir(file), path)
			}
			if _, err := os.Stat(resolved); err != nil {
				t.Errorf("%s: link %q: %s does not exist", name(file), target, name(resolved))
				continue
			}
			if anchor != "" && !hasAnchor(t, resolved, anchor) {
				t.Errorf("%s: link %q: %s has no heading for #%s", name(file), target, name(resolved), anchor)
			}
		}
	}
}

// hasAnchor reports whether a Markdown page has a heading whose
// GitHub-style slug is anchor.
func hasAnchor(t *testing.T, file, anchor string) bool {
	text, err := os.ReadFile(file)
	if err != nil || filepath.Ext(file) != ".md" {
		return false
	}
	prose := fenceRE.ReplaceAllString(string(text), "")
	for _, m := range headingRE.FindAllStringSubmatch(prose, -1) {
		if slug(m[1]) == anchor {
			return true
		}
	}
	return false
}

// slug is GitHub's anchor for a heading: lower case, spaces to hyphens,
// punctuation other than hyphens and underscores dropped.
func slug(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{
		"Protections":                   "protections",
		"Chapter 04 — PID namespaces":   "chapter-04--pid-namespaces",
		"Why not `unshare(2)` from Go?": "why-not-unshare2-from-go",
	} {
		if got := slug(in); got != want {
			t.Errorf("slug(%q) = %q, want %q", in, got, want)
		}
	}
}
