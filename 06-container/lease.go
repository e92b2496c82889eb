package main

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"

	"nslab/05-net/netlink"
	"nslab/internal/cli"
)

// Leases: which container holds which address of a bridge. A lease is a
// file named by the address, holding "PID START ID" of the runtime that
// took it (state.go), in a directory only the state's owner may enter.

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
