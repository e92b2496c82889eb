package main

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"

	"nslab/05-net/netlink"
	"nslab/05-net/netns"
	"nslab/internal/labtest"
)

func TestDefaultRouteMessage(t *testing.T) {
	m := defaultRouteMessage(netip.MustParseAddr("10.55.0.1"))
	if m.Data[1] != 0 || m.Data[4] != unix.RT_TABLE_MAIN || m.Data[7] != unix.RTN_UNICAST {
		t.Errorf("rtmsg % x", m.Data[:12])
	}
	attrs, _ := netlink.ParseAttrs(m.Data[unix.SizeofRtMsg:])
	if len(attrs) != 1 || attrs[0].Type != unix.RTA_GATEWAY || !bytes.Equal(attrs[0].Data, []byte{10, 55, 0, 1}) {
		t.Errorf("attributes %+v", attrs)
	}
}

// What ruleMessage builds, parseRule reads back.
func TestRuleMessageDecodes(t *testing.T) {
	for _, r := range []rule{
		{Priority: 100, Dst: netip.MustParsePrefix("10.55.0.0/24"), Action: unix.FR_ACT_TO_TBL, Table: unix.RT_TABLE_MAIN},
		{Priority: 101, Action: unix.FR_ACT_PROHIBIT},
	} {
		got, err := parseRule(ruleMessage(unix.RTM_NEWRULE, r).Data)
		if err != nil || got.Priority != r.Priority || got.Dst != r.Dst || got.Action != r.Action || r.Action == unix.FR_ACT_TO_TBL && got.Table != r.Table {
			t.Errorf("%v read back as %v, %v", r, got, err)
		}
	}
}

// In a scratch network namespace, the two rules of --confine-net are
// added, read back in order, and a second copy is refused.
func TestConfineRulesInAScratchNamespace(t *testing.T) {
	labtest.NeedRoot(t)
	ns, err := netns.New()
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	c, err := ns.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	toSubnet := rule{Priority: 100, Dst: netip.MustParsePrefix("10.55.0.0/24"), Action: unix.FR_ACT_TO_TBL, Table: unix.RT_TABLE_MAIN}
	prohibit := rule{Priority: 101, Action: unix.FR_ACT_PROHIBIT}
	for _, r := range []rule{toSubnet, prohibit} {
		if err := addRule(c, r, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := addRule(c, prohibit, nil); !errors.Is(err, unix.EEXIST) {
		t.Errorf("a second prohibit rule: %v, want EEXIST", err)
	}
	rules, err := listRules(c)
	if err != nil {
		t.Fatal(err)
	}
	var mine []string
	for _, r := range rules {
		if r.Priority == 100 || r.Priority == 101 {
			mine = append(mine, r.String())
		}
	}
	want := []string{"100:\tfrom all to 10.55.0.0/24 lookup main", "101:\tfrom all prohibit"}
	if len(mine) != 2 || mine[0] != want[0] || mine[1] != want[1] {
		t.Errorf("rules %q, want %q", mine, want)
	}
}

// FuzzParseRule: whatever the kernel (or anything else) sends, parseRule
// never panics and never returns a prefix longer than /32.
func FuzzParseRule(f *testing.F) {
	f.Add(ruleMessage(unix.RTM_NEWRULE, rule{Priority: 100, Dst: netip.MustParsePrefix("10.55.0.0/24"), Action: unix.FR_ACT_TO_TBL, Table: 254}).Data)
	f.Add(ruleMessage(unix.RTM_NEWRULE, rule{Priority: 101, Action: unix.FR_ACT_PROHIBIT}).Data)
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := parseRule(b)
		if err == nil && r.Dst.IsValid() && r.Dst.Bits() > 32 {
			t.Fatalf("accepted %v", r)
		}
	})
}
