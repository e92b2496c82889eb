package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"nslab/04-pid/initproc"
	"nslab/internal/cli"
	"nslab/internal/explain"
)

// exec in a rootless container. A Go program cannot join a user namespace
// (exec.go), so the container's PID 1 — already in every namespace of the
// container, with its limits — starts the command itself. It listens on a
// unix socket in the container's state directory, which only the
// container's owner may enter, and checks who connects (SO_PEERCRED).
// The conversation, one message each way at a time (SOCK_SEQPACKET keeps
// messages whole):
//
//	client → PID 1   an execRequest; without -t, the client's stdin, stdout
//	                 and stderr ride along (SCM_RIGHTS)
//	PID 1 → client   with -t, the master of a pty of the container's own
//	client → PID 1   {"Signal": N} for each signal the client receives
//	PID 1 → client   an execReply: the command's exit status
//
// PID 1 reaps every child, so the command's status comes to it first;
// initproc.Init.Spawn hands it to this conversation and to no other.

// execRequest asks PID 1 to run a command.
type execRequest struct {
	Command []string
	Env     []string
	Workdir string
	TTY     bool
	Signal  int // a later message: pass this signal on
}

// execReply ends the conversation.
type execReply struct {
	Status int
	Error  string
}

// listenExec makes PID 1's socket, before pivot_root, while the state
// directory is in view. The descriptor crosses into pid1.
func listenExec(path string, log *explain.Log) (int, error) {
	log.Step(fmt.Sprintf("socket(AF_UNIX, SOCK_SEQPACKET); bind(%q); listen", path), "")
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("exec socket %s: %w", path, err)
	}
	if err := unix.Listen(fd, 8); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// serveExec takes exec requests for as long as pid1 lives.
func serveExec(listener int, in *initproc.Init, s *spec) {
	for {
		conn, _, err := unix.Accept4(listener, unix.SOCK_CLOEXEC)
		if err != nil {
			if errors.Is(err, unix.EINTR) || errors.Is(err, unix.ECONNABORTED) {
				continue
			}
			return
		}
		go func() {
			defer unix.Close(conn)
			reply := runExec(conn, in, s)
			b, _ := json.Marshal(reply)
			_ = unix.Sendmsg(conn, b, nil, nil, 0)
		}()
	}
}

// runExec serves one conversation and returns its reply.
func runExec(conn int, in *initproc.Init, s *spec) execReply {
	cred, err := unix.GetsockoptUcred(conn, unix.SOL_SOCKET, unix.SO_PEERCRED)
	// The container's owner is uid 0 here: its uid is mapped to root.
	if err != nil || cred.Uid != 0 {
		return execReply{Status: cli.ExitSetup, Error: "exec: only the container's owner may exec"}
	}
	var req execRequest
	fds, err := recvJSON(conn, &req)
	// PID 1 keeps none of the client's descriptors, whatever happens: a
	// copy kept would hold the client's pipes open for good.
	var theirs []*os.File
	for _, fd := range fds {
		theirs = append(theirs, os.NewFile(uintptr(fd), "received"))
	}
	defer func() {
		for _, f := range theirs {
			f.Close()
		}
	}()
	if err != nil {
		return execReply{Status: cli.ExitSetup, Error: "exec: " + err.Error()}
	}
	cmd, slave, reply := execCommand(conn, req, theirs)
	if cmd == nil {
		return reply
	}
	if slave != nil {
		theirs = append(theirs, slave)
	}
	status, err := in.Spawn(cmd)
	if err != nil {
		return execReply{Status: cli.ExitCannotRun, Error: fmt.Sprintf("%s: %v", req.Command[0], err)}
	}
	go forwardSignals(conn, cmd.Process)
	return execReply{Status: <-status}
}

// execCommand prepares the command a request asks for, in a session of
// its own: with -t on a new pty of the container's, whose master goes back
// to the client (and whose slave it returns, for the caller to close);
// else on the client's descriptors.
func execCommand(conn int, req execRequest, files []*os.File) (*exec.Cmd, *os.File, execReply) {
	path, err := lookPathInside(req.Command, req.Env)
	if err != nil {
		return nil, nil, execReply{Status: cli.CodeOf(err), Error: err.Error()}
	}
	cmd := &exec.Cmd{Path: path, Args: req.Command, Env: req.Env, Dir: req.Workdir}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if !req.TTY {
		if len(files) != 3 {
			return nil, nil, execReply{Status: cli.ExitSetup, Error: "exec: want three descriptors"}
		}
		cmd.Stdin, cmd.Stdout, cmd.Stderr = files[0], files[1], files[2]
		return cmd, nil, execReply{}
	}
	master, slave, err := openPTY(nil)
	if err != nil {
		return nil, nil, execReply{Status: cli.ExitSetup, Error: "exec: " + err.Error()}
	}
	defer master.Close()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr.Setctty, cmd.SysProcAttr.Ctty = true, 0
	if err := unix.Sendmsg(conn, []byte("tty"), unix.UnixRights(int(master.Fd())), nil, 0); err != nil {
		slave.Close()
		return nil, nil, execReply{Status: cli.ExitSetup, Error: "exec: " + err.Error()}
	}
	return cmd, slave, execReply{}
}

// lookPathInside finds the command as the container's shell would: a
// name with a slash is a path, a bare name is looked for on the PATH of
// the command's environment. PID 1's root is the container's.
func lookPathInside(command, env []string) (string, error) {
	if len(command) == 0 {
		return "", cli.Failf("exec: no command")
	}
	if strings.Contains(command[0], "/") {
		return command[0], nil
	}
	path := containerPath
	for _, e := range env {
		if strings.HasPrefix(e, "PATH=") {
			path = strings.TrimPrefix(e, "PATH=")
		}
	}
	for _, dir := range filepath.SplitList(path) {
		candidate := filepath.Join(dir, command[0])
		if fi, err := os.Stat(candidate); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return candidate, nil
		}
	}
	return "", cli.Errorf(cli.ExitNotFound, "%s: command not found", command[0])
}

// forwardSignals passes the signals the client sends on to the command.
func forwardSignals(conn int, p *os.Process) {
	for {
		var req execRequest
		if _, err := recvJSON(conn, &req); err != nil {
			return
		}
		if req.Signal > 0 {
			_ = p.Signal(syscall.Signal(req.Signal))
		}
	}
}

// recvJSON reads one message into v and returns the descriptors that came
// with it.
func recvJSON(conn int, v interface{}) ([]int, error) {
	buf := make([]byte, 64*1024)
	oob := make([]byte, unix.CmsgSpace(3*4))
	n, oobn, _, _, err := unix.Recvmsg(conn, buf, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, errors.New("the other side hung up")
	}
	var fds []int
	if oobn > 0 {
		msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
		if err == nil && len(msgs) == 1 {
			fds, _ = unix.ParseUnixRights(&msgs[0])
		}
	}
	return fds, json.Unmarshal(buf[:n], v)
}

// execThroughInit is exec in a rootless container: the client's side of
// the conversation.
func execThroughInit(r *info, command, env []string, workdir string, st *streams, log *explain.Log) (int, error) {
	log.Step("connect("+r.Socket+")", "")
	conn, err := unix.Socket(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, err
	}
	defer unix.Close(conn)
	if err := unix.Connect(conn, &unix.SockaddrUnix{Name: r.Socket}); err != nil {
		return 0, cli.Failf("container %s's PID 1: %w", r.ID, err)
	}
	req, _ := json.Marshal(execRequest{Command: command, Env: env, Workdir: workdir, TTY: st.tty})
	var rights []byte
	if !st.tty {
		rights = unix.UnixRights(int(st.cmdIn.Fd()), int(st.initOut.Fd()), int(st.initErr.Fd()))
	}
	if err := unix.Sendmsg(conn, req, rights, nil, 0); err != nil {
		return 0, err
	}
	st.started()
	return awaitReply(conn, st)
}

// awaitReply takes the terminal (with -t), passes signals on, and waits
// for the exit status.
func awaitReply(conn int, st *streams) (int, error) {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, cli.ForwardedSignals...)
	defer signal.Stop(sigs)
	go func() {
		for sig := range sigs {
			if sig == syscall.SIGWINCH && st.tty {
				st.resize()
				continue
			}
			b, _ := json.Marshal(execRequest{Signal: int(sig.(syscall.Signal))})
			_ = unix.Sendmsg(conn, b, nil, nil, 0)
		}
	}()
	for {
		buf := make([]byte, 4096)
		oob := make([]byte, unix.CmsgSpace(4))
		n, oobn, _, _, err := unix.Recvmsg(conn, buf, oob, unix.MSG_CMSG_CLOEXEC)
		if err != nil || n == 0 {
			return 0, cli.Failf("the container's PID 1 hung up: %v", err)
		}
		if string(buf[:n]) == "tty" && oobn > 0 {
			msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
			if err != nil || len(msgs) != 1 {
				return 0, cli.Failf("exec: no terminal in the message")
			}
			fds, _ := unix.ParseUnixRights(&msgs[0])
			if err := st.attach(os.NewFile(uintptr(fds[0]), "pty master")); err != nil {
				return 0, err
			}
			continue
		}
		var reply execReply
		if err := json.Unmarshal(buf[:n], &reply); err != nil {
			return 0, cli.Failf("exec: %w", err)
		}
		st.finish()
		if reply.Error != "" {
			return 0, cli.Errorf(reply.Status, "%s", reply.Error)
		}
		return reply.Status, nil
	}
}
