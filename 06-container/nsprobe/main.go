// Command nsprobe is the lab's probe: run inside a container, each
// subcommand tries one thing and says whether the kernel allowed it. make
// rootfs installs it as /usr/local/bin/nsprobe. Run without arguments, it
// lists every probe; for example:
//
//	nsprobe escape FILE      the classic chroot escape, then read FILE
//	nsprobe shm-create KEY   create a System V shared memory segment
//	nsprobe listen ADDR      accept one TCP connection and greet it
//	nsprobe connect ADDR     connect over TCP and print the greeting
//	nsprobe ns-info PATH     ask a namespace file about itself (ioctl_ns)
//
// Exit status: 0 when the attempt succeeded, 1 when the kernel refused,
// 2 for a usage error.
package main

import (
	"errors"
	"fmt"
	"os"
	"sort"
)

type probe struct {
	args  string
	about string
	run   func(args []string) error
}

var probes = map[string]probe{}

func register(name, args, about string, run func([]string) error) {
	probes[name] = probe{args, about, run}
}

func main() {
	if len(os.Args) < 2 || probes[os.Args[1]].run == nil {
		usage()
		os.Exit(2)
	}
	err := probes[os.Args[1]].run(os.Args[2:])
	switch {
	case errors.Is(err, errUsage):
		usage()
		os.Exit(2)
	case err != nil:
		fmt.Printf("%s: refused: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: nsprobe PROBE [ARGS]")
	var names []string
	for n := range probes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-18s %s\n", n+" "+probes[n].args, probes[n].about)
	}
}

// errUsage is a probe called with the wrong arguments.
var errUsage = errors.New("usage")

// count reads the arguments of a server probe, ADDR [N]: how many
// clients to serve, 1 when N is absent.
func count(args []string) (int, error) {
	if len(args) != 1 && len(args) != 2 {
		return 0, errUsage
	}
	n := 1
	if len(args) == 2 {
		if _, err := fmt.Sscan(args[1], &n); err != nil || n < 1 {
			return 0, errUsage
		}
	}
	return n, nil
}

// need checks the number of arguments.
func need(args []string, n int) error {
	if len(args) != n {
		return errUsage
	}
	return nil
}
