package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"golang.org/x/sys/unix"

	"nslab/internal/cli"
	"nslab/internal/explain"
)

// ps lists the running containers, from their records (with quiet, their
// ids only). A container whose runtime is gone is not running, whatever
// its files say.
func ps(rootless, quiet bool) error {
	root, err := existingStateRoot(rootless)
	if err != nil {
		return err
	}
	var dirs []string
	if root != "" {
		dirs, _ = filepath.Glob(filepath.Join(root, "containers", "*"))
	}
	var rows []*info
	for _, d := range dirs {
		if r, err := readInfo(d); err == nil && r.Runtime.alive() && r.Init.alive() {
			rows = append(rows, r)
		}
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Started.Before(rows[j].Started) })
	if quiet {
		for _, r := range rows {
			fmt.Println(r.ID)
		}
		return nil
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tPID\tHOSTNAME\tADDRESS\tUP\tCOMMAND")
	for _, r := range rows {
		addr := r.Addr
		if addr == "" {
			addr = "-"
		}
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\n", r.ID, r.Init.PID, r.Hostname, addr,
			time.Since(r.Started).Round(time.Second), explain.Command(r.Command...))
	}
	return w.Flush()
}

// stop ends a container as docker stop does: SIGTERM to its runtime,
// which passes it on to the container; if the container has not exited
// after timeout, SIGKILL to every process of its cgroup at once through
// cgroup.kill — or, without one (Linux before 5.14, rootless), to PID 1,
// and the kernel then kills every process in its PID namespace. The
// runtime cleans up and exits with the command's status, as it would on
// its own.
func stop(rootless bool, id string, timeout time.Duration, log *explain.Log) error {
	r, err := findInfo(rootless, id)
	if err != nil {
		return err
	}
	log.Step(fmt.Sprintf("kill(%d, SIGTERM) — the runtime passes it on", r.Runtime.PID), fmt.Sprintf("kill -TERM %d", r.Runtime.PID))
	if err := unix.Kill(r.Runtime.PID, syscall.SIGTERM); err != nil {
		return cli.Failf("stop %s: %w", id, err)
	}
	if gone(r.Runtime, timeout) {
		fmt.Println(id)
		return nil
	}
	if r.Init.alive() && (r.Cgroup == "" || !killCgroup(r.Cgroup, log)) {
		log.Step(fmt.Sprintf("kill(%d, SIGKILL) — PID 1, after %v", r.Init.PID, timeout), fmt.Sprintf("kill -KILL %d", r.Init.PID))
		_ = unix.Kill(r.Init.PID, syscall.SIGKILL)
	}
	if !gone(r.Runtime, 10*time.Second) {
		return cli.Failf("stop %s: its runtime (PID %d) is still running", id, r.Runtime.PID)
	}
	fmt.Println(id)
	return nil
}

// gone waits up to timeout for a process to end.
func gone(o owner, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for o.alive() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// subcommands are the words that, before any "--", name what to do.
var subcommands = []string{"run", "exec", "ps", "stop"}

// subcommand returns the subcommand args start with, or "" when they are
// a command to run: after "--", a word is always a command.
func subcommand(args []string, dashAt int) string {
	if len(args) == 0 || dashAt == 0 {
		return ""
	}
	for _, s := range subcommands {
		if args[0] == s {
			return s
		}
	}
	return ""
}

// usageOf is the one-line usage of a subcommand, for its errors.
func usageOf(sub string) string {
	return map[string]string{
		"run":  prog + " run [flags] [--] COMMAND",
		"exec": prog + " exec [-t] [-i] [-e KEY=VALUE] [-w DIR] ID [--] COMMAND",
		"ps":   prog + " ps [-q]",
		"stop": prog + " stop [--stop-timeout N] ID",
	}[sub] + " — see " + prog + " --help"
}

// idArg checks that a subcommand got its container id.
func idArg(sub string, args []string) (string, []string, error) {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return "", nil, cli.Failf("%s needs a container id: %s", sub, usageOf(sub))
	}
	return args[0], args[1:], nil
}
