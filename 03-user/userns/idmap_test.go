package userns

import (
	"strings"
	"testing"
)

func TestParseMap(t *testing.T) {
	m, err := ParseMap("0 100000 1000, 1000:1000:1")
	if err != nil {
		t.Fatal(err)
	}
	if got := m.String(); got != "0 100000 1000\n1000 1000 1\n" {
		t.Errorf("String() = %q", got)
	}
	if got := m.OneLine(); got != "0 100000 1000,1000 1000 1" {
		t.Errorf("OneLine() = %q", got)
	}
	if !m.Contains(1000) || !m.Contains(100999) || m.Contains(101000) {
		t.Error("Contains is wrong")
	}
}

func TestParseMapRejects(t *testing.T) {
	many := strings.Repeat("0 0 1,", MaxLines) + "0 0 1"
	for in, want := range map[string]string{
		"":               "want three numbers",
		"0 1 2 3":        "want three numbers",
		"0 -1 1":         "is not an id",
		"0 0 0":          "count is 0",
		"4294967295 0 1": "runs past the largest id",
		"0 4294967294 2": "runs past the largest id",
		"0 10 5,4 20 1":  "overlap inside",
		"0 10 5,5 14 1":  "overlap outside",
		many:             "the kernel takes at most 340",
	} {
		_, err := ParseMap(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseMap(%.30q) = %v, want %q", in, err, want)
		}
	}
	if _, err := ParseMap("0 10 5,5 15 1"); err != nil {
		t.Errorf("adjacent ranges refused: %v", err)
	}
}

func TestCheckUnprivileged(t *testing.T) {
	if err := Single(1000).CheckUnprivileged("uid", 1000); err != nil {
		t.Error(err)
	}
	for _, m := range []Map{Single(0), {{0, 1000, 2}}, {{0, 1000, 1}, {1, 2000, 1}}} {
		if m.CheckUnprivileged("uid", 1000) == nil {
			t.Errorf("%q accepted for an unprivileged user", m.OneLine())
		}
	}
}

// FuzzParseMap: whatever ParseMap accepts, the kernel's rules hold for it,
// and it reads back the same after String().
func FuzzParseMap(f *testing.F) {
	for _, s := range []string{"0 1000 1", "0 100000 65536", "0:1:2,3:4:5", "0 0 0", "1 2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMap(s)
		if err != nil {
			return
		}
		if len(m) == 0 || len(m) > MaxLines {
			t.Fatalf("accepted %d ranges", len(m))
		}
		for i, r := range m {
			if r.Count == 0 || uint64(r.Inside)+uint64(r.Count) > 1<<32-1 || uint64(r.Outside)+uint64(r.Count) > 1<<32-1 {
				t.Fatalf("accepted range %+v", r)
			}
			for _, o := range m[:i] {
				if overlap(r.Inside, r.Count, o.Inside, o.Count) || overlap(r.Outside, r.Count, o.Outside, o.Count) {
					t.Fatalf("accepted overlapping ranges %+v %+v", o, r)
				}
			}
		}
		again, err := ParseMap(m.OneLine())
		if err != nil || again.String() != m.String() {
			t.Fatalf("round trip of %q: %q, %v", m.OneLine(), again.String(), err)
		}
	})
}
