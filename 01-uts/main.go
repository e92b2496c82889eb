// Command 01-uts runs a command with a hostname of its own: chapter 01 of
// nslab.
//
// The parent runs this same binary again through /proc/self/exe (package
// reexec explains why Go needs that) with CLONE_NEWUTS in the clone flags,
// so the child is born in a new UTS namespace. That namespace starts as a
// copy of the host's hostname and NIS domain name; the child changes them,
// runs the command, and the parent shows afterwards that the host's names
// are untouched.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"

	"nslab/01-uts/reexec"
	"nslab/01-uts/uts"
	"nslab/internal/cli"
	"nslab/internal/doctor"
	"nslab/internal/explain"
	"nslab/internal/nsinfo"
)

const prog = "01-uts"

const summary = `Chapter 01, UTS namespaces: the command runs in a new UTS namespace with
its own hostname and NIS domain name, while the host's stay as they were.`

// config holds what the flags asked for.
type config struct {
	hostname   string
	domainname string // "" keeps the copy of the host's
	user       bool
	join       int // --join PID: enter that process's UTS namespace instead
	command    []string
}

func main() {
	p := cli.New(prog, prog+" [flags] [--] [COMMAND [ARG...]]", summary)
	var cfg config
	p.Flags.StringVar(&cfg.hostname, "hostname", "nslab-01", "hostname inside the new UTS namespace")
	p.Flags.StringVar(&cfg.domainname, "domainname", "", "NIS domain name inside (default: keep the host's)")
	p.Flags.BoolVar(&cfg.user, "user", false, "also create a user namespace, so a regular user can run this (chapter 03)")
	p.Flags.IntVar(&cfg.join, "join", 0, "instead, enter the UTS namespace of process PID with setns(2), as nsenter --uts does")
	command, err := p.Parse(os.Args[1:])
	if err != nil {
		cli.Exit(prog, err)
	}
	cfg.command = command
	switch {
	case p.Check:
		err = doctor.Run(prog, checks())
	case reexec.Stage() == "child":
		err = child(cfg, explain.New(p.Verbose, "child"))
	case p.Flags.Changed("join"):
		err = join(cfg, explain.New(p.Verbose, "join"))
	default:
		err = parent(cfg, p.Flags.Changed("domainname"), explain.New(p.Verbose, "parent"))
	}
	cli.Exit(prog, err)
}

// parent validates the names, starts the child in a new UTS namespace,
// waits for it, and ends with the child's exit status.
func parent(cfg config, domainGiven bool, log *explain.Log) error {
	if err := uts.CheckName("hostname", cfg.hostname); err != nil {
		return err
	}
	if domainGiven {
		if err := uts.CheckName("domain name", cfg.domainname); err != nil {
			return err
		}
	}
	before, err := describe()
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "host:   %s\n", before)

	cmd := childCommand(cfg, log)
	status, err := cli.Run(cmd)
	if err != nil {
		return startError(err)
	}

	after, err := describe()
	if err != nil {
		return err
	}
	verdict := "unchanged"
	if after != before {
		verdict = "CHANGED"
	}
	fmt.Fprintf(os.Stderr, "host:   %s (%s)\n", after, verdict)
	return cli.Exited(status)
}

// childCommand builds the command that runs this binary again inside a new
// UTS namespace (and a new user namespace with --user).
//
// LAB 1.2 (open): build the child: reexec.Command("child", …) with
// CLONE_NEWUTS in SysProcAttr.Cloneflags — docs/01-uts.md "Why Go
// re-executes itself", clone(2).
// Checked by TestChildHasOwnUTSNamespace.
func childCommand(cfg config, log *explain.Log) *exec.Cmd {
	flags := uintptr(syscall.CLONE_NEWUTS)
	shell := "unshare --uts"
	attr := &syscall.SysProcAttr{}
	if cfg.user {
		// Chapter 03 writes these maps by hand; here Go's shortcut maps
		// our own uid and gid to root inside.
		flags |= syscall.CLONE_NEWUSER
		shell = "unshare --user --map-root-user --uts"
		attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}}
		attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}}
	}
	attr.Cloneflags = flags
	log.Note("Go cannot fork and go on running Go code, so the child is this same binary again: /proc/self/exe")
	log.Step(fmt.Sprintf("clone(%s) + execve(\"/proc/self/exe\")", nsinfo.FlagNames(flags)),
		shell+" "+explain.Command(os.Args...))

	cmd := reexec.Command("child", os.Args[1:]...)
	cmd.SysProcAttr = attr
	return cmd
}

// startError explains why the child could not be started.
func startError(err error) error {
	if errors.Is(err, syscall.EPERM) {
		return cli.Failf("clone(CLONE_NEWUTS): %w — run as root, or add --user (chapter 03 explains user namespaces)", syscall.EPERM)
	}
	return cli.Failf("starting the child: %w", err)
}

// child runs inside the new UTS namespace: it sets the names, then runs the
// command, a shell, or prints a report.
//
// LAB 1.3 (open): in the child, set the names, print the "child:" line,
// and execve the command — docs/01-uts.md "Seeing a namespace",
// uts_namespaces(7).
// Checked by TestHostnameInsideHostUnchanged.
func child(cfg config, log *explain.Log) error {
	if err := reexec.Require("uts"); err != nil {
		return err
	}
	log.Note("this process was born in a new UTS namespace, a copy of the host's names")
	if err := uts.SetHostname(cfg.hostname, log); err != nil {
		return fmt.Errorf("%w — run as root, or add --user (chapter 03)", err)
	}
	if cfg.domainname != "" {
		if err := uts.SetDomainname(cfg.domainname, log); err != nil {
			return err
		}
	}
	here, err := describe()
	if err != nil {
		return err
	}
	command := cfg.command
	if len(command) == 0 && !cli.Interactive() {
		fmt.Printf("child:  %s\n", here)
		return nil
	}
	fmt.Fprintf(os.Stderr, "child:  %s\n", here)
	if len(command) == 0 {
		command = []string{cli.Shell()}
		fmt.Fprintf(os.Stderr, "child:  starting %s; try `hostname`, then `exit` to leave\n", command[0])
	}
	log.Step(fmt.Sprintf("execve(%q)", command[0]), "exec "+explain.Command(command...))
	return cli.Exec(command, os.Environ())
}

// describe returns the calling process's hostname, domain name and UTS
// namespace as one line.
func describe() (string, error) {
	host, domain, err := uts.Names()
	if err != nil {
		return "", err
	}
	link, err := nsinfo.Link(0, "uts")
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s  hostname=%s  domainname=%s", link, host, domain), nil
}

// checks lists what this chapter needs from the machine.
func checks() []doctor.Result {
	uts, _ := nsinfo.Lookup("uts")
	return []doctor.Result{
		doctor.Kernel(uts),
		doctor.Root(prog),
		doctor.Unshare(uts.Flag),
	}
}
