package main

import (
	"bytes"
	"os/exec"
	"strings"
)

// quiet runs a command and ignores what happens: for cleanup.
func quiet(name string, args ...string) {
	exec.Command(name, args...).Run()
}

// output runs a command and returns its output and the first line of its
// error output when it fails.
func output(name string, args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		if line := firstLine(stderr.String()); line != "" {
			return stdout.String(), &refusal{line}
		}
		return stdout.String(), err
	}
	return stdout.String(), nil
}

type refusal struct{ why string }

func (r *refusal) Error() string { return r.why }

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// installed reports whether a program is on PATH.
func installed(name string) bool {
	_, err := exec.LookPath(name)
	return err == nil
}
