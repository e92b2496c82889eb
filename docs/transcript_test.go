package docs

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"nslab/internal/labtest"
)

// A transcript is a ```console block preceded by the line
//
//	<!-- transcript -->
//
// Lines starting with "$ " are commands, run with sh in a directory that
// holds bin/ and rootfs/, as root when the line says sudo (the word is
// dropped) and as uid 65534 otherwise. The lines that follow are what the
// command must print, stdout and stderr together, and "[exit N]" is its
// status (0 when absent). In the expected lines, runs of white space match
// any white space, and placeholders stand for what varies:
//
//	{name}     one word (no white space): an inode, a PID, an address
//	{name...}  the rest of the text up to what follows it
//
// A name used twice in one transcript must stand for the same text both
// times — so "hostname={host} … hostname={host} (unchanged)" checks that
// the host's name did not change.

const marker = "<!-- transcript -->"

// markerNeeding is the marker of a transcript that needs cgroup v2's
// controllers — the limits of 06-container: such a transcript runs where
// the unified hierarchy holds them (make test-vm, a learner's Debian 12
// or Ubuntu 22.04), and on a hybrid host is read but not run.
const markerNeeding = "<!-- transcript: cgroup v2 -->"

type transcript struct {
	file    string
	line    int
	steps   []step
	needsV2 bool
}

type step struct {
	line    int
	command string
	root    bool
	want    []string
	exit    int
}

var exitRE = regexp.MustCompile(`^\[exit (\d+)\]$`)

// parseTranscripts reads the transcripts of one page.
func parseTranscripts(file string) ([]transcript, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []transcript
	var cur *transcript
	marked, needsV2 := false, false
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur == nil && (strings.TrimSpace(line) == marker || strings.TrimSpace(line) == markerNeeding):
			marked, needsV2 = true, strings.TrimSpace(line) == markerNeeding
		case cur == nil && line == "```console":
			if !marked {
				return nil, fmt.Errorf("%s:%d: a console block without %s before it", file, n, marker)
			}
			marked = false
			out = append(out, transcript{file: file, line: n, needsV2: needsV2})
			cur = &out[len(out)-1]
		case cur == nil:
			marked = marked && strings.TrimSpace(line) == ""
		case line == "```":
			cur = nil
		case strings.HasPrefix(line, "$ "):
			cmd := strings.TrimPrefix(line, "$ ")
			cur.steps = append(cur.steps, step{line: n, command: strings.ReplaceAll(cmd, "sudo ", ""), root: strings.Contains(cmd, "sudo ")})
		case len(cur.steps) == 0:
			return nil, fmt.Errorf("%s:%d: output before the first command", file, n)
		default:
			s := &cur.steps[len(cur.steps)-1]
			if m := exitRE.FindStringSubmatch(line); m != nil {
				s.exit, _ = strconv.Atoi(m[1])
			} else {
				s.want = append(s.want, line)
			}
		}
	}
	return out, sc.Err()
}

var placeholderRE = regexp.MustCompile(`\{([a-z0-9_]+)(\.\.\.)?\}`)

// pattern compiles one expected line, and returns the placeholder names
// in the order of their groups.
func pattern(want string) (*regexp.Regexp, []string) {
	var re strings.Builder
	var names []string
	re.WriteString("^")
	rest := strings.TrimSpace(want)
	for {
		loc := placeholderRE.FindStringSubmatchIndex(rest)
		if loc == nil {
			re.WriteString(literal(rest))
			break
		}
		re.WriteString(literal(rest[:loc[0]]))
		names = append(names, rest[loc[2]:loc[3]])
		if loc[4] >= 0 {
			re.WriteString("(.*?)")
		} else {
			re.WriteString(`(\S+)`)
		}
		rest = rest[loc[1]:]
	}
	re.WriteString("$")
	return regexp.MustCompile(re.String()), names
}

var spaceRE = regexp.MustCompile(`[ \t]+`)

func literal(s string) string {
	parts := spaceRE.Split(s, -1)
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return strings.Join(parts, `[ \t]+`)
}

// match compares actual output with the expected lines, extending the
// transcript's bindings. It returns a description of the first mismatch.
func match(want, got []string, bind map[string]string) string {
	if len(want) != len(got) {
		return fmt.Sprintf("%d lines, want %d", len(got), len(want))
	}
	for i := range want {
		re, names := pattern(want[i])
		m := re.FindStringSubmatch(strings.TrimSpace(got[i]))
		if m == nil {
			return fmt.Sprintf("line %d: %q does not match %q", i+1, got[i], want[i])
		}
		for j, n := range names {
			if v, ok := bind[n]; ok && v != m[j+1] {
				return fmt.Sprintf("line %d: {%s} is %q here but was %q before", i+1, n, m[j+1], v)
			}
			bind[n] = m[j+1]
		}
	}
	return ""
}

// run runs one command the way a learner would, in the work directory.
func (s step) run(t *testing.T, dir string) (string, int) {
	cmd := exec.Command("sh", "-c", s.command)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TERM=xterm")
	if !s.root {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: labtest.Nobody, Gid: labtest.Nobody}}
		cmd.Env = append(cmd.Env, "HOME=/tmp", "XDG_RUNTIME_DIR=")
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%q still running after a minute", s.command)
	}
	return strings.TrimRight(out.String(), "\n"), cmd.ProcessState.ExitCode()
}

// Every transcript of every page, run and compared.
func TestTranscripts(t *testing.T) {
	labtest.NeedRoot(t)
	dir := setup(t)
	labtest.NoTrace(t)
	labtest.RestoreRunNetns(t) // 06-network's transcripts make a namespace
	tunLikeDistributions(t)
	t.Cleanup(func() { labtest.Run(t, dir+"/bin/06-container", "--cleanup") })
	for _, file := range markdownFiles(t) {
		transcripts, err := parseTranscripts(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range transcripts {
			tr := tr
			t.Run(fmt.Sprintf("%s:%d", name(tr.file), tr.line), func(t *testing.T) {
				if tr.needsV2 && !v2Controllers() {
					t.Logf("not run on this host: cgroup v1 holds the controllers its limits need — make test-vm runs it")
					return
				}
				bind := map[string]string{}
				defer stopLeftovers(t, dir)
				for _, s := range tr.steps {
					if bridgedWithoutDNS(s.command) {
						t.Fatalf("line %d: %q: a container with a network needs --dns naming a resolver of the transcript's own (or --net=none), so that no query leaves this machine", s.line, s.command)
					}
					out, code := s.run(t, dir)
					got := strings.Split(out, "\n")
					if out == "" {
						got = nil
					}
					if code != s.exit {
						t.Errorf("line %d: %q exited %d, want %d\n%s", s.line, s.command, code, s.exit, out)
					}
					if why := match(s.want, got, bind); why != "" {
						t.Errorf("line %d: %q: %s\ngot:\n%s\nwant:\n%s", s.line, s.command, why, out, strings.Join(s.want, "\n"))
					}
				}
			})
		}
	}
}

// tunLikeDistributions opens /dev/net/tun to every user for the run, as
// Debian's and Ubuntu's udev rule has it (mode 0666), and puts the mode
// back after: rootless transcripts then show the network a learner's
// machine gives, on a machine whose /dev/net/tun is closed (0600, as a
// bare devtmpfs makes it).
func tunLikeDistributions(t *testing.T) {
	const tun = "/dev/net/tun"
	fi, err := os.Stat(tun)
	if err != nil {
		t.Fatalf("rootless transcripts need %s: %v", tun, err)
	}
	mode := fi.Mode().Perm()
	if mode&0o666 == 0o666 {
		return
	}
	if err := os.Chmod(tun, mode|0o666); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.Chmod(tun, mode); err != nil {
			t.Errorf("putting back the mode of %s: %v", tun, err)
		}
	})
}

// stopLeftovers stops any container a transcript left running — a
// failed step before its stop, say — so that the next transcript starts
// from a machine without one, and fails the transcript that left it.
func stopLeftovers(t *testing.T, dir string) {
	out, _ := exec.Command(dir+"/bin/06-container", "ps", "-q").Output()
	for _, id := range strings.Fields(string(out)) {
		t.Errorf("the transcript left container %s running; stopping it", id)
		_ = exec.Command(dir+"/bin/06-container", "stop", "--stop-timeout", "0", id).Run()
	}
}

// v2Controllers reports whether cgroup v2 holds the memory, pids and cpu
// controllers: where it is mounted, its cgroup.controllers lists them.
func v2Controllers() bool {
	for _, root := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified"} {
		b, err := os.ReadFile(root + "/cgroup.controllers")
		if err != nil {
			continue
		}
		have := " " + strings.TrimSpace(string(b)) + " "
		return strings.Contains(have, " memory ") && strings.Contains(have, " pids ") && strings.Contains(have, " cpu ")
	}
	return false
}

// bridgedWithoutDNS reports whether a command starts a container with a
// network — bridged as root, slirp4netns or pasta rootless — without
// --dns: its name servers would be the host's, off this machine.
func bridgedWithoutDNS(command string) bool {
	words := strings.Fields(command)
	for i, w := range words {
		if strings.HasSuffix(w, "/06-container") && networkedRun(words[i+1:]) {
			return true
		}
	}
	return false
}

// networkedRun reports whether the arguments of one 06-container
// command line run a container with a network and no --dns.
func networkedRun(args []string) bool {
	if len(args) > 0 && (args[0] == "ps" || args[0] == "stop" || args[0] == "exec") {
		return false
	}
	for i, a := range args {
		switch {
		case a == "--":
			return true
		case a == "--net=none", a == "--net" && i+1 < len(args) && args[i+1] == "none",
			strings.HasPrefix(a, "--dns"), a == "--cleanup", a == "--check", a == "-h", a == "--help":
			return false
		}
	}
	return true
}

func TestBridgedWithoutDNS(t *testing.T) {
	for command, want := range map[string]bool{
		"sudo ./bin/06-container -- hostname":                           true,
		"./bin/06-container --rootless -- true":                         true,
		"sudo ./bin/06-container --net=none -- hostname":                false,
		"sudo ./bin/06-container --net none -- hostname":                false,
		"sudo ./bin/06-container --dns 198.18.0.2 -- hostname":          false,
		"sudo ./bin/06-container stop $(sudo ./bin/06-container ps -q)": false,
		"sudo ./bin/06-container --cleanup":                             false,
		"echo 06-container -- x":                                        false,
	} {
		if got := bridgedWithoutDNS(command); got != want {
			t.Errorf("bridgedWithoutDNS(%q) = %v, want %v", command, got, want)
		}
	}
}

func TestPattern(t *testing.T) {
	bind := map[string]string{}
	if why := match([]string{"host:   uts:[{ns}]  hostname={h}", "x {rest...} (y)", "again {h}"},
		[]string{"host: uts:[123]  hostname=vm", "x a b c (y)", "again vm"}, bind); why != "" {
		t.Error(why)
	}
	if why := match([]string{"{h}"}, []string{"other"}, bind); why == "" {
		t.Error("a placeholder took two values")
	}
	if why := match([]string{"a.b"}, []string{"axb"}, map[string]string{}); why == "" {
		t.Error("a literal dot matched any character")
	}
}
