package caps

import (
	"os"
	"testing"
)

func TestNamesAreComplete(t *testing.T) {
	for c, n := range Names {
		if n == "" {
			t.Errorf("capability %d has no name", c)
		}
	}
	if Last() >= len(Names) {
		t.Logf("this kernel knows capabilities up to %d; the table stops at %d", Last(), len(Names)-1)
	}
}

func TestParse(t *testing.T) {
	for _, in := range []string{"NET_ADMIN", "cap_net_admin", "CAP_NET_ADMIN", "net_admin"} {
		if c, err := Parse(in); err != nil || c != 12 {
			t.Errorf("Parse(%q) = %d, %v", in, c, err)
		}
	}
	if _, err := Parse("CAP_FLY"); err == nil {
		t.Error("CAP_FLY parsed")
	}
}

func TestSetString(t *testing.T) {
	s := Set(1<<0 | 1<<21)
	if got := s.String(); got != "CAP_CHOWN CAP_SYS_ADMIN" {
		t.Errorf("String() = %q", got)
	}
	if Set(0).String() != "(none)" {
		t.Error("empty set")
	}
}

func TestReadSelf(t *testing.T) {
	s, err := Read(0)
	if err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 && s.Effective == 0 {
		t.Error("root has no effective capabilities?")
	}
	if s.Bounding == 0 {
		t.Error("empty bounding set")
	}
}

// FuzzParse: a name Parse accepts round-trips through Name.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"CAP_CHOWN", "sys_admin", "", "cap_", "CAP_FLY"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		c, err := Parse(name)
		if err != nil {
			return
		}
		if c2, err := Parse(Name(c)); err != nil || c2 != c {
			t.Fatalf("%q -> %d -> %q -> %d, %v", name, c, Name(c), c2, err)
		}
	})
}
