package mountns

import "testing"

func TestParseLine(t *testing.T) {
	m, err := ParseLine(`36 35 98:0 /mnt1 /mnt\040two rw,noatime master:1 shared:7 - ext3 /dev/root rw,errors=continue`)
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != 36 || m.ParentID != 35 || m.Root != "/mnt1" || m.MountPoint != "/mnt two" ||
		m.FSType != "ext3" || m.Source != "/dev/root" || m.Propagation() != "master:1 shared:7" || !m.Shared() {
		t.Errorf("parsed %+v", m)
	}
	p, _ := ParseLine(`22 27 0:21 / /proc rw,relatime - proc proc rw`)
	if p.Propagation() != "private" || p.Shared() {
		t.Errorf("no tags should read as private: %q", p.Propagation())
	}
	if _, err := ParseLine("garbage"); err == nil {
		t.Error("garbage parsed")
	}
}

func TestUnderAndFind(t *testing.T) {
	var ms []Mount
	for _, l := range []string{
		`1 0 0:1 / / rw - ext4 a rw`,
		`2 1 0:2 / /tmp/x rw - tmpfs b rw`,
		`3 2 0:3 / /tmp/x/y rw - tmpfs c rw`,
		`4 1 0:4 / /tmp/xy rw - tmpfs d rw`,
		`5 2 0:5 / /tmp/x rw - tmpfs e rw`,
	} {
		m, err := ParseLine(l)
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	if got := Under(ms, "/tmp/x/"); len(got) != 3 {
		t.Errorf("Under /tmp/x = %d mounts, want 3 (not /tmp/xy)", len(got))
	}
	if m, _ := Find(ms, "/tmp/x"); m.Source != "e" {
		t.Errorf("Find took %q, want the topmost mount e", m.Source)
	}
}

func TestReadSelf(t *testing.T) {
	ms, err := Read("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := Find(ms, "/"); !ok {
		t.Error("no / in /proc/self/mountinfo")
	}
}
