package main

import (
	"errors"
	"fmt"

	"nslab/05-net/netlink"
	"nslab/internal/cli"
	"nslab/internal/explain"
)

// cleanup is --cleanup: remove what runtimes killed with SIGKILL left
// behind (their leases and state directories), and, when no container is
// running, the bridge and the state directory itself.
func cleanup(f flags, log *explain.Log) error {
	root, err := stateRoot(f.rootless)
	if err != nil {
		return err
	}
	unlock, err := lockDir(root)
	if err != nil {
		return err
	}
	defer unlock()
	live, removed := sweep(root, f.rootless)
	for _, r := range removed {
		fmt.Printf("removed stale %s\n", r)
	}
	if live > 0 {
		fmt.Printf("%d containers are running; the bridge %s and %s stay\n", live, f.bridge, root)
		return nil
	}
	if !f.rootless {
		if err := removeBridge(f.bridge, log); err != nil {
			return err
		}
		if err := tidyCgroups(); err != nil {
			return err
		}
	}
	return tidy(root, f.bridge)
}

// removeBridge deletes the bridge if it is there.
func removeBridge(name string, log *explain.Log) error {
	host, err := netlink.Dial()
	if err != nil {
		return err
	}
	defer host.Close()
	br, err := host.LinkByName(name)
	if errors.Is(err, netlink.ErrNoLink) {
		return nil
	}
	if err != nil {
		return err
	}
	if br.Kind != "bridge" {
		return cli.Failf("%s is a %q link, not a bridge; leaving it alone", name, br.Kind)
	}
	log.Step("RTM_DELLINK "+name, "ip link del "+name)
	if err := host.DeleteLink(br); err != nil {
		return err
	}
	fmt.Printf("removed bridge %s\n", name)
	return nil
}
