package main

import (
	"fmt"
	"os"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"nslab/01-uts/reexec"
	"nslab/internal/cli"
	"nslab/internal/explain"
	"nslab/internal/nsinfo"
)

// reboot(2) inside a child PID namespace does not touch the machine
// (since Linux 3.4): the kernel ends the namespace's init instead, with
// SIGHUP for a restart and SIGINT for a power-off or halt, so a container
// manager can tell which was asked for. Called in the initial namespace it
// does what it says, which is why rebootInside checks three times where it
// is before calling it.

var rebootCmds = map[string]int{
	"restart":   unix.LINUX_REBOOT_CMD_RESTART,
	"power-off": unix.LINUX_REBOOT_CMD_POWER_OFF,
}

// demoReboot runs one child per command and reports how each died.
func demoReboot(cfg config, log *explain.Log) error {
	start, err := nsinfo.Inode(0, "pid")
	if err != nil {
		return err
	}
	fmt.Println("reboot(2) called by PID 1 of a child PID namespace:")
	for _, name := range []string{"restart", "power-off"} {
		args := []string{"--reboot-cmd", name, fmt.Sprintf("--start-pidns=%d", start)}
		if cfg.verbose {
			args = append(args, "-v")
		}
		cmd := reexec.Command("reboot", args...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID}
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		log.Step("clone(CLONE_NEWPID) + execve(\"/proc/self/exe\")", "unshare --pid --fork "+prog+" (reboot stage)")
		if err := cmd.Start(); err != nil {
			return startError(err)
		}
		err := cmd.Wait()
		ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
		if !ok || !ws.Signaled() {
			return cli.Failf("the %s child was not killed by a signal (%v)", name, err)
		}
		fmt.Printf("  %-10s the namespace's init was killed by %s; the machine is still up\n",
			name+":", unix.SignalName(ws.Signal()))
	}
	return nil
}

// rebootInside is the child: it calls reboot(2) only when rebootGuard
// agrees that it is PID 1 of a namespace other than the one the program
// started in.
func rebootInside(cfg config, log *explain.Log) error {
	if err := reexec.Require("pid"); err != nil {
		return err
	}
	cmd, ok := rebootCmds[cfg.rebootCmd]
	if !ok {
		return cli.Failf("--reboot-cmd %q: want restart or power-off", cfg.rebootCmd)
	}
	here, err := nsinfo.Inode(0, "pid")
	if err != nil {
		return err
	}
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return cli.Failf("uname: %w", err)
	}
	release := kernelRelease(unix.ByteSliceToString(u.Release[:]))
	if err := rebootGuard(os.Getpid(), here, cfg.startPidNS, nspid("/proc/self/status"), release); err != nil {
		return cli.Failf("refusing to call reboot(2): %w", err)
	}
	log.Step(fmt.Sprintf("reboot(LINUX_REBOOT_CMD_%s)", strings.ToUpper(strings.ReplaceAll(cfg.rebootCmd, "-", "_"))), "")
	return cli.Failf("reboot(2) returned: %w", unix.Reboot(cmd))
}

// rebootGuard decides whether reboot(2) is safe to call: the caller must
// be PID 1, of a PID namespace whose inode differs from the one the
// program started in, nested (its NSpid line has more than one PID), on a
// kernel that confines reboot to the namespace (3.4 or newer).
func rebootGuard(pid int, here, start uint64, nspid string, kernel [2]int) error {
	switch {
	case pid != 1:
		return fmt.Errorf("this process is PID %d, not PID 1 of a namespace", pid)
	case start == 0 || here == start:
		return fmt.Errorf("this PID namespace (%d) is the one the program started in (%d)", here, start)
	case len(strings.Fields(nspid)) < 2:
		return fmt.Errorf("NSpid %q shows no parent namespace", nspid)
	case kernel[0] < 3 || kernel[0] == 3 && kernel[1] < 4:
		return fmt.Errorf("kernel %d.%d would reboot the machine; reboot is confined to the namespace since Linux 3.4", kernel[0], kernel[1])
	}
	return nil
}

// kernelRelease reads "6.1.0-18-amd64" as [6 1].
func kernelRelease(release string) [2]int {
	var v [2]int
	fmt.Sscanf(release, "%d.%d", &v[0], &v[1])
	return v
}
