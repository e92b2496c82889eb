package uts

import (
	"strings"
	"testing"
)

func TestCheckName(t *testing.T) {
	for name, ok := range map[string]bool{
		"lab":                   true,
		strings.Repeat("a", 64): true,
		strings.Repeat("a", 65): false,
		"":                      false,
		"a\x00b":                false,
		"ünïcode-is-bytes":      true,
	} {
		if err := CheckName("hostname", name); (err == nil) != ok {
			t.Errorf("CheckName(%q) = %v, want ok=%v", name, err, ok)
		}
	}
}

// FuzzCheckName: whatever CheckName accepts fits the kernel's buffer and
// holds no NUL.
func FuzzCheckName(f *testing.F) {
	for _, seed := range []string{"lab", "", "a\x00", strings.Repeat("x", 70)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if CheckName("hostname", name) != nil {
			return
		}
		if name == "" || len(name) > MaxLen || strings.Contains(name, "\x00") {
			t.Errorf("CheckName accepted %q", name)
		}
	})
}
