package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"nslab/01-uts/reexec"
	"nslab/02-mount/mountns"
	"nslab/internal/cli"
	"nslab/internal/explain"
)

// The propagation demonstration. The parent mounts a scratch tmpfs on the
// host and makes it shared, so that it behaves like "/" on a systemd host
// whatever this machine's "/" is. For each propagation type a child in a
// new mount namespace sets its copy of the scratch mount to that type and
// mounts beneath it; the parent mounts beneath its own copy; each side
// then looks for the other's mount. Everything hangs off the scratch
// tmpfs, which is detached at the end.

var demoModes = []string{"shared", "slave", "private"}

// demoResult is what one mode showed.
type demoResult struct {
	mode        string
	childToHost bool // the child's mount appeared on the host
	hostToChild bool // the host's mount appeared in the child
}

func demoPropagation(cfg config, log *explain.Log) (err error) {
	if os.Geteuid() != 0 {
		return cli.Failf("--demo-propagation mounts on the host and needs root — run it with sudo")
	}
	dir, err := os.MkdirTemp("", "nslab-02-demo-")
	if err != nil {
		return cli.Failf("scratch directory: %w", err)
	}
	defer cli.Cleanup(&err, "removing "+dir, func() error { return os.Remove(dir) })
	if err := mountns.MountFS("tmpfs", "nslab-02-demo", dir, syscall.MS_NOSUID|syscall.MS_NODEV, "size=1m,mode=755", log); err != nil {
		return err
	}
	defer cli.Cleanup(&err, "unmounting the scratch tmpfs", func() error { return mountns.Unmount(dir, true, log) })
	if err := mountns.SetPropagation(dir, "shared", false, log); err != nil {
		return err
	}
	fmt.Printf("demo:   a scratch tmpfs on %s, made shared: a copy of it in a new mount namespace is its peer\n\n", dir)

	fmt.Printf("%-8s  %-30s  %s\n", "mode", "child's mount seen by the host", "host's mount seen by the child")
	for _, mode := range demoModes {
		cfg.dir, cfg.propagation = filepath.Join(dir, mode), mode
		r, err := demoOne(cfg, log)
		if err != nil {
			return err
		}
		fmt.Printf("%-8s  %-30s  %s\n", mode, yesNo(r.childToHost, "yes — it leaked"), yesNo(r.hostToChild, "yes"))
	}
	fmt.Printf("\ndemo:   unmounting %s and everything beneath it; nothing is left on the host\n", dir)
	return nil
}

func yesNo(b bool, yes string) string {
	if b {
		return yes
	}
	return "no"
}

// demoOne runs one child and trades mounts with it. The child's standard
// input and output are the pipes the two sides take turns on.
func demoOne(cfg config, log *explain.Log) (demoResult, error) {
	r := demoResult{mode: cfg.propagation}
	for _, d := range []string{cfg.dir, filepath.Join(cfg.dir, "from-child"), filepath.Join(cfg.dir, "from-host")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return r, err
		}
	}
	cmd := childCommand("demo-child", cfg, log)
	cmd.Stdin, cmd.Stdout = nil, nil
	toChild, err := cmd.StdinPipe()
	if err != nil {
		return r, err
	}
	fromChild, err := cmd.StdoutPipe()
	if err != nil {
		return r, err
	}
	if err := cmd.Start(); err != nil {
		return r, startError(err)
	}
	err = trade(&r, cfg.dir, toChild, bufio.NewReader(fromChild), log)
	toChild.Close() // the child exits when its input ends
	if waitErr := cmd.Wait(); err == nil && waitErr != nil {
		err = cli.Failf("the %s child failed: %w", cfg.propagation, waitErr)
	}
	return r, err
}

// trade is the parent's side of one round: wait for the child's mount,
// look for it, mount in return, and ask the child whether it saw that.
func trade(r *demoResult, dir string, toChild io.Writer, replies *bufio.Reader, log *explain.Log) error {
	if _, err := expect(replies, "mounted"); err != nil {
		return err
	}
	r.childToHost = mounted(filepath.Join(dir, "from-child"))
	if err := mountns.MountFS("tmpfs", "nslab-02-host", filepath.Join(dir, "from-host"), 0, "size=1m", log); err != nil {
		return err
	}
	fmt.Fprintln(toChild, "look")
	seen, err := expect(replies, "seen", "not-seen")
	r.hostToChild = seen == "seen"
	return err
}

// expect reads one line from the child and checks it is one of wants.
func expect(r *bufio.Reader, wants ...string) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil && err != io.EOF {
		return "", cli.Failf("reading from the child: %w", err)
	}
	line = strings.TrimSuffix(line, "\n")
	for _, w := range wants {
		if line == w {
			return line, nil
		}
	}
	return "", cli.Failf("the child said %q, expected %v", line, wants)
}

// mounted reports whether something is mounted at path in this process's
// mount namespace.
func mounted(path string) bool {
	mounts, err := mountns.Read("/proc/self/mountinfo")
	if err != nil {
		return false
	}
	_, ok := mountns.Find(mounts, path)
	return ok
}

// demoChild is the child side: set the propagation of its copy of the
// scratch mount, mount beneath it, tell the parent, wait, and report
// whether the parent's mount arrived.
func demoChild(cfg config, log *explain.Log) error {
	if err := reexec.Require("mnt"); err != nil {
		return err
	}
	scratch := filepath.Dir(cfg.dir)
	if err := mountns.SetPropagation(scratch, cfg.propagation, false, log); err != nil {
		return err
	}
	if err := mountns.MountFS("tmpfs", "nslab-02-child", filepath.Join(cfg.dir, "from-child"), 0, "size=1m", log); err != nil {
		return err
	}
	fmt.Println("mounted")
	in := bufio.NewReader(os.Stdin)
	if _, err := in.ReadString('\n'); err != nil {
		return cli.Failf("waiting for the parent: %w", err)
	}
	if mounted(filepath.Join(cfg.dir, "from-host")) {
		fmt.Println("seen")
	} else {
		fmt.Println("not-seen")
	}
	return nil
}
