// Command 04-pid runs a command as the first process of a new PID
// namespace: chapter 04 of nslab.
//
// The child is born with CLONE_NEWPID (and CLONE_NEWNS, so that it can
// mount a /proc of its own without touching the host's). It is PID 1 in
// the new namespace and a plain PID on the host. After making its mount
// tree private it mounts a fresh /proc, which shows only the namespace's
// processes, and runs the command under a minimal init (package initproc)
// — or, with --init=false, as PID 1 itself. --demo shows why PID 1 is
// special.
package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"nslab/01-uts/reexec"
	"nslab/02-mount/mountns"
	"nslab/04-pid/initproc"
	"nslab/internal/cli"
	"nslab/internal/doctor"
	"nslab/internal/explain"
	"nslab/internal/nsinfo"
)

const prog = "04-pid"

const summary = `Chapter 04, PID namespaces: the command's namespace has its own PIDs,
starting at 1; a fresh /proc shows only them. --demo shows what PID 1 must do.`

var demos = []string{"zombies", "signals", "exit", "reboot"}

type config struct {
	init       bool
	demo       string
	verbose    bool
	startPidNS uint64 // the PID namespace the program started in (for the reboot guard)
	rebootCmd  string
	command    []string
}

func main() {
	p := cli.New(prog, prog+" [flags] [--] [COMMAND [ARG...]]", summary)
	var cfg config
	p.Flags.BoolVar(&cfg.init, "init", true, "run the command under the nslab init; --init=false makes the command PID 1 itself")
	p.Flags.StringVar(&cfg.demo, "demo", "", "show why PID 1 is special: "+strings.Join(demos, ", "))
	p.Flags.Uint64Var(&cfg.startPidNS, "start-pidns", 0, "")
	p.Flags.StringVar(&cfg.rebootCmd, "reboot-cmd", "", "")
	_ = p.Flags.MarkHidden("start-pidns")
	_ = p.Flags.MarkHidden("reboot-cmd")
	command, err := p.Parse(os.Args[1:])
	if err != nil {
		cli.Exit(prog, err)
	}
	cfg.command, cfg.verbose = command, p.Verbose
	log := explain.New(p.Verbose, "child")
	switch {
	case p.Check:
		err = doctor.Run(prog, checks())
	case reexec.Stage() == "child":
		err = child(cfg, log)
	case reexec.Stage() == "ps":
		err = psStage()
	case reexec.Stage() == "zombies":
		err = zombiesInside(cfg, log)
	case reexec.Stage() == "reboot":
		err = rebootInside(cfg, log)
	default:
		err = parent(cfg, explain.New(p.Verbose, "parent"))
	}
	cli.Exit(prog, err)
}

// parent starts the child in new PID and mount namespaces and waits.
func parent(cfg config, log *explain.Log) error {
	if cfg.demo != "" {
		return runDemo(cfg, log)
	}
	link, _ := nsinfo.Link(0, "pid")
	fmt.Fprintf(os.Stderr, "host:   %s, this program is PID %d here\n", link, os.Getpid())
	status, err := cli.Run(childCommand("child", cfg, nil, log))
	if err != nil {
		return startError(err)
	}
	return cli.Exited(status)
}

// childCommand runs this binary again as stage in new PID and mount
// namespaces. args replace the command when given.
func childCommand(stage string, cfg config, args []string, log *explain.Log) *exec.Cmd {
	flags := uintptr(syscall.CLONE_NEWPID | syscall.CLONE_NEWNS)
	if args == nil {
		args = childArgs(cfg)
	}
	log.Step(fmt.Sprintf("clone(%s) + execve(\"/proc/self/exe\")", nsinfo.FlagNames(flags)),
		"unshare --pid --fork --mount "+explain.Command(append([]string{prog}, args...)...))
	cmd := reexec.Command(stage, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: flags}
	return cmd
}

// childArgs passes the flags on to the child.
func childArgs(cfg config) []string {
	args := []string{"--init=" + strconv.FormatBool(cfg.init)}
	if cfg.verbose {
		args = append(args, "-v")
	}
	return append(append(args, "--"), cfg.command...)
}

func startError(err error) error {
	if os.Geteuid() != 0 {
		return cli.Failf("clone(CLONE_NEWPID|CLONE_NEWNS): %w — run as root (sudo make run-04)", err)
	}
	return cli.Failf("starting the child: %w", err)
}

// child is PID 1 of the new namespace. It shows its PIDs, mounts a /proc
// of its own, and runs the command under the init or as itself.
func child(cfg config, log *explain.Log) error {
	if err := reexec.Require("pid", "mnt"); err != nil {
		return err
	}
	link, _ := nsinfo.Link(0, "pid")
	fmt.Fprintf(os.Stderr, "child:  %s, getpid() = %d; the host's /proc still says NSpid: %s\n",
		link, os.Getpid(), nspid("/proc/self/status"))
	if err := mountProc(log); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "child:  mounted a /proc for this namespace: now NSpid: %s\n", nspid("/proc/self/status"))

	command := cfg.command
	if len(command) == 0 && !cli.Interactive() {
		return runUnderInit(reexec.Command("ps"), log)
	}
	if len(command) == 0 {
		command = []string{cli.Shell()}
		fmt.Fprintln(os.Stderr, "child:  every process in this namespace so far:")
		if procs, err := readProcs(); err == nil {
			printProcs(os.Stderr, procs)
		}
		fmt.Fprintf(os.Stderr, "child:  starting %s under the init; try `ps`, `echo $$`, `ls /proc`, then `exit`\n", command[0])
	}
	if !cfg.init {
		log.Step(fmt.Sprintf("execve(%q) as PID 1", command[0]), "exec "+explain.Command(command...))
		return cli.Exec(command, os.Environ())
	}
	cmd := exec.Command(command[0], command[1:]...)
	return runUnderInit(cmd, log)
}

// mountProc makes the mount tree private, then mounts proc on /proc. The
// new proc instance belongs to the PID namespace of the process that
// mounts it, so it lists that namespace's processes with its numbers.
func mountProc(log *explain.Log) error {
	log.Note("private first: the /proc mount must not propagate to a systemd host")
	if err := mountns.SetPropagation("/", "private", true, log); err != nil {
		return err
	}
	return mountns.MountFS("proc", "proc", "/proc", syscall.MS_NOSUID|syscall.MS_NODEV|syscall.MS_NOEXEC, "", log)
}

// runUnderInit runs cmd under initproc and ends with its status.
func runUnderInit(cmd *exec.Cmd, log *explain.Log) error {
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	log.Step(fmt.Sprintf("fork + execve(%q) as a child of PID 1, which forwards signals and reaps", cmd.Path), "")
	opts := initproc.Options{
		Forwarded: func(s os.Signal) { log.Stepf("kill(2, %v) — forwarding", s) },
		Reaped:    func(pid int, _ unix.WaitStatus) { log.Stepf("wait4() reaped orphan %d", pid) },
	}
	status, err := initproc.Run(cmd, opts)
	if err != nil {
		return cli.Errorf(status, "%s: %w", cmd.Args[0], err)
	}
	return cli.Exited(status)
}

// psStage is the default command: a tiny ps of the namespace.
func psStage() error {
	procs, err := readProcs()
	if err != nil {
		return err
	}
	printProcs(os.Stdout, procs)
	return nil
}

// nspid returns the NSpid line of a status file: the PID in each PID
// namespace from the one /proc belongs to down to the process's own.
func nspid(status string) string {
	f, err := os.Open(status)
	if err != nil {
		return "?"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := cutPrefix(sc.Text(), "NSpid:"); ok {
			return strings.Join(strings.Fields(v), " ")
		}
	}
	return "?"
}

func cutPrefix(s, prefix string) (string, bool) {
	if !strings.HasPrefix(s, prefix) {
		return s, false
	}
	return s[len(prefix):], true
}

// checks lists what this chapter needs from the machine.
func checks() []doctor.Result {
	pid, _ := nsinfo.Lookup("pid")
	mnt, _ := nsinfo.Lookup("mnt")
	return []doctor.Result{
		doctor.Kernel(pid),
		doctor.Root(prog),
		doctor.Unshare(pid.Flag | mnt.Flag),
	}
}
