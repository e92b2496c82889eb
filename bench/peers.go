package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// peer is one way to run /bin/true in the rootfs.
type peer struct {
	Name    string
	Measure string   // what the row measures, for the report
	Argv    []string // the command, run by hyperfine without a shell
	Needs   string   // the program that must be installed
}

// result is hyperfine's measurement of one peer, in milliseconds.
type result struct {
	Name, Measure            string
	Median, Min, Max, Stddev float64
	Ratio                    float64 // median over the unshare baseline's
}

// refused is a peer that is installed but would not run here.
type refused struct{ Name, Why string }

const baseline = "unshare (baseline)"

const bundleRoot = "/tmp/nslab-bench-bundles"

func peers(cfg config) []peer {
	c := filepath.Join(cfg.bin, "06-container")
	r := cfg.rootfs
	unshare := []string{"unshare", "--fork", "--pid", "--mount", "--uts", "--ipc", "--mount-proc"}
	return []peer{
		{"06-container --net=none", "the container: UTS, mount, PID, IPC, network (lo only) and cgroup namespaces, an overlay root, pivot_root, /proc /sys /dev, init, protections",
			[]string{c, "--rootfs", r, "--net=none", "--", "/bin/true"}, ""},
		{"06-container --net=none, init moved", "the same runtime built to move the init into its cgroup after the clone (-tags nslab_move), as before clone3's CLONE_INTO_CGROUP",
			[]string{filepath.Join(cfg.bin, "06-container-moved"), "--rootfs", r, "--net=none", "--", "/bin/true"}, ""},
		{"06-container --net=none --rootfs-rw", "the same without the overlay: the rootfs itself is the root, so no tmpfs, upper or work directory to make",
			[]string{c, "--rootfs", r, "--net=none", "--rootfs-rw", "--", "/bin/true"}, ""},
		{"06-container --net=bridge", "the same, plus a lease, a veth pair on the bridge, addresses, routes and rules",
			[]string{c, "--rootfs", r, "--net=bridge", "--dns", "127.0.0.1", "--", "/bin/true"}, ""},
		{"chroot", "chroot(2) alone: no namespace at all", []string{"chroot", r, "/bin/true"}, "chroot"},
		{baseline, "util-linux: PID, mount, UTS and IPC namespaces, a fresh /proc, chroot",
			append(append([]string{}, unshare...), "chroot", r, "/bin/true"), "unshare"},
		{"unshare --net", "the baseline plus a network namespace (lo only)",
			append(append([]string{}, unshare...), "--net", "chroot", r, "/bin/true"), "unshare"},
		{"bwrap --unshare-all", "bubblewrap: user, IPC, PID, network, UTS and cgroup namespaces, the rootfs bound read-only, /proc, /dev",
			[]string{"bwrap", "--unshare-all", "--ro-bind", r, "/", "--proc", "/proc", "--dev", "/dev", "/bin/true"}, "bwrap"},
		{"runc run", "runc with an OCI bundle of the same rootfs (no network namespace)",
			[]string{"runc", "run", "--bundle", filepath.Join(bundleRoot, "nonet"), "nslab-bench"}, "runc"},
		{"runc run (netns)", "the same with a network namespace",
			[]string{"runc", "run", "--bundle", filepath.Join(bundleRoot, "net"), "nslab-bench"}, "runc"},
		{"crun run", "crun with the same bundle (no network namespace)",
			[]string{"crun", "run", "--bundle", filepath.Join(bundleRoot, "nonet"), "nslab-bench"}, "crun"},
		{"crun run (netns)", "the same with a network namespace",
			[]string{"crun", "run", "--bundle", filepath.Join(bundleRoot, "net"), "nslab-bench"}, "crun"},
		{"a Go program (nsprobe euid)", "not a container: starting a small Go program and exiting — 06-container starts two of them (runtime and init)",
			[]string{filepath.Join(cfg.bin, "nsprobe"), "euid"}, ""},
		{"ip netns + veth (shell)", "the shell baseline for networking: ip netns add, a veth pair into it, addresses, links up, then ip link del and ip netns del",
			[]string{"sh", "-c", netnsScript}, "ip"},
	}
}

// netnsScript is 06-container's network set-up done with ip(8).
const netnsScript = "ip netns add nslb0 && ip link add nslbv0 type veth peer name eth0 netns nslb0 && " +
	"ip addr add 10.97.0.1/24 dev nslbv0 && ip link set nslbv0 up && " +
	"ip -n nslb0 addr add 10.97.0.2/24 dev eth0 && ip -n nslb0 link set eth0 up && ip -n nslb0 link set lo up && " +
	"ip link del nslbv0 && ip netns del nslb0"

// startToExit checks each installed peer once, then has hyperfine time
// all that ran, back to back in one invocation.
func startToExit(cfg config) ([]result, []refused, error) {
	if err := writeBundles(cfg.rootfs); err != nil {
		return nil, nil, err
	}
	var ok []peer
	var no []refused
	for _, p := range peers(cfg) {
		if p.Needs != "" && !installed(p.Needs) {
			no = append(no, refused{p.Name, p.Needs + " is not installed"})
			continue
		}
		if _, err := output(p.Argv[0], p.Argv[1:]...); err != nil {
			no = append(no, refused{p.Name, err.Error()})
			continue
		}
		ok = append(ok, p)
	}
	args := []string{"-N", "--style", "basic", "--warmup", "5", "--runs", fmt.Sprint(cfg.runs), "--export-json", "/tmp/nslab-bench.json"}
	for _, p := range ok {
		args = append(args, "--command-name", p.Name, shellWords(p.Argv))
	}
	if out, err := output("hyperfine", args...); err != nil {
		return nil, nil, fmt.Errorf("hyperfine: %v\n%s", err, out)
	}
	defer os.Remove("/tmp/nslab-bench.json")
	return readHyperfine("/tmp/nslab-bench.json", ok), no, nil
}

// shellWords quotes a command for hyperfine, which splits it like a shell.
func shellWords(argv []string) string {
	var words []string
	for _, a := range argv {
		if strings.ContainsAny(a, " '\"&|;") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		words = append(words, a)
	}
	return strings.Join(words, " ")
}

// readHyperfine reads hyperfine's JSON export: times in seconds.
func readHyperfine(path string, ps []peer) []result {
	var data struct {
		Results []struct {
			Command                  string
			Median, Min, Max, Stddev float64
		}
	}
	b, err := os.ReadFile(path)
	if err != nil || json.Unmarshal(b, &data) != nil {
		return nil
	}
	var out []result
	var base float64
	for i, r := range data.Results {
		res := result{Name: ps[i].Name, Measure: ps[i].Measure,
			Median: r.Median * 1000, Min: r.Min * 1000, Max: r.Max * 1000, Stddev: r.Stddev * 1000}
		if res.Name == baseline {
			base = res.Median
		}
		out = append(out, res)
	}
	for i := range out {
		if base > 0 {
			out[i].Ratio = out[i].Median / base
		}
	}
	return out
}
