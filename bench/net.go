package main

import (
	"bufio"
	"fmt"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// netResult is one TCP throughput measurement.
type netResult struct {
	Name, Measure string
	MBps          float64
	Ratio         float64 // over the bare veth pair
}

// seconds is how long each transfer runs; each path is measured rounds
// times, alternating, and the median kept.
const (
	seconds = "2"
	rounds  = 3
)

// throughput sends TCP for a few seconds with nsprobe source to nsprobe
// sink, five ways: container to container over the bridge; from the host
// to a published port, through NAT and through the userland proxy; over
// a bare veth pair between two namespaces; and over loopback inside one.
// All the namespaces and addresses are this program's.
func throughput(cfg config) ([]netResult, error) {
	probe := filepath.Join(cfg.bin, "nsprobe")
	c := filepath.Join(cfg.bin, "06-container")
	setup := "ip netns add nslb-a && ip netns add nslb-b && " +
		"ip -n nslb-a link add eth0 type veth peer name eth0 netns nslb-b && " +
		"ip -n nslb-a addr add 10.96.0.1/24 dev eth0 && ip -n nslb-b addr add 10.96.0.2/24 dev eth0 && " +
		"ip -n nslb-a link set eth0 up && ip -n nslb-b link set eth0 up && ip -n nslb-a link set lo up"
	if _, err := output("sh", "-c", setup); err != nil {
		return nil, fmt.Errorf("veth set-up: %v", err)
	}
	paths := []struct {
		result       netResult
		sink, source []string
	}{
		{netResult{Name: "container → container (bridge)", Measure: "two 06-containers: veth, bridge port, bridge, bridge port, veth"},
			[]string{c, "--rootfs", cfg.rootfs, "--dns", "127.0.0.1", "--ip", "10.99.0.200", "--", "nsprobe", "sink", "0.0.0.0:9200"},
			[]string{c, "--rootfs", cfg.rootfs, "--dns", "127.0.0.1", "--", "nsprobe", "source", "10.99.0.200:9200", seconds}},
		{netResult{Name: "host → container (-p, NAT)", Measure: "the host to its own address 10.99.0.1:9300, DNAT in output to the container's port 9200: conntrack, bridge port, veth"},
			[]string{c, "--rootfs", cfg.rootfs, "--dns", "127.0.0.1", "-p", "9300:9200", "--", "nsprobe", "sink", "0.0.0.0:9200"},
			[]string{probe, "source", "10.99.0.1:9300", seconds}},
		{netResult{Name: "host → container (-p, 127.0.0.1)", Measure: "the runtime's userland proxy: loopback to the runtime, copied to a second connection over the bridge"},
			[]string{c, "--rootfs", cfg.rootfs, "--dns", "127.0.0.1", "-p", "9300:9200", "--", "nsprobe", "sink", "0.0.0.0:9200"},
			[]string{probe, "source", "127.0.0.1:9300", seconds}},
		{netResult{Name: "namespace → namespace (bare veth)", Measure: "two namespaces joined by one veth pair, no bridge"},
			[]string{"ip", "netns", "exec", "nslb-a", probe, "sink", "10.96.0.1:9200"},
			[]string{"ip", "netns", "exec", "nslb-b", probe, "source", "10.96.0.1:9200", seconds}},
		{netResult{Name: "loopback (one namespace)", Measure: "the ceiling: no device between the sockets"},
			[]string{"ip", "netns", "exec", "nslb-a", probe, "sink", "127.0.0.1:9201"},
			[]string{"ip", "netns", "exec", "nslb-a", probe, "source", "127.0.0.1:9201", seconds}},
	}
	samples := make([][]float64, len(paths))
	for round := 0; round < rounds; round++ {
		for i, p := range paths {
			mbps, err := measure(p.sink, p.source)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", p.result.Name, err)
			}
			samples[i] = append(samples[i], mbps)
		}
	}
	var out []netResult
	for i, p := range paths {
		sort.Float64s(samples[i])
		p.result.MBps = samples[i][len(samples[i])/2]
		out = append(out, p.result)
	}
	bare := out[len(out)-2].MBps
	for i := range out {
		out[i].Ratio = out[i].MBps / bare
	}
	return out, nil
}

// measure starts the sink, waits until it listens, runs the source, and
// reads the throughput the sink reports.
func measure(sinkArgv, sourceArgv []string) (float64, error) {
	sink := exec.Command(sinkArgv[0], sinkArgv[1:]...)
	stdout, err := sink.StdoutPipe()
	if err != nil {
		return 0, err
	}
	if err := sink.Start(); err != nil {
		return 0, err
	}
	defer sink.Wait()
	lines := bufio.NewScanner(stdout)
	listening := make(chan bool, 1)
	go func() { listening <- lines.Scan() && strings.Contains(lines.Text(), "listening") }()
	select {
	case ok := <-listening:
		if !ok {
			return 0, fmt.Errorf("the sink did not start")
		}
	case <-time.After(10 * time.Second):
		sink.Process.Kill()
		return 0, fmt.Errorf("the sink did not start in 10 s")
	}
	if out, err := output(sourceArgv[0], sourceArgv[1:]...); err != nil {
		sink.Process.Kill()
		return 0, fmt.Errorf("source: %v %s", err, out)
	}
	if !lines.Scan() {
		return 0, fmt.Errorf("the sink said nothing")
	}
	// "sink: N bytes in S s = X MB/s"
	f := strings.Fields(lines.Text())
	if len(f) < 2 {
		return 0, fmt.Errorf("the sink said %q", lines.Text())
	}
	return strconv.ParseFloat(f[len(f)-2], 64)
}
