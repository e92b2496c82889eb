package main

import (
	"strings"

	"nslab/01-uts/reexec"
	"nslab/internal/cli"
	"nslab/internal/explain"
)

// containerInit is PID 1 of the container, the init's side of main.go's
// sequence. It waits for its spec (pid.go), sets itself up from inside —
// hostname (uts.go), network (net.go), root filesystem (mount.go, dev.go,
// procmask.go, ipc.go) — and runs the command (pid.go, security.go),
// exiting with the command's status.
func containerInit(log *explain.Log) error {
	if err := reexec.Require("pid", "mnt", "uts", "ipc", "net", "cgroup"); err != nil {
		return err
	}
	s, err := readSpec(pipe(3, "spec"))
	if err != nil {
		return err
	}
	lifeline := watchLifeline(pipe(4, "lifeline"))

	if err := setHostname(s, log); err != nil {
		return err
	}
	if err := networkInside(s.Net, log); err != nil {
		return cli.Failf("network: %w", err)
	}
	if err := buildRoot(s, log); err != nil {
		return err
	}
	if err := enterWorkdir(s.Workdir, log); err != nil {
		return err
	}
	markCloexec()

	return runCommand(s, lifeline, log)
}

// withHint gives a failed set-up step, which names what failed, the usual
// next step: errors from the kernel carry no advice of their own. An error
// that already gives advice (after " — ") is left as it is.
func withHint(err error) error {
	if err == nil || cli.CodeOf(err) != cli.ExitSetup || strings.Contains(err.Error(), " — ") {
		return err
	}
	return cli.Failf("%w — see %s --check, and -v for each step", err, prog)
}
