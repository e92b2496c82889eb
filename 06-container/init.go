package main

import (
	"errors"
	"strings"

	"nslab/01-uts/cli"
	"nslab/01-uts/explain"
)

// containerInit is PID 1 of the container, the init's side of main.go's
// sequence. It waits for its spec (pid.go), sets itself up from inside —
// hostname (uts.go), network (net.go), root filesystem (mount.go, dev.go,
// procmask.go, ipc.go) — and runs the command (pid.go, security.go),
// exiting with the command's status.
func containerInit(log *explain.Log) error {
	s, err := readSpec(pipe(3, "spec"))
	if err != nil {
		return err
	}
	watchLifeline(pipe(4, "lifeline"))

	if err := setHostname(s, log); err != nil {
		return err
	}
	if err := networkInside(s.Net, log); err != nil {
		return cli.Failf("network: %v", err)
	}
	if err := buildRoot(s, log); err != nil {
		return err
	}
	if err := enterWorkdir(s.Workdir, log); err != nil {
		return err
	}
	markCloexec()

	return runCommand(s, log)
}

// withHint gives a failed set-up step, which names what failed, the usual
// next step: errors from the kernel carry no advice of their own.
func withHint(err error) error {
	var e *cli.Error
	if err == nil || !errors.As(err, &e) || e.Code != cli.ExitSetup || strings.Contains(e.Msg, " — ") {
		return err
	}
	return cli.Failf("%s — see %s --check, and -v for each step", e.Msg, prog)
}
