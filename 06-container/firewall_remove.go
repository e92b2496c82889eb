package main

import (
	"strings"

	"nslab/06-container/nft"
	"nslab/internal/explain"
)

// owner of a rule: the bridge and, for a container's rule, its id. A rule
// of a port chain is its container's, whatever its comment.
func ruleOwner(r nft.Rule) (bridge, id string) {
	if strings.HasPrefix(r.Chain, "port-") {
		return "", strings.TrimPrefix(r.Chain, "port-")
	}
	f := strings.Fields(r.Comment)
	switch len(f) {
	case 1:
		return f[0], ""
	case 2:
		return f[0], f[1]
	}
	return "", ""
}

// removeRules removes the rules of the containers that gone says are
// gone, and the bridge rules no container uses any more. When no
// container's rule is left, the two tables go instead, and the
// forwarding setting the ip table remembers is restored. One transaction:
// a packet sees the rules before or after, never half of them. The
// caller holds the state directory's lock.
func removeRules(c *nft.Conn, gone func(id string) bool, log *explain.Log) error {
	table, exists, err := c.FindTable(nft.IPv4, nftTable)
	if err != nil {
		return err
	}
	_, bridgeExists, err := c.FindTable(nft.Bridge, nftTable)
	if err != nil || !exists && !bridgeExists {
		return err
	}
	var rules []nft.Rule
	for _, f := range []nft.Family{nft.IPv4, nft.Bridge} {
		list, err := c.Rules(f, nftTable)
		if err != nil {
			return err
		}
		rules = append(rules, list...)
	}
	inUse := map[string]bool{} // bridges with a container left
	for _, r := range rules {
		if br, id := ruleOwner(r); id != "" && !gone(id) && br != "" {
			inUse[br] = true
		}
	}
	tx := c.Begin()
	if len(inUse) == 0 {
		if exists {
			tx.DeleteTable(nft.Table{Family: nft.IPv4, Name: nftTable})
		}
		if bridgeExists {
			tx.DeleteTable(nft.Table{Family: nft.Bridge, Name: nftTable})
		}
		logTwin(tx, log)
		if err := tx.Commit(); err != nil {
			return err
		}
		return restoreForwarding(table.Comment, log)
	}
	chains, err := c.Chains()
	if err != nil {
		return err
	}
	deleteUnused(tx, rules, chains, gone, inUse)
	if tx.Empty() {
		return nil
	}
	logTwin(tx, log)
	return tx.Commit()
}

// deleteUnused queues the deletion of the rules of gone containers, of
// the rules of bridges not in use, and then of the gone containers' port
// chains, empty by then.
func deleteUnused(tx *nft.Tx, rules []nft.Rule, chains []nft.Chain, gone func(id string) bool, inUse map[string]bool) {
	for _, r := range rules {
		br, id := ruleOwner(r)
		if id != "" && gone(id) || id == "" && br != "" && !inUse[br] {
			tx.DeleteRule(r)
		}
	}
	for _, ch := range chains {
		id := strings.TrimPrefix(ch.Name, "port-")
		if ch.Family == nft.Bridge && ch.Table == nftTable && id != ch.Name && gone(id) {
			tx.DeleteChain(ch)
		}
	}
}
