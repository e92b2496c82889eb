package main

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"

	"nslab/internal/cli"
	"nslab/internal/explain"
	"nslab/internal/nsinfo"
	"nslab/internal/osthread"
)

// exec: a command in a running container — setns(2), the other half of
// the namespace API. The kernel rules it is built around:
//
//   - setns moves the calling *thread* into a namespace, so the joining is
//     done on a locked thread of its own (package osthread), and the
//     command is started from it: a child is born in its parent thread's
//     namespaces.
//   - A mount namespace cannot be joined by a thread whose filesystem
//     attributes (root, working directory) are shared with other threads,
//     as all of a Go program's are: unshare(CLONE_FS) first gives this
//     thread its own. Joining sets the thread's root and working directory
//     to the namespace's root.
//   - setns(CLONE_NEWPID) does not move the caller — a process's PID never
//     changes — but puts its next child in that PID namespace.
//   - A user namespace can only be joined by a process with a single
//     thread, which a Go program never is. That is why runc does this part
//     in C (nsexec, before the Go runtime starts). Here a rootless
//     container's own PID 1 starts the command instead (execserver.go).
//
// Never "chroot /proc/PID/root" while staying in the host's mount
// namespace: the host's mounts would still be there, a chroot away.

// execFlags are the flags of exec.
type execFlags struct {
	tty, interactive bool
	env              []string
	workdir          string
}

// execIn runs a command in container id and returns its exit status.
func execIn(rootless bool, id string, ef execFlags, command []string, log *explain.Log) (err error) {
	if len(command) == 0 {
		return cli.Failf("exec needs a command: %s", usageOf("exec"))
	}
	r, err := findInfo(rootless, id)
	if err != nil {
		return err
	}
	extra, err := checkEnv(ef.env)
	if err != nil {
		return err
	}
	env := append(append([]string{}, r.Env...), extra...)
	workdir := r.Workdir
	if ef.workdir != "" {
		workdir = ef.workdir
	}
	st, err := newStreams(ef.tty, ef.interactive)
	if err != nil {
		return err
	}
	defer cli.Cleanup(&err, "restoring the terminal", st.restore)
	var status int
	if r.Rootless {
		status, err = execThroughInit(r, command, env, workdir, st, log)
	} else {
		status, err = execByJoining(r, command, env, workdir, st, log)
	}
	if err != nil {
		return err
	}
	return cli.Exited(status)
}

// joined lists the namespaces exec joins, the mount namespace last: once
// in it, /proc/PID/ns paths would be looked up in the container's /proc.
var joined = []string{"ipc", "uts", "net", "pid", "cgroup", "mnt"}

// execByJoining is exec as root: open the container's namespaces, join
// them on a thread of its own, limit that thread as the container's
// command is limited, and start the command from it.
func execByJoining(r *info, command, env []string, workdir string, st *streams, log *explain.Log) (status int, err error) {
	path, err := resolveCommand(fmt.Sprintf("/proc/%d/root", r.Init.PID), "container "+r.ID, workdir, command[0])
	if err != nil {
		return 0, err
	}
	nsFiles, err := openNamespaces(r.Init.PID)
	if err != nil {
		return 0, err
	}
	defer func() {
		for _, f := range nsFiles {
			f.Close()
		}
	}()
	cmd := &exec.Cmd{Path: path, Args: command, Env: env}
	// The command must be born in the container's cgroup: this process
	// moves there for the moment of the fork, and back.
	back, err := visitCgroup(r.Cgroup, log)
	if err != nil {
		return 0, err
	}
	defer cli.Cleanup(&err, "leaving the container's cgroup", back)
	err = osthread.Run(func() error {
		if err := joinNamespaces(nsFiles, log); err != nil {
			return err
		}
		log.Step(fmt.Sprintf("chdir(%q)", workdir), "cd "+workdir)
		if err := os.Chdir(workdir); err != nil {
			return cli.Failf("-w %s: %w", workdir, err)
		}
		if err := protect(r.Protect, log); err != nil {
			return err
		}
		return startExec(cmd, st, log)
	})
	if err != nil {
		return 0, err
	}
	st.started()
	if err := back(); err != nil {
		_ = cmd.Process.Kill()
		return 0, err
	}
	return waitExec(cmd, st)
}

// openNamespaces opens /proc/PID/ns/* of the container's PID 1, checking
// on the way that they are not this process's own: a PID reused by a
// process of the host would join nothing.
func openNamespaces(pid int) ([]*os.File, error) {
	var files []*os.File
	for _, kind := range joined {
		f, err := os.Open(nsinfo.Path(pid, kind))
		if err != nil {
			for _, g := range files {
				g.Close()
			}
			return nil, cli.Failf("container's %s namespace: %w", kind, err)
		}
		files = append(files, f)
	}
	return files, nil
}

// joinNamespaces joins them on the calling (locked) thread.
func joinNamespaces(files []*os.File, log *explain.Log) error {
	log.Step("unshare(CLONE_FS)", "")
	if err := unix.Unshare(unix.CLONE_FS); err != nil {
		return fmt.Errorf("unshare(CLONE_FS): %w", err)
	}
	for i, f := range files {
		k, _ := nsinfo.Lookup(joined[i])
		log.Step(fmt.Sprintf("setns(%s, %s)", f.Name(), k.FlagName), "")
		if err := unix.Setns(int(f.Fd()), int(k.Flag)); err != nil {
			return cli.Failf("setns(%s): %w", k.FlagName, err)
		}
	}
	return nil
}

// startExec starts the command on the joined thread, in a session of its
// own; with -t, on a pseudo-terminal of the container's own devpts — this
// thread's root is the container's, so /dev/ptmx is the container's.
func startExec(cmd *exec.Cmd, st *streams, log *explain.Log) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if !st.tty {
		cmd.Stdin, cmd.Stdout, cmd.Stderr = st.cmdIn, st.initOut, st.initErr
		return startErr(cmd)
	}
	master, slave, err := openPTY(log)
	if err != nil {
		return err
	}
	defer slave.Close()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr.Setctty, cmd.SysProcAttr.Ctty = true, 0
	if err := startErr(cmd); err != nil {
		master.Close()
		return err
	}
	return st.attach(master)
}

// startErr starts a command, with a command's usual statuses on failure.
func startErr(cmd *exec.Cmd) error {
	if err := cmd.Start(); err != nil {
		return cli.Errorf(cli.ExitCannotRun, "%s: %w", cmd.Args[0], err)
	}
	return nil
}

// openPTY opens a pseudo-terminal pair of the devpts instance /dev/ptmx
// belongs to.
func openPTY(log *explain.Log) (master, slave *os.File, err error) {
	log.Step(`open("/dev/ptmx"); ioctl(master, TIOCGPTPEER)`, "")
	m, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("open /dev/ptmx: %w", err)
	}
	if err := unix.IoctlSetPointerInt(m, unix.TIOCSPTLCK, 0); err != nil {
		unix.Close(m)
		return nil, nil, err
	}
	s, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(m), unix.TIOCGPTPEER, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC)
	if errno != 0 {
		unix.Close(m)
		return nil, nil, fmt.Errorf("TIOCGPTPEER: %w", errno)
	}
	return os.NewFile(uintptr(m), "pty master"), os.NewFile(s, "pty slave"), nil
}

// waitExec waits for the command, passing on the signals a user sends
// (with -t, a resize goes to the terminal), then for its output.
func waitExec(cmd *exec.Cmd, st *streams) (int, error) {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, cli.ForwardedSignals...)
	defer signal.Stop(sigs)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case sig := <-sigs:
			if sig == syscall.SIGWINCH && st.tty {
				st.resize()
				continue
			}
			_ = cmd.Process.Signal(sig)
		case err := <-done:
			st.finish()
			return cli.StatusOf(err)
		}
	}
}

// execSocketPath is where a rootless container's PID 1 takes requests.
func execSocketPath(stateDir string) string { return filepath.Join(stateDir, "exec.sock") }
