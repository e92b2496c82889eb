package main

import (
	"net/netip"

	"nslab/01-uts/uts"
	"nslab/internal/explain"
)

// The UTS namespace, chapter 01: the container's own hostname, checked by
// the runtime, set by the init, and written into the container's
// /etc/hostname and /etc/hosts so that programs that read the files agree
// with uname(2).

// checkHostname refuses a name the kernel would refuse.
func checkHostname(name string) error {
	if err := uts.CheckName("hostname", name); err != nil {
		return err
	}
	return nil
}

// setHostname runs in the init, inside the new UTS namespace.
//
// LAB 6.2 (open): chapter 01's uts.SetHostname, inside the init —
// docs/06-container.md "The sequence".
// Checked by TestHostnameAndPID1.
func setHostname(s *spec, log *explain.Log) error {
	if err := uts.SetHostname(s.Hostname, log); err != nil {
		return err
	}
	return nil
}

// etcContents are the container's hostname, hosts and resolv.conf.
func etcContents(s *spec, addr netip.Addr) map[string]string {
	hosts := "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
	if addr.IsValid() {
		hosts += addr.String() + "\t" + s.Hostname + "\n"
	} else {
		hosts += "127.0.1.1\t" + s.Hostname + "\n"
	}
	ns := s.Net.DNS
	if a := helperDNS(s.Net); a.IsValid() {
		ns.Servers = []netip.Addr{a}
	}
	resolv := resolvConf(ns, s.Net.Mode, s.Net.DNSGiven)
	return map[string]string{"hostname": s.Hostname + "\n", "hosts": hosts, "resolv.conf": resolv}
}
