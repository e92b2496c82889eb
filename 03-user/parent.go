package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"

	"nslab/01-uts/reexec"
	"nslab/03-user/userns"
	"nslab/internal/cli"
	"nslab/internal/explain"
	"nslab/internal/nsinfo"
)

// parent starts the child in a new user namespace, writes its maps by hand
// (unless --go-maps), and waits for it.
func parent(cfg config, log *explain.Log) error {
	uids, gids, err := parseMaps(cfg)
	if err != nil {
		return err
	}
	describe("parent")

	cmd, sync, err := childCommand(cfg, uids, gids, log)
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		sync.close()
		return startError(err)
	}
	if err := giveMaps(cmd.Process.Pid, cfg, uids, gids, sync, log); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait() // the child was killed: its status says nothing new
		return err
	}
	status, err := cli.Wait(cmd)
	if err != nil {
		return cli.Failf("waiting for the child: %w", err)
	}
	return cli.Exited(status)
}

// pipes are the two pipes parent and child take turns on: the child says
// "ready" once it has shown its unmapped ids, and waits for "go", which the
// parent sends once the maps are written.
type pipes struct {
	ready, goAhead      *os.File // the parent's ends
	childReady, childGo *os.File // the child's ends, passed as fds 4 and 3
}

func (p *pipes) close() {
	for _, f := range []*os.File{p.ready, p.goAhead, p.childReady, p.childGo} {
		if f != nil {
			f.Close()
		}
	}
}

// childCommand prepares the child: CLONE_NEWUSER (and CLONE_NEWUTS with
// --uts), the sync pipes, and the ambient capabilities it needs to switch
// to uid 0 when its own uid is not in the map.
func childCommand(cfg config, uids, gids userns.Map, log *explain.Log) (*exec.Cmd, *pipes, error) {
	flags := uintptr(syscall.CLONE_NEWUSER)
	shell := "unshare --user"
	if cfg.uts {
		flags |= syscall.CLONE_NEWUTS
		shell += " --uts"
	}
	attr := &syscall.SysProcAttr{
		Cloneflags: flags,
		// execve(2) as a uid with no mapping drops every capability.
		// Ambient capabilities survive it, so the child keeps the two it
		// needs to become uid 0 once the maps exist.
		AmbientCaps: []uintptr{unix.CAP_SETUID, unix.CAP_SETGID},
	}
	sync := &pipes{}
	if cfg.goMaps {
		log.Note("Go writes the maps itself, after clone and before the child's execve")
		attr.UidMappings = goMap(uids)
		attr.GidMappings = goMap(gids)
		attr.GidMappingsEnableSetgroups = false
	} else {
		var err error
		if sync.childGo, sync.goAhead, err = os.Pipe(); err != nil {
			return nil, nil, cli.Failf("pipe: %w", err)
		}
		if sync.ready, sync.childReady, err = os.Pipe(); err != nil {
			sync.close()
			return nil, nil, cli.Failf("pipe: %w", err)
		}
	}
	log.Step(fmt.Sprintf("clone(%s) + execve(\"/proc/self/exe\")", nsinfo.FlagNames(flags)),
		shell+" "+explain.Command(append([]string{prog}, childFlags(cfg, uids, gids)...)...))

	cmd := reexec.Command("child", childFlags(cfg, uids, gids)...)
	cmd.SysProcAttr = attr
	if !cfg.goMaps {
		cmd.ExtraFiles = []*os.File{sync.childGo, sync.childReady}
	}
	return cmd, sync, nil
}

func goMap(m userns.Map) []syscall.SysProcIDMap {
	var out []syscall.SysProcIDMap
	for _, r := range m {
		out = append(out, syscall.SysProcIDMap{ContainerID: int(r.Inside), HostID: int(r.Outside), Size: int(r.Count)})
	}
	return out
}

// giveMaps waits until the child is ready, writes its maps by hand and
// lets it go on. With --go-maps, Go has done it already.
func giveMaps(pid int, cfg config, uids, gids userns.Map, sync *pipes, log *explain.Log) error {
	if cfg.goMaps {
		fmt.Fprintf(os.Stderr, "parent: Go wrote the maps of child %d between clone and execve (SysProcAttr.UidMappings)\n", pid)
		return nil
	}
	defer sync.close()
	sync.childGo.Close()
	sync.childReady.Close()
	sync.childGo, sync.childReady = nil, nil
	if _, err := sync.ready.Read(make([]byte, 1)); err != nil {
		return cli.Failf("the child did not get ready: %w", err)
	}
	fmt.Fprintf(os.Stderr, "parent: writing the maps of child %d by hand:\n", pid)
	show := func(file, content string) {
		fmt.Fprintf(os.Stderr, "          %-22s <- %s\n", file, content)
	}
	if err := userns.WriteMaps(pid, uids, gids, true, show, log); err != nil {
		return err
	}
	if _, err := sync.goAhead.Write([]byte{'g'}); err != nil {
		return cli.Failf("letting the child go on: %w", err)
	}
	return nil
}

// startError explains why no user namespace could be created.
func startError(err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) && (errno == syscall.EPERM || errno == syscall.ENOSPC || errno == syscall.EUSERS) {
		return cli.Failf("clone(CLONE_NEWUSER): %w — %s", errno, userns.Fix())
	}
	return cli.Failf("starting the child: %w", err)
}
