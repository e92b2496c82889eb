// Command 02-mount gives a command a private mount table: chapter 02 of
// nslab.
//
// The child is born in a new mount namespace (CLONE_NEWNS), which starts as
// a copy of the host's mount table. Before mounting anything it makes its
// copy of the tree private, because on a systemd host "/" is a shared mount
// and every mount beneath it would otherwise propagate back to the host.
// Then it mounts a tmpfs and binds it to a second place, and the parent
// checks that the host never saw either.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	"nslab/01-uts/reexec"
	"nslab/02-mount/mountns"
	"nslab/internal/cli"
	"nslab/internal/doctor"
	"nslab/internal/explain"
	"nslab/internal/nsinfo"
)

const prog = "02-mount"

const summary = `Chapter 02, mount namespaces: the command gets a private copy of the mount
table; a tmpfs and a bind mount made inside never appear on the host.`

type config struct {
	propagation string // what the child makes of "/" first
	dir         string // where the child mounts; "" makes a scratch directory
	user        bool
	demo        bool
	verbose     bool
	command     []string
}

func main() {
	p := cli.New(prog, prog+" [flags] [--] [COMMAND [ARG...]]", summary)
	var cfg config
	p.Flags.StringVar(&cfg.propagation, "propagation", "private",
		"what the child makes of / before mounting: private, slave, shared or unchanged (the last two leak on systemd hosts)")
	p.Flags.StringVar(&cfg.dir, "dir", "", "directory the child mounts under (default: a scratch directory in /tmp, removed afterwards)")
	p.Flags.BoolVar(&cfg.user, "user", false, "also create a user namespace, so a regular user can run this (chapter 03)")
	p.Flags.BoolVar(&cfg.demo, "demo-propagation", false, "show what shared, slave and private do, on a scratch mount the program removes again")
	command, err := p.Parse(os.Args[1:])
	if err != nil {
		cli.Exit(prog, err)
	}
	cfg.command, cfg.verbose = command, p.Verbose
	switch {
	case p.Check:
		err = doctor.Run(prog, checks())
	case reexec.Stage() == "child":
		err = child(cfg, explain.New(p.Verbose, "child"))
	case reexec.Stage() == "demo-child":
		err = demoChild(cfg, explain.New(p.Verbose, "child"))
	case cfg.demo:
		err = demoPropagation(cfg, explain.New(p.Verbose, "parent"))
	default:
		err = parent(cfg, explain.New(p.Verbose, "parent"))
	}
	cli.Exit(prog, err)
}

// parent prepares the directory, runs the child in a new mount namespace,
// and then looks for the child's mounts in the host's table.
func parent(cfg config, log *explain.Log) (err error) {
	if cfg.propagation != "unchanged" {
		if _, ok := mountns.Propagations[cfg.propagation]; !ok {
			return cli.Failf("--propagation %q: want private, slave, shared or unchanged", cfg.propagation)
		}
	}
	sc, err := newScratch(cfg.dir)
	if err != nil {
		return err
	}
	defer cli.Cleanup(&err, "removing the mount points", sc.remove)
	cfg.dir = sc.dir

	if err := describeHostRoot(); err != nil {
		return err
	}
	status, err := cli.Run(childCommand("child", cfg, log))
	if err != nil {
		return startError(err)
	}
	if err := checkHost(cfg.dir, log); err != nil {
		return err
	}
	return cli.Exited(status)
}

// scratch is the directory the child mounts under, with the two mount
// points "tmpfs" and "bind" inside it, and what this program created there.
type scratch struct {
	dir     string
	created []string
}

// newScratch makes the directory (or checks the one --dir names) and its
// two mount points. Bad input is refused here, before any namespace
// exists.
func newScratch(dir string) (*scratch, error) {
	sc := &scratch{}
	if dir == "" {
		d, err := os.MkdirTemp("", "nslab-02-")
		if err != nil {
			return nil, cli.Failf("scratch directory: %w", err)
		}
		dir = d
		sc.created = append(sc.created, d)
	} else {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return nil, cli.Failf("--dir: %w", err)
		}
		if fi, err := os.Stat(abs); err != nil || !fi.IsDir() {
			return nil, cli.Failf("--dir %s: not an existing directory — create it first", dir)
		}
		dir = abs
	}
	sc.dir = dir
	for _, sub := range []string{"tmpfs", "bind"} {
		p := filepath.Join(dir, sub)
		err := os.Mkdir(p, 0o755)
		if err == nil {
			sc.created = append(sc.created, p)
			continue
		}
		if !errors.Is(err, os.ErrExist) {
			if rerr := sc.remove(); rerr != nil {
				cli.Warnf("cleanup: %v", rerr)
			}
			return nil, cli.Failf("mount point %s: %w", p, err)
		}
	}
	return sc, nil
}

// remove removes what newScratch created, newest first. A mount point
// that is still in use (something is mounted there) cannot be removed,
// and says so.
func (sc *scratch) remove() error {
	var first error
	for i := len(sc.created) - 1; i >= 0; i-- {
		if err := os.Remove(sc.created[i]); err != nil && first == nil {
			first = err
		}
	}
	sc.created = nil
	return first
}

// describeHostRoot prints the propagation of the host's "/" — the setting
// that decides whether a careless child leaks mounts.
func describeHostRoot() error {
	mounts, err := mountns.Read("/proc/self/mountinfo")
	if err != nil {
		return err
	}
	root, _ := mountns.Find(mounts, "/")
	note := "mounts made beneath it in a copied namespace come back here unless the copy is made private"
	if !root.Shared() {
		note = "systemd hosts make it shared, and then mounts made beneath it in a copied namespace come back"
	}
	fmt.Fprintf(os.Stderr, "host:   / is %s — %s\n", root.Propagation(), note)
	return nil
}

// childCommand runs this binary again in a new mount namespace (and a new
// user namespace with --user), passing on what it needs as flags.
func childCommand(stage string, cfg config, log *explain.Log) *exec.Cmd {
	flags := uintptr(syscall.CLONE_NEWNS)
	shell := "unshare --mount --propagation unchanged"
	attr := &syscall.SysProcAttr{}
	if cfg.user {
		flags |= syscall.CLONE_NEWUSER
		shell = "unshare --user --map-root-user --mount --propagation unchanged"
		attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}}
		attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}}
	}
	attr.Cloneflags = flags
	args := []string{"--dir", cfg.dir, "--propagation", cfg.propagation}
	if cfg.verbose {
		args = append(args, "-v")
	}
	args = append(append(args, "--"), cfg.command...)
	log.Step(fmt.Sprintf("clone(%s) + execve(\"/proc/self/exe\")", nsinfo.FlagNames(flags)),
		shell+" "+explain.Command(append([]string{prog}, args...)...))

	cmd := reexec.Command(stage, args...)
	cmd.SysProcAttr = attr
	return cmd
}

func startError(err error) error {
	if errors.Is(err, syscall.EPERM) {
		return cli.Failf("clone(CLONE_NEWNS): %w — run as root, or add --user (chapter 03 explains user namespaces)", syscall.EPERM)
	}
	return cli.Failf("starting the child: %w", err)
}

// tmpfsSource is the name the child gives its tmpfs: mountinfo shows it
// as the source of the tmpfs and of the bind mount of it, which tells this
// program's mounts from any a learner makes by hand in the same directory.
const tmpfsSource = "nslab-02"

// checkHost looks in the host's table for the two mounts the child made.
// A leaked mount is reported and then removed, so that even the
// demonstration of the mistake leaves nothing behind; mounts that someone
// else made under the directory are left alone.
func checkHost(dir string, log *explain.Log) error {
	mounts, err := mountns.Read("/proc/self/mountinfo")
	if err != nil {
		return err
	}
	var leaked []mountns.Mount
	for _, m := range mountns.Under(mounts, dir) {
		mine := m.MountPoint == filepath.Join(dir, "tmpfs") || m.MountPoint == filepath.Join(dir, "bind")
		if mine && m.Source == tmpfsSource {
			leaked = append(leaked, m)
		}
	}
	if len(leaked) == 0 {
		fmt.Fprintf(os.Stderr, "host:   the child's mounts are not in the host's table — they stayed in its namespace\n")
		return nil
	}
	fmt.Fprintf(os.Stderr, "host:   LEAKED: the child's mounts reached the host's table:\n")
	for _, m := range leaked {
		fmt.Fprintf(os.Stderr, "          %s\n", m.Line)
	}
	for i := len(leaked) - 1; i >= 0; i-- {
		if err := mountns.Unmount(leaked[i].MountPoint, true, log); err != nil {
			return cli.Failf("removing the leaked mount: %w", err)
		}
	}
	fmt.Fprintf(os.Stderr, "host:   removed them again (umount -l)\n")
	return nil
}

// child runs in the new mount namespace: it makes its copy of the tree
// private, mounts a tmpfs and a bind mount, and runs the command.
func child(cfg config, log *explain.Log) error {
	if err := reexec.Require("mnt"); err != nil {
		return err
	}
	link, _ := nsinfo.Link(0, "mnt")
	fmt.Fprintf(os.Stderr, "child:  %s, a copy of the host's mount table\n", link)
	if err := showRoot("before", log); err != nil {
		return err
	}
	if cfg.propagation != "unchanged" {
		log.Note("on a systemd host / is shared: without this, the mounts below would appear on the host too")
		if err := mountns.SetPropagation("/", cfg.propagation, true, log); err != nil {
			return err
		}
		if err := showRoot("after", log); err != nil {
			return err
		}
	}
	tmpfs, bind := filepath.Join(cfg.dir, "tmpfs"), filepath.Join(cfg.dir, "bind")
	if err := mountns.MountFS("tmpfs", tmpfsSource, tmpfs, syscall.MS_NOSUID|syscall.MS_NODEV, "size=1m,mode=755", log); err != nil {
		return err
	}
	hello := filepath.Join(tmpfs, "hello")
	if err := os.WriteFile(hello, []byte("written to the tmpfs, read through the bind mount\n"), 0o644); err != nil {
		return err
	}
	if err := mountns.Bind(tmpfs, bind, false, log); err != nil {
		return err
	}
	if err := showMounts(cfg.dir); err != nil {
		return err
	}
	return runCommand(cfg, filepath.Join(bind, "hello"), log)
}

// showRoot prints the mountinfo line of "/" in this namespace.
func showRoot(when string, log *explain.Log) error {
	mounts, err := mountns.Read("/proc/self/mountinfo")
	if err != nil {
		return err
	}
	root, _ := mountns.Find(mounts, "/")
	fmt.Fprintf(os.Stderr, "child:  / %-7s %s  (%s)\n", when+":", root.Line, root.Propagation())
	return nil
}

// showMounts prints the mountinfo lines for the child's mounts.
func showMounts(dir string) error {
	mounts, err := mountns.Read("/proc/self/mountinfo")
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "child:  mounts under %s in /proc/self/mountinfo:\n", dir)
	for _, m := range mountns.Under(mounts, dir) {
		fmt.Fprintf(os.Stderr, "          %s\n", m.Line)
	}
	return nil
}

// runCommand runs the command, a shell when there is none and standard
// input is a terminal, or otherwise prints the file read through the bind
// mount.
func runCommand(cfg config, hello string, log *explain.Log) error {
	command := cfg.command
	if len(command) == 0 && !cli.Interactive() {
		b, err := os.ReadFile(hello)
		if err != nil {
			return err
		}
		fmt.Printf("child:  %s: %s", hello, b)
		return nil
	}
	if len(command) == 0 {
		command = []string{cli.Shell()}
		fmt.Fprintf(os.Stderr, "child:  starting %s; try `findmnt -R %s` or `cat %s`, then `exit`\n", command[0], cfg.dir, hello)
	}
	log.Step(fmt.Sprintf("execve(%q)", command[0]), "exec "+explain.Command(command...))
	return cli.Exec(command, os.Environ())
}

// checks lists what this chapter needs from the machine.
func checks() []doctor.Result {
	mnt, _ := nsinfo.Lookup("mnt")
	return []doctor.Result{
		doctor.Kernel(mnt),
		doctor.Root(prog),
		doctor.Unshare(mnt.Flag),
	}
}
