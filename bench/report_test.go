package main

import (
	"encoding/xml"
	"strings"
	"testing"
)

func sample() report {
	return report{
		Machine: machine{Kernel: "6.1.0", CPU: "test CPU", CPUs: 2, Go: "go1.x", Date: "2026-01-01"},
		Start: []result{
			{Name: "06-container --net=none", Median: 6, Min: 5, Max: 9, Ratio: 1.5},
			{Name: "06-container --net=none, init moved", Median: 9, Min: 7, Max: 12, Ratio: 2.25},
			{Name: "06-container --net=bridge", Median: 8, Min: 7, Max: 12, Ratio: 2},
			{Name: "bwrap --unshare-all", Median: 3, Min: 2, Max: 4, Ratio: 0.75},
			{Name: baseline, Median: 4, Min: 3, Max: 5, Ratio: 1},
		},
		Refused: []refused{{"crun run", "cgroups in hybrid mode | not supported"}},
		Scale:   scaleResult{Runs: 500, P50: 8, P90: 9, P99: 11, Max: 15, Concurrent: 32, ConcurrentWall: 320},
		Net:     []netResult{{Name: "container → container (bridge)", MBps: 950, Ratio: 0.95}, {Name: "bare veth", MBps: 1000, Ratio: 1}},
	}
}

func TestMarkdown(t *testing.T) {
	md := sample().markdown("img/x.svg")
	for _, want := range []string{
		"Linux 6.1.0, test CPU (2 CPUs)",
		"| 06-container --net=none | 6.00 | 5.00 | 9.00 | 1.50 |",
		`| crun run | cgroups in hybrid mode \| not supported |`,
		"at most 1.5× `bwrap --unshare-all`: **2.00×** (6.00 ms against 3.00 ms); before the init was born in its cgroup, 3.00×",
		"at most 1.25× `--net=none`: **1.33×** (8.00 ms)",
		"**95%**",
		"| 8.00 | 9.00 | 11.00 | 15.00 |",
		"![start to exit, median with min–max](img/x.svg)",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func TestSVGIsWellFormed(t *testing.T) {
	d := xml.NewDecoder(strings.NewReader(sample().svg()))
	bars := 0
	for {
		tok, err := d.Token()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatal(err)
			}
			break
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "rect" {
			bars++
		}
	}
	if bars != 1+len(sample().Start) { // the background and one bar per row
		t.Errorf("%d rects", bars)
	}
}

func TestShellWords(t *testing.T) {
	if got := shellWords([]string{"sh", "-c", "a && b", "it's"}); got != `sh -c 'a && b' 'it'\''s'` {
		t.Errorf("shellWords = %s", got)
	}
}
