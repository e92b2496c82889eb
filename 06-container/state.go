package main

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"nslab/05-net/netlink"
	"nslab/internal/cli"
)

// The runtime's state lives in a tmpfs that a reboot empties: /run/nslab
// for root, $XDG_RUNTIME_DIR/nslab (or /tmp/nslab-UID) for a rootless
// user.
//
//	/run/nslab/containers/ID/   hostname, hosts, resolv.conf, owner
//	/run/nslab/leases/BRIDGE/IP  "PID START ID": who holds the address
//
// Every file names its owner by PID and start time, so that the files of a
// runtime that was killed with SIGKILL can be told from those of a live
// one, even if its PID was reused.

// stateRoot returns the directory of the runtime's state.
func stateRoot(rootless bool) string {
	if !rootless {
		return "/run/nslab"
	}
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		return filepath.Join(dir, "nslab")
	}
	return fmt.Sprintf("/tmp/nslab-%d", os.Getuid())
}

// owner is a process, named so that a reused PID is not mistaken for it.
type owner struct {
	PID   int
	Start uint64 // start time in clock ticks since boot: field 22 of /proc/PID/stat
}

// self returns this process as an owner.
func self() owner {
	start, _ := startTime(os.Getpid())
	return owner{PID: os.Getpid(), Start: start}
}

// alive reports whether the owner is still running.
func (o owner) alive() bool {
	start, err := startTime(o.PID)
	return err == nil && start == o.Start
}

func (o owner) String() string { return fmt.Sprintf("%d %d", o.PID, o.Start) }

// startTime reads field 22 of /proc/PID/stat. The command name (field 2)
// may hold spaces, so the fields are counted after its closing ')'.
func startTime(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	rest := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(rest) < 20 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	return strconv.ParseUint(rest[19], 10, 64)
}

// record is the content of an owner file or a lease: "PID START ID".
func record(o owner, id string) []byte {
	return []byte(fmt.Sprintf("%s %s\n", o, id))
}

// readRecord parses a record file.
func readRecord(path string) (owner, string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return owner{}, "", err
	}
	var o owner
	var id string
	if _, err := fmt.Sscanf(string(b), "%d %d %s", &o.PID, &o.Start, &id); err != nil {
		return owner{}, "", fmt.Errorf("%s: %q is not a record", path, b)
	}
	return o, id, nil
}

// makeContainerDir creates the container's directory with its owner file
// and the files that will be mounted over /etc inside.
func makeContainerDir(root, id string, files map[string]string) (string, error) {
	dir := filepath.Join(root, "containers", id)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", cli.Failf("state directory: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "owner"), record(self(), id), 0o644); err != nil {
		return "", cli.Failf("state directory: %w", err)
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			if rerr := removeContainerDir(dir); rerr != nil {
				cli.Warnf("cleanup: %v", rerr)
			}
			return "", cli.Failf("state directory: %w", err)
		}
	}
	return dir, nil
}

// removeContainerDir removes the container's directory and what is in it.
func removeContainerDir(dir string) error {
	return os.RemoveAll(dir)
}

// tidy removes the state directories that are empty: the last container
// to leave takes the state directory with it. The caller holds its lock;
// a runtime waiting for that lock notices the removal and starts again.
func tidy(root, bridge string) error {
	for _, d := range []string{leaseDir(root, bridge), filepath.Join(root, "leases"), filepath.Join(root, "containers"), root} {
		err := os.Remove(d)
		if err != nil && !errors.Is(err, os.ErrNotExist) && !errors.Is(err, unix.ENOTEMPTY) && !errors.Is(err, unix.EEXIST) {
			return err
		}
	}
	return nil
}

// lockDir takes an exclusive flock(2) on a directory, creating it if
// needed. The kernel drops the lock when the process dies, so it can never
// go stale, and it needs no lock file. If --cleanup removed the directory
// while we waited for the lock, the lock is on a directory nobody can
// find: start again.
func lockDir(dir string) (unlock func(), err error) {
	for {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		f, err := os.Open(dir)
		if err != nil {
			return nil, err
		}
		if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
			f.Close()
			return nil, err
		}
		if sameFile(f, dir) {
			return func() { f.Close() }, nil
		}
		f.Close()
	}
}

// sameFile reports whether the open file is still the one at path.
func sameFile(f *os.File, path string) bool {
	a, err1 := f.Stat()
	b, err2 := os.Stat(path)
	return err1 == nil && err2 == nil && os.SameFile(a, b)
}

// leaseDir is where the addresses of a bridge are leased.
func leaseDir(root, bridge string) string {
	return filepath.Join(root, "leases", bridge)
}

// takeLease leases an address of the subnet for container id: want, when
// it is valid, or else the first free one after the gateway. A lease held
// by a dead runtime is free. The caller holds the state directory's lock,
// which makes "look, then create" atomic among runtimes.
func takeLease(dir string, subnet netip.Prefix, gateway, want netip.Addr, id string) (netip.Addr, error) {
	if want.IsValid() {
		if holder, taken := leaseHolder(dir, want); taken {
			return netip.Addr{}, cli.Failf("--ip %s is taken by container %s — choose another, or leave --ip out", want, holder)
		}
		return want, writeLease(dir, want, id)
	}
	last := netlink.Broadcast(subnet)
	for a := subnet.Addr().Next(); a.IsValid() && a != last; a = a.Next() {
		if a == gateway {
			continue
		}
		if _, taken := leaseHolder(dir, a); !taken {
			return a, writeLease(dir, a, id)
		}
	}
	return netip.Addr{}, cli.Failf("no free address left in %s — stop a container, or use a larger --subnet", subnet)
}

// leaseHolder reports whether a live runtime holds the address, removing
// the lease of a dead one.
func leaseHolder(dir string, a netip.Addr) (string, bool) {
	path := filepath.Join(dir, a.String())
	o, id, err := readRecord(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", false
	}
	if err == nil && o.alive() {
		return id, true
	}
	os.Remove(path) // stale: its runtime is gone
	return "", false
}

func writeLease(dir string, a netip.Addr, id string) error {
	path := filepath.Join(dir, a.String())
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return cli.Failf("lease %s: %w", path, err)
	}
	_, err = f.Write(record(self(), id))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return cli.Failf("lease %s: %w", path, err)
	}
	return nil
}

// sweep removes the leases and container directories whose runtime is
// gone, and returns how many live containers it saw. The caller holds the
// state directory's lock, so no file it reads is half-written.
func sweep(root string) (live int, removed []string) {
	dirs, _ := filepath.Glob(filepath.Join(root, "containers", "*"))
	for _, d := range dirs {
		if o, _, err := readRecord(filepath.Join(d, "owner")); err == nil && o.alive() {
			live++
			continue
		}
		if err := removeContainerDir(d); err != nil {
			cli.Warnf("cleanup: stale %s: %v", d, err)
			continue
		}
		removed = append(removed, d)
	}
	leases, _ := filepath.Glob(filepath.Join(root, "leases", "*", "*"))
	for _, l := range leases {
		if o, _, err := readRecord(l); err == nil && o.alive() {
			continue
		}
		if err := os.Remove(l); err != nil && !errors.Is(err, os.ErrNotExist) {
			cli.Warnf("cleanup: stale lease %s: %v", l, err)
			continue
		}
		removed = append(removed, l)
	}
	return live, removed
}
