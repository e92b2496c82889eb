package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"nslab/01-uts/reexec"
	"nslab/04-pid/initproc"
	"nslab/internal/cli"
	"nslab/internal/explain"
	"nslab/internal/nsinfo"
)

// runDemo starts the demonstration cfg.demo asks for.
func runDemo(cfg config, log *explain.Log) error {
	switch cfg.demo {
	case "zombies":
		status, err := cli.Run(childCommand("zombies", cfg, childArgs(cfg), log))
		if err != nil {
			return startError(err)
		}
		return cli.Exited(status)
	case "signals":
		return demoSignals(cfg, log)
	case "exit":
		return demoExit(log)
	case "reboot":
		return demoReboot(cfg, log)
	}
	return cli.Failf("--demo %q: want one of %s", cfg.demo, strings.Join(demos, ", "))
}

// orphanScript makes three orphans: each subshell starts a sleep in the
// background and exits at once, so the sleep is re-parented to PID 1.
const orphanScript = `for i in 1 2 3; do (sleep 0.1 &); done`

// zombiesInside runs as PID 1 of a new namespace. First it behaves like a
// program that was never meant to be PID 1: it waits for its own child
// only. Then it runs the same script under initproc.
func zombiesInside(cfg config, log *explain.Log) error {
	if err := reexec.Require("pid", "mnt"); err != nil {
		return err
	}
	if err := mountProc(log); err != nil {
		return err
	}
	fmt.Println("1. PID 1 waits for its own child only (like most programs):")
	if err := exec.Command("sh", "-c", orphanScript).Run(); err != nil {
		return cli.Failf("sh: %w", err)
	}
	time.Sleep(400 * time.Millisecond)
	procs, err := readProcs()
	if err != nil {
		return err
	}
	printProcs(os.Stdout, procs)
	fmt.Printf("   %d zombies: orphans that exited and were never reaped\n\n", zombies(procs))

	fmt.Println("2. the same script under the nslab init, which reaps every child:")
	var reaped []int
	cmd := exec.Command("sh", "-c", orphanScript+"; sleep 0.4")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if _, err := initproc.Run(cmd, initproc.Options{
		Reaped: func(pid int, _ unix.WaitStatus) { reaped = append(reaped, pid) },
	}); err != nil {
		return err
	}
	if procs, err = readProcs(); err != nil {
		return err
	}
	printProcs(os.Stdout, procs)
	fmt.Printf("   %d zombies: the init reaped %d processes — the three new orphans and the three old zombies\n",
		zombies(procs), len(reaped))
	return nil
}

// signalCase is one way of being PID 1 when "kill -TERM 1" arrives from
// inside the namespace.
type signalCase struct {
	name   string
	init   bool // run the script under the nslab init instead of as PID 1
	script string
}

// The signal is sent by a background process of the namespace itself,
// 0.2 s after the start.
var signalCases = []signalCase{
	{"sh as PID 1, no handler", false,
		`(sleep 0.2; kill -TERM 1) & sleep 0.6; echo "ignored: still running after kill -TERM 1"`},
	{"sh as PID 1, trap on TERM", false,
		`trap 'echo "delivered: the trap ran"; exit 143' TERM; (sleep 0.2; kill -TERM 1) & sleep 0.6; echo "not delivered"`},
	{"nslab init as PID 1", true,
		`(sleep 0.2; kill -TERM 1) & sleep 0.6; echo "not forwarded"`},
}

// demoSignals shows that the kernel drops a signal sent to PID 1 unless
// PID 1 has a handler for it.
func demoSignals(cfg config, log *explain.Log) error {
	fmt.Println("kill -TERM 1, sent from inside the namespace:")
	for _, c := range signalCases {
		var cmd *exec.Cmd
		if c.init {
			cmd = childCommand("child", cfg, []string{"--", "sh", "-c", c.script}, log)
		} else {
			log.Step("clone(CLONE_NEWPID) + execve(\"sh\")", "unshare --pid --fork sh -c "+explain.Command(c.script))
			cmd = exec.Command("sh", "-c", c.script)
			cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID}
		}
		cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, nil, nil
		out, err := cmd.Output()
		status, werr := cli.StatusOf(err)
		if werr != nil {
			return startError(werr)
		}
		result := strings.TrimSpace(string(out))
		if c.init && status == 128+int(syscall.SIGTERM) {
			result = "forwarded: the init passed it on and the command died of it"
		}
		fmt.Printf("  %-26s %s (exit %d)\n", c.name+":", result, status)
	}
	return nil
}

// demoExit shows that when PID 1 exits, the kernel kills every other
// process of the namespace. PID 1 is a shell with a sleep in the
// background; it waits on its input until the parent has seen both.
func demoExit(log *explain.Log) error {
	script := `sleep 1000 & echo started; read line`
	log.Step("clone(CLONE_NEWPID) + execve(\"sh\")", "unshare --pid --fork sh -c "+explain.Command(script))
	cmd := exec.Command("sh", "-c", script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID}
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		return startError(err)
	}
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "started\n" {
		cmd.Process.Kill()
		cmd.Wait()
		return cli.Failf("the shell did not start: %q", line)
	}
	// The background child may not have executed sleep yet.
	members := namespaceMembers(cmd.Process.Pid)
	for i := 0; i < 100 && !hasComm(members, "sleep"); i++ {
		time.Sleep(10 * time.Millisecond)
		members = namespaceMembers(cmd.Process.Pid)
	}
	fmt.Println("the namespace, seen from the host:")
	for _, m := range members {
		fmt.Printf("  host PID %-7d NSpid %-12s %s\n", m.pid, nspid(fmt.Sprintf("/proc/%d/status", m.pid)), m.comm)
	}
	stdin.Close()
	io.Copy(io.Discard, stdout)
	cmd.Wait()
	fmt.Println("PID 1 (sh) exited; the kernel sent SIGKILL to every other process in the namespace:")
	for _, m := range members {
		if m.pid == cmd.Process.Pid {
			continue
		}
		state := "gone"
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", m.pid)); err == nil {
			state = "STILL RUNNING"
		}
		fmt.Printf("  host PID %-7d %s: %s\n", m.pid, m.comm, state)
	}
	return nil
}

func hasComm(procs []proc, comm string) bool {
	for _, p := range procs {
		if p.comm == comm {
			return true
		}
	}
	return false
}

// namespaceMembers lists, from the host's /proc, the processes in the same
// PID namespace as pid.
func namespaceMembers(pid int) []proc {
	want, err := nsinfo.Inode(pid, "pid")
	if err != nil {
		return nil
	}
	all, _ := readProcs()
	var members []proc
	for _, p := range all {
		if ino, err := nsinfo.Inode(p.pid, "pid"); err == nil && ino == want {
			members = append(members, p)
		}
	}
	return members
}
