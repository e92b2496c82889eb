// Package uts validates and sets the two names a UTS namespace holds: the
// hostname and the NIS domain name. 06-container uses it for the
// container's hostname.
package uts

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"

	"nslab/internal/explain"
)

// MaxLen is the longest name the kernel stores (__NEW_UTS_LEN, which is
// also HOST_NAME_MAX): sethostname(2) fails with EINVAL beyond it.
const MaxLen = 64

// CheckName rejects a name that sethostname(2) or setdomainname(2) would
// refuse, or that would be cut at a NUL byte on the way into the kernel.
// what is "hostname" or "domain name", for the message.
func CheckName(what, name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%s is empty — give one with --%s", what, flagName(what))
	case len(name) > MaxLen:
		return fmt.Errorf("%s is %d bytes, the kernel keeps at most %d — choose a shorter one", what, len(name), MaxLen)
	case strings.IndexByte(name, 0) >= 0:
		return fmt.Errorf("%s contains a NUL byte — the kernel would cut it there", what)
	}
	return nil
}

func flagName(what string) string {
	return strings.ReplaceAll(what, " ", "")
}

// SetHostname sets the hostname of the caller's UTS namespace. It needs
// CAP_SYS_ADMIN in the user namespace that owns that UTS namespace.
//
// LAB 1.1 (guided): set the hostname with unix.Sethostname, and say so
// with log.Step — docs/01-uts.md "The kernel rules", sethostname(2).
// Checked by TestHostnameInsideHostUnchanged.
func SetHostname(name string, log *explain.Log) error {
	log.Step(fmt.Sprintf("sethostname(%q)", name), "hostname "+name)
	if err := unix.Sethostname([]byte(name)); err != nil {
		return fmt.Errorf("sethostname: %w", err)
	}
	return nil
}

// SetDomainname sets the NIS domain name of the caller's UTS namespace.
func SetDomainname(name string, log *explain.Log) error {
	log.Step(fmt.Sprintf("setdomainname(%q)", name), "domainname "+name)
	if err := unix.Setdomainname([]byte(name)); err != nil {
		return fmt.Errorf("setdomainname: %w", err)
	}
	return nil
}

// Names returns the hostname and NIS domain name that uname(2) reports in
// the caller's UTS namespace.
func Names() (hostname, domainname string, err error) {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "", "", fmt.Errorf("uname: %w", err)
	}
	return unix.ByteSliceToString(u.Nodename[:]), unix.ByteSliceToString(u.Domainname[:]), nil
}
