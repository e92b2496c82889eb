package main

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"

	"nslab/03-user/caps"
	"nslab/06-container/seccomp"
	"nslab/internal/cli"
	"nslab/internal/explain"
)

// The protections the init puts between the command and the kernel. Each
// is on by default and has a flag to turn it off, so a lab can show the
// attack it stops (docs/06-container.md, "Protections").
type protections struct {
	Caps       caps.Set // the capabilities the command keeps
	NoNewPrivs bool     // execve can never grant more (setuid bits, file capabilities)
	Seccomp    bool     // the system call filter of package seccomp
	MaskProc   bool     // hide and freeze the parts of /proc and /sys that reach the host
}

// defaultCaps is docker run's default set without CAP_MKNOD: Docker keeps
// it because its device cgroup stops a node from being opened, which
// 06-container does not set up — a root with CAP_MKNOD could make
// /dev/sda and read the host's disk.
var defaultCaps = []string{
	"CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "SETGID", "SETUID", "SETPCAP", "SETFCAP",
	"NET_BIND_SERVICE", "NET_RAW", "SYS_CHROOT", "KILL", "AUDIT_WRITE",
}

// capabilities applies --cap-add and --cap-drop to the default set. "ALL"
// means every capability: --cap-drop ALL --cap-add X keeps only X,
// --cap-add ALL --cap-drop X keeps all but X.
func capabilities(add, drop []string) (caps.Set, error) {
	set, _ := caps.Of(defaultCaps...)
	var adds, drops []string
	for _, a := range add {
		if strings.EqualFold(a, "ALL") {
			set = caps.Full()
		} else {
			adds = append(adds, a)
		}
	}
	for _, d := range drop {
		if strings.EqualFold(d, "ALL") {
			set = 0
		} else {
			drops = append(drops, d)
		}
	}
	a, err := caps.Of(adds...)
	if err != nil {
		return 0, cli.Failf("--cap-add: %w", err)
	}
	d, err := caps.Of(drops...)
	if err != nil {
		return 0, cli.Failf("--cap-drop: %w", err)
	}
	return (set | a) &^ d, nil
}

// protect limits the calling thread. The order matters: a seccomp filter
// may be installed without CAP_SYS_ADMIN only under no_new_privs, and the
// capability drop comes last because installing needs either. The filter
// allows prctl and capset, which the drop then uses.
func protect(p protections, log *explain.Log) error {
	if p.NoNewPrivs {
		log.Step("prctl(PR_SET_NO_NEW_PRIVS, 1)", "setpriv --no-new-privs")
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return fmt.Errorf("no_new_privs: %w", err)
		}
	}
	if p.Seccomp {
		prog, err := seccomp.Filter(p.Caps)
		if err != nil {
			return fmt.Errorf("%w — run with --seccomp=off", err)
		}
		log.Step(fmt.Sprintf("seccomp(SECCOMP_SET_MODE_FILTER, 0, {%d instructions})", len(prog)), "")
		if err := seccomp.Install(prog); err != nil {
			return fmt.Errorf("seccomp: %w", err)
		}
	}
	plus := setprivList(p.Caps)
	log.Step("PR_CAPBSET_DROP, capset, PR_CAP_AMBIENT_CLEAR_ALL → "+p.Caps.String(),
		"setpriv --bounding-set -all"+plus+" --inh-caps -all"+plus+" --ambient-caps -all")
	return caps.Limit(p.Caps)
}

// setprivList spells a set the way setpriv(1) takes it: ",+chown,+kill".
func setprivList(s caps.Set) string {
	var b strings.Builder
	last := caps.Last()
	for c := 0; c <= last; c++ {
		if s.Has(c) {
			b.WriteString(",+" + strings.ToLower(strings.TrimPrefix(caps.Name(c), "CAP_")))
		}
	}
	return b.String()
}
