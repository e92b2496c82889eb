// Package firewall looks at what the host's firewall does to traffic that
// crosses a bridge. A bridge is a switch, and switched frames skip the
// IP layer — unless br_netfilter is loaded and
// net.bridge.bridge-nf-call-iptables=1, in which case every bridged IPv4
// packet also traverses the iptables FORWARD chain. Docker loads it and
// sets that chain's policy to DROP, and then namespaces on a bridge of
// their own cannot reach each other.
package firewall

import (
	"fmt"
	"os/exec"
	"strings"

	"nslab/internal/doctor"
)

// BridgeNetfilter checks that bridged traffic can flow through bridge.
func BridgeNetfilter(bridge string) doctor.Result {
	v, ok := doctor.Sysctl("net/bridge/bridge-nf-call-iptables")
	if !ok || v != "1" {
		return doctor.Pass("bridged traffic does not go through iptables (br_netfilter is off)")
	}
	out, err := exec.Command("iptables", "-S", "FORWARD").Output()
	if err != nil || !strings.Contains(string(out), "-P FORWARD DROP") {
		return doctor.Pass("bridged traffic goes through iptables, whose FORWARD chain does not drop it by default")
	}
	return doctor.Fail("bridged traffic goes through iptables (bridge-nf-call-iptables=1) and FORWARD drops it (Docker's setting)",
		fmt.Sprintf("iptables -I FORWARD -i %s -o %s -j ACCEPT, or sysctl -w net.bridge.bridge-nf-call-iptables=0", bridge, bridge))
}
