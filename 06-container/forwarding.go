package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"nslab/internal/cli"
	"nslab/internal/explain"
)

// Forwarding. A host routes packets between its interfaces — from the
// bridge to the outside and back — only with net.ipv4.ip_forward=1. The
// first container that needs it turns it on; the last one's departure
// restores what was there before. Writing ip_forward does more than its
// name says: the kernel copies the value into every interface's
// conf/*/forwarding and conf/default/forwarding, and sets
// conf/all/accept_redirects to its opposite (a router ignores ICMP
// redirects). So the snapshot holds all of those, and the restore writes
// ip_forward first, then puts back the values it overwrote.
//
// The snapshot lives in the kernel, as the comment of the ip nslab table
// (nft list ruleset shows it), made when the table is: it is per network
// namespace like the setting itself, and goes with the table.

const ipv4Sysctls = "/proc/sys/net/ipv4"

// snapshotPrefix starts the comment of a table that has something to
// restore.
const snapshotPrefix = "restore "

// forwardingSnapshot returns the comment that will restore today's
// settings, "" when forwarding is on already and nothing will change.
func forwardingSnapshot() (string, error) {
	on, err := readSysctl("ip_forward")
	if err != nil || on != "0" {
		return "", err
	}
	redirects, err := readSysctl("conf/all/accept_redirects")
	if err != nil {
		return "", err
	}
	settings := []string{"ip_forward=0", "conf/all/accept_redirects=" + redirects}
	paths, _ := filepath.Glob(filepath.Join(ipv4Sysctls, "conf", "*", "forwarding"))
	for _, p := range paths {
		name, _ := filepath.Rel(ipv4Sysctls, p)
		if v, err := readSysctl(name); err == nil && v != "0" && name != "conf/all/forwarding" {
			settings = append(settings, name+"="+v)
		}
	}
	comment := snapshotPrefix + strings.Join(settings, " ")
	if len(comment) > 127 {
		return "", cli.Failf("net.ipv4.ip_forward is 0, yet %d interfaces forward on their own — too many to restore one by one: turn forwarding on yourself (sysctl -w net.ipv4.ip_forward=1), and nslab will leave it as it is", len(settings)-2)
	}
	return comment, nil
}

// enableForwarding turns ip_forward on, if it is off.
func enableForwarding(log *explain.Log) error {
	if v, err := readSysctl("ip_forward"); err != nil || v == "1" {
		return err
	}
	return writeSysctl("ip_forward", "1", log)
}

// restoreForwarding writes back a snapshot: ip_forward first, since
// writing it overwrites the others. An interface that has gone since is
// skipped.
func restoreForwarding(comment string, log *explain.Log) error {
	if !strings.HasPrefix(comment, snapshotPrefix) {
		return nil
	}
	for _, setting := range strings.Fields(strings.TrimPrefix(comment, snapshotPrefix)) {
		name, value, ok := strings.Cut(setting, "=")
		if !ok || strings.Contains(name, "..") {
			continue
		}
		now, err := readSysctl(name)
		if os.IsNotExist(err) || err == nil && now == value {
			continue
		}
		if err := writeSysctl(name, value, log); err != nil {
			return err
		}
	}
	return nil
}

func readSysctl(name string) (string, error) {
	b, err := os.ReadFile(filepath.Join(ipv4Sysctls, name))
	return strings.TrimSpace(string(b)), err
}

// writeSysctl writes one setting, showing it as sysctl(8) would.
func writeSysctl(name, value string, log *explain.Log) error {
	log.Step(fmt.Sprintf("write(/proc/sys/net/ipv4/%s, %s)", name, value),
		fmt.Sprintf("sysctl -w %s=%s", sysctlName(name), value))
	return os.WriteFile(filepath.Join(ipv4Sysctls, name), []byte(value), 0)
}

// sysctlName is sysctl(8)'s name for a path under /proc/sys/net/ipv4:
// dots between the parts, and a dot within one (eth0.100) written as a
// slash.
func sysctlName(path string) string {
	parts := strings.Split("net/ipv4/"+path, "/")
	for i, p := range parts {
		parts[i] = strings.ReplaceAll(p, ".", "/")
	}
	return strings.Join(parts, ".")
}
