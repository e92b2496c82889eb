package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"time"

	"nslab/internal/cli"
)

// info is what ps, exec and stop need to know of a running container:
// the file "info" in its state directory, written once its init runs.
// Like the owner record, it names processes by PID and start time, so
// that a PID the kernel has since given to another process is never
// signalled or joined.
type info struct {
	ID       string
	Hostname string
	Addr     string // eth0's address, "" without a network
	Command  []string
	Runtime  owner // the runtime: signalled by stop
	Init     owner // PID 1, as the host sees it: joined by exec, killed by stop
	Started  time.Time
	Rootless bool
	Cgroup   string // as root: the cgroup an exec'd command joins
	Workdir  string
	Env      []string
	Protect  protections
	Socket   string // rootless: where PID 1 takes exec requests
}

// writeInfo writes the container's info, readable by its owner alone.
func (c *container) writeInfo() error {
	r := info{
		ID: c.spec.ID, Hostname: c.spec.Hostname, Command: c.spec.Command,
		Runtime: self(), Started: time.Now(), Rootless: c.spec.Rootless,
		Cgroup: c.cgroup, Workdir: c.spec.Workdir, Env: c.spec.Env, Protect: c.spec.Protect,
	}
	pid := c.cmd.Process.Pid
	start, err := startTime(pid)
	if err != nil {
		return err
	}
	r.Init = owner{PID: pid, Start: start}
	if c.spec.Net.Addr.IsValid() {
		r.Addr = c.spec.Net.Addr.Addr().String()
	}
	if c.spec.Rootless {
		r.Socket = execSocketPath(c.dir)
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(c.dir, "info"), b, 0o600)
}

// findInfo reads the info of a running container by its id.
func findInfo(rootless bool, id string) (*info, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	root, err := existingStateRoot(rootless)
	if err != nil {
		return nil, err
	}
	if root == "" {
		return nil, cli.Failf("no container %s — 06-container ps lists the running ones", id)
	}
	r, err := readInfo(filepath.Join(root, "containers", id))
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, cli.Failf("no container %s — 06-container ps lists the running ones", id)
	case err != nil:
		return nil, cli.Failf("container %s: %w", id, err)
	case !r.Runtime.alive() || !r.Init.alive():
		return nil, cli.Failf("container %s has exited", id)
	}
	return r, nil
}

// readInfo reads one container's info.
func readInfo(dir string) (*info, error) {
	b, err := os.ReadFile(filepath.Join(dir, "info"))
	if err != nil {
		return nil, err
	}
	var r info
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// checkID accepts a container id as newID makes them: 12 hex digits.
func checkID(id string) error {
	if len(id) != 12 {
		return cli.Failf("%q is not a container id (12 hex digits, as 06-container ps shows)", id)
	}
	for _, c := range id {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return cli.Failf("%q is not a container id (12 hex digits, as 06-container ps shows)", id)
		}
	}
	return nil
}
