package main

import (
	"os/exec"
	"sort"
	"testing"
	"time"

	"nslab/internal/labtest"
)

// The start-to-exit benchmarks run 06-container and the shell baseline in
// turns, so that both see the same machine, and report medians and their
// ratio. They are informative: nothing here passes or fails on a number.
//
// The baseline does with util-linux what --net=none does: new PID, mount,
// UTS and IPC namespaces, a fresh /proc, a chroot, /bin/true.

func BenchmarkStartToExitNetNone(b *testing.B) {
	compareWithUnshare(b, "--net=none")
}

func BenchmarkStartToExitNetBridge(b *testing.B) {
	compareWithUnshare(b, "--net=bridge")
}

func compareWithUnshare(b *testing.B, net string) {
	labtest.NeedRoot(b)
	r := rootfs(b)
	ours := []string{bin, "--rootfs", r, net, "--", "/bin/true"}
	base := []string{"unshare", "--fork", "--pid", "--mount", "--uts", "--ipc", "--mount-proc", "chroot", r, "/bin/true"}
	var tOurs, tBase []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tOurs = append(tOurs, timeRun(b, ours))
		tBase = append(tBase, timeRun(b, base))
	}
	b.StopTimer()
	mo, mb := median(tOurs), median(tBase)
	b.ReportMetric(float64(mo.Microseconds())/1000, "ms/container")
	b.ReportMetric(float64(mb.Microseconds())/1000, "ms/unshare")
	b.ReportMetric(float64(mo)/float64(mb), "ratio")
	labtest.Run(b, bin, "--cleanup")
}

func timeRun(b *testing.B, argv []string) time.Duration {
	start := time.Now()
	if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
		b.Fatalf("%v: %v\n%s", argv, err, out)
	}
	return time.Since(start)
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
