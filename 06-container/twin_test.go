package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"nslab/internal/labtest"
)

// The shell twin that -v prints for the runtime's nftables batch is the
// truth: loaded with nft -f into a fresh network namespace, it gives the
// very ruleset the runtime built over netlink in the host — here a
// namespace of the test's, so that no other container's rules are mixed
// in. Counters are left out of the comparison: the host's count packets.
func TestRulesTwin(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	h := newFakeHost(t)
	br := uniq("nslbt")
	argv := inNet(h, bin, "--rootfs", rootfs(t), "-v", "--bridge", br, "--subnet", "10.95.0.0/24", "--dns", "127.0.0.1",
		"-p", "8080:80", "-p", "127.0.0.1:5353:53/udp", "--", "sleep", "30")
	t.Cleanup(func() { labtest.Run(t, "nsenter", "--net=/run/netns/"+h, bin, "--cleanup", "--bridge", br) })
	ctr := labtest.Start(t, argv[0], argv[1:]...)
	waitFor(t, ctr, "[init] sethostname")
	built := labtest.Run(t, "nsenter", "--net=/run/netns/"+h, "nft", "list", "ruleset").Want(t, 0).Stdout
	ctr.Signal(15)
	ctr.Wait(t)

	script := twinOf(ctr.Output())
	if !strings.Contains(script, "masquerade") || !strings.Contains(script, "dnat to 10.95.0.2:80") {
		t.Fatalf("-v printed no nft twin with the masquerade and port rules:\n%s", ctr.Output())
	}
	file := filepath.Join(t.TempDir(), "twin.nft")
	if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	loaded := labtest.Run(t, "unshare", "-n", "sh", "-c", `nft -f "$1" && nft list ruleset`, "sh", file).Want(t, 0).Stdout
	if a, b := withoutCounters(built), withoutCounters(loaded); a != b {
		t.Errorf("the twin loads a different ruleset.\nbuilt by the runtime:\n%s\nloaded from the twin:\n%s\ntwin:\n%s", a, b, script)
	}
}

// twinOf collects, from -v output, the nft commands of the runtime's
// first batch — the one that set the container up — as an nft -f
// script: each line nft '…' becomes …
func twinOf(output string) string {
	var script strings.Builder
	for _, line := range strings.Split(output, "\n") {
		line = strings.TrimPrefix(strings.TrimSpace(line), "$ ")
		if strings.HasPrefix(line, "nft '") && strings.HasSuffix(line, "'") {
			script.WriteString(line[len("nft '"):len(line)-1] + "\n")
		} else if script.Len() > 0 {
			break
		}
	}
	return script.String()
}

var counterRE = regexp.MustCompile(`counter packets \d+ bytes \d+`)

// withoutCounters blanks the figures of every counter.
func withoutCounters(ruleset string) string {
	return counterRE.ReplaceAllString(ruleset, "counter")
}
