package main

import (
	"fmt"
	"os"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"nslab/01-uts/reexec"
	"nslab/01-uts/uts"
	"nslab/03-user/caps"
	"nslab/03-user/userns"
	"nslab/internal/cli"
	"nslab/internal/explain"
	"nslab/internal/nsinfo"
)

// child runs in the new user namespace before it has any maps: it shows
// the overflow ids, waits for the parent to write the maps, becomes uid 0
// and executes itself again as the "inside" stage.
func child(cfg config, log *explain.Log) error {
	if err := reexec.Require("user"); err != nil {
		return err
	}
	link, _ := nsinfo.Link(0, "user")
	if cfg.goMaps {
		fmt.Fprintf(os.Stderr, "child:  %s, uid=%d gid=%d already: Go wrote the maps before this code ran\n",
			link, os.Getuid(), os.Getgid())
	} else {
		fmt.Fprintf(os.Stderr, "child:  %s, before any map: uid=%d gid=%d — an id with no mapping reads as the overflow id (%s)\n",
			link, os.Getuid(), os.Getgid(), overflowUID())
		if err := waitForMaps(); err != nil {
			return err
		}
	}
	if err := becomeRoot(cfg, log); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "child:  after the maps: uid=%d gid=%d\n", os.Getuid(), os.Getgid())
	log.Note("capabilities are computed anew at every execve: as uid 0 of this namespace we get all of them")
	log.Step(`execve("/proc/self/exe")`, "exec "+prog+" (again, as uid 0 inside)")
	return cli.Failf("re-executing as uid 0: %w", reexec.Exec("inside", os.Args[1:]...))
}

// overflowUID reads the id that stands for "unmapped".
func overflowUID() string {
	b, err := os.ReadFile("/proc/sys/kernel/overflowuid")
	if err != nil {
		return "overflowuid"
	}
	return "/proc/sys/kernel/overflowuid = " + strings.TrimSpace(string(b))
}

// waitForMaps says "ready" on fd 4 and blocks on fd 3 until the parent has
// written the maps.
func waitForMaps() error {
	ready, goAhead := os.NewFile(4, "ready"), os.NewFile(3, "go")
	defer ready.Close()
	defer goAhead.Close()
	if _, err := ready.Write([]byte{'r'}); err != nil {
		return cli.Failf("telling the parent: %w", err)
	}
	if _, err := goAhead.Read(make([]byte, 1)); err != nil {
		return cli.Failf("the parent did not write the maps (it may have failed): %w", err)
	}
	return nil
}

// becomeRoot switches to uid and gid 0 of the namespace when the maps did
// not already make us root — with a map like "0 100000 65536", the
// creator's own uid is not in the map at all. CAP_SETUID and CAP_SETGID
// came through execve as ambient capabilities.
//
// LAB 3.2 (open): become uid and gid 0 with setresgid then setresuid,
// when not root already — docs/03-user.md "Ranges, and why root is
// needed for them", capabilities(7).
// Checked by TestRootMapsARange.
func becomeRoot(cfg config, log *explain.Log) error {
	if os.Getgid() != 0 {
		log.Step("setresgid(0, 0, 0)", "setpriv --regid 0")
		if err := syscall.Setresgid(0, 0, 0); err != nil {
			return cli.Failf("setresgid(0): %w — is gid 0 in --gid-map?", err)
		}
	}
	if os.Getuid() != 0 {
		log.Step("setresuid(0, 0, 0)", "setpriv --reuid 0")
		if err := syscall.Setresuid(0, 0, 0); err != nil {
			return cli.Failf("setresuid(0): %w — is uid 0 in --uid-map?", err)
		}
	}
	return nil
}

// inside runs as uid 0 of the new user namespace with every capability.
// It shows the map from inside, the capability sets, and what those
// capabilities reach, then runs the command.
func inside(cfg config, log *explain.Log) error {
	if err := reexec.Require("user"); err != nil {
		return err
	}
	uidMap := strings.Join(strings.Fields(readFile("/proc/self/uid_map")), " ")
	fmt.Fprintf(os.Stderr, "inside: uid=%d gid=%d; /proc/self/uid_map reads %q: uid 0 here is uid %s to the host\n",
		os.Getuid(), os.Getgid(), uidMap, hostID(uidMap))
	sets, err := caps.Read(0)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "inside: effective capabilities %s, bounding %s\n", sets.Effective.Summary(), sets.Bounding.Summary())
	tryHostname(cfg, log)
	return runCommand(cfg, log)
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// hostID finds the outside id of inside id 0 in a map read as one line.
func hostID(oneLine string) string {
	m, err := userns.ParseMap(oneLine)
	if err != nil {
		return "?"
	}
	for _, r := range m {
		if r.Inside == 0 {
			return fmt.Sprint(r.Outside)
		}
	}
	return "(none)"
}

// tryHostname shows that capabilities count only over the namespaces this
// user namespace owns. Without --uts the UTS namespace is the host's, and
// sethostname is refused even with CAP_SYS_ADMIN; the name tried is the
// current one, so nothing would change even if it were allowed.
func tryHostname(cfg config, log *explain.Log) {
	name, _, _ := uts.Names()
	if cfg.uts {
		name = "nslab-03"
	}
	log.Step(fmt.Sprintf("sethostname(%q)", name), "hostname "+name)
	err := unix.Sethostname([]byte(name))
	switch {
	case err == nil && cfg.uts:
		fmt.Fprintf(os.Stderr, "inside: sethostname(%q) works: this UTS namespace belongs to our user namespace\n", name)
	case err == nil:
		fmt.Fprintf(os.Stderr, "inside: sethostname(%q) worked in the host's UTS namespace — this should not happen\n", name)
	default:
		fmt.Fprintf(os.Stderr, "inside: sethostname: %v — all capabilities, but the host's UTS namespace belongs to the host's user namespace (try --uts)\n", err)
	}
}

// runCommand runs the command, a shell when there is none and standard
// input is a terminal, or prints a one-line report.
func runCommand(cfg config, log *explain.Log) error {
	command := cfg.command
	if len(command) == 0 && !cli.Interactive() {
		uidMap := strings.Join(strings.Fields(readFile("/proc/self/uid_map")), " ")
		fmt.Printf("inside: uid=%d gid=%d uid_map=%q\n", os.Getuid(), os.Getgid(), uidMap)
		return nil
	}
	if len(command) == 0 {
		command = []string{cli.Shell()}
		fmt.Fprintf(os.Stderr, "inside: starting %s as root of the namespace; try `id`, `cat /proc/self/uid_map`, `touch /etc/x`\n", command[0])
	}
	log.Step(fmt.Sprintf("execve(%q)", command[0]), "exec "+explain.Command(command...))
	return cli.Exec(command, os.Environ())
}
