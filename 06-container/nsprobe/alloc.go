package main

import (
	"fmt"
	"os"
	"strconv"
)

func init() {
	register("alloc", "MIB", "allocate MIB mebibytes and touch every page, saying so every 8 MiB", alloc)
}

// alloc makes memory really used: the kernel charges a page to the
// cgroup when it is first written, not when it is allocated.
func alloc(args []string) error {
	if err := need(args, 1); err != nil {
		return err
	}
	mib, err := strconv.Atoi(args[0])
	if err != nil || mib <= 0 {
		return fmt.Errorf("MIB %q: want a number of mebibytes", args[0])
	}
	page := os.Getpagesize()
	var chunks [][]byte
	for i := 1; i <= mib; i++ {
		chunk := make([]byte, 1<<20)
		for j := 0; j < len(chunk); j += page {
			chunk[j] = 1
		}
		chunks = append(chunks, chunk)
		if i%8 == 0 || i == mib {
			fmt.Printf("alloc: %d MiB touched\n", len(chunks))
		}
	}
	return nil
}
