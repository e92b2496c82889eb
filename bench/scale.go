package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// scaleResult is the latency distribution of containers started one after
// the other, and the time to start (and finish) many at once.
type scaleResult struct {
	Runs               int
	P50, P90, P99, Max float64 // milliseconds
	Concurrent         int
	ConcurrentWall     float64 // milliseconds until the last one exited
}

func scale(cfg config) (scaleResult, error) {
	r := scaleResult{Runs: 500, Concurrent: 32}
	argv := []string{filepath.Join(cfg.bin, "06-container"), "--rootfs", cfg.rootfs, "--net=bridge", "--dns", "127.0.0.1", "--", "/bin/true"}
	var times []float64
	for i := 0; i < r.Runs; i++ {
		start := time.Now()
		if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
			return r, fmt.Errorf("run %d: %v\n%s", i, err, out)
		}
		times = append(times, float64(time.Since(start).Microseconds())/1000)
	}
	sort.Float64s(times)
	pct := func(p float64) float64 { return times[int(p*float64(len(times)-1))] }
	r.P50, r.P90, r.P99, r.Max = pct(0.50), pct(0.90), pct(0.99), times[len(times)-1]

	var wg sync.WaitGroup
	errs := make(chan error, r.Concurrent)
	start := time.Now()
	for i := 0; i < r.Concurrent; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
				errs <- fmt.Errorf("%v: %s", err, out)
			}
		}()
	}
	wg.Wait()
	r.ConcurrentWall = float64(time.Since(start).Microseconds()) / 1000
	close(errs)
	for err := range errs {
		return r, fmt.Errorf("32 at once: %v", err)
	}
	return r, nil
}
