package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"nslab/internal/cli"
)

// The container's environment starts from these, like docker run's.
const (
	containerPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	defaultSubnet = "10.99.0.0/24"
	defaultBridge = "nslab0"
)

// flags is what the command line said, before checking.
type flags struct {
	rootfs, hostname, net, bridge, subnet, ip, workdir string
	env, capAdd, capDrop                               []string
	chroot, rootless, cleanup                          bool
	noNewPrivs, maskProc, confineNet                   bool
	hostnameGiven                                      bool
	tty, interactive                                   bool
	rootfsRW, readOnly                                 bool
	layerSize, memory                                  string
	pids                                               int
	cpus                                               float64
	volumes, dns, publish                              []string
	seccomp                                            string
	stopTimeout                                        int
	timings                                            bool
}

// spec is everything the container's init needs, checked and resolved by
// the runtime before anything is created. It travels to the init as JSON
// over a pipe.
type spec struct {
	ID        string
	Hostname  string
	Rootfs    string   // absolute path on the host
	Command   []string // argv; Command[0] as given
	Path      string   // Command[0] resolved inside the rootfs
	Env       []string
	Workdir   string
	Chroot    bool
	Rootless  bool
	RootMode  string // overlay, rw or ro (layer.go)
	Layer     string // overlay: the directory of the upper and work directories
	LayerSize string // its tmpfs's size
	Volumes   []volume
	StateDir  string            // the container's directory under the state root, on the host
	Etc       map[string]string // the contents of its hostname, hosts and resolv.conf
	Net       netSpec
	Limits    limits // --memory, --pids, --cpus (limits.go)
	Protect   protections
	TTY       bool // the command gets a terminal of the container's own
	Verbose   bool
	Timings   bool   // --timings: the init and pid1 note their phases (timings.go)
	Marks     []mark // the init's notes, carried to pid1
	InitKiB   int64  // the init's peak resident size, carried to pid1

	// Filled in by the init for the pid1 stage: descriptors that stay
	// open across its execve, -1 for none.
	Lifeline   int // ends when the runtime does
	Stdin      int // the command's standard input, without a terminal
	Terminal   int // the slave of the container's terminal, with -t
	ExecSocket int // rootless: where exec requests arrive (execserver.go)
	TimingsFD  int // with --timings: where pid1 sends the notes to the runtime
}

// netSpec is the container's side of the network.
type netSpec struct {
	Mode     string       // "bridge", "pasta" or "none"
	Addr     netip.Prefix // eth0's address, in bridge mode
	Gateway  netip.Addr
	Confine  bool        // --confine-net: only the subnet is reachable
	DNS      nameServers // for its resolv.conf
	DNSGiven bool        // by --dns
	Ports    []port      // -p
}

// newID returns a short random container id: 12 hex digits, as docker
// shows them.
func newID() (string, error) {
	b := make([]byte, 6)
	if _, err := unix.Getrandom(b, 0); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// checkRootfs makes the root filesystem path absolute and checks that it
// is a directory.
func checkRootfs(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", cli.Failf("--rootfs %s: %w", dir, err)
	}
	fi, err := os.Stat(abs)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "", cli.Failf("--rootfs %s does not exist — build it with make rootfs", dir)
	case err != nil:
		return "", cli.Failf("--rootfs %s: %w", dir, err)
	case !fi.IsDir():
		return "", cli.Failf("--rootfs %s is not a directory", dir)
	case abs == "/":
		return "", cli.Failf("--rootfs / is the host's own root — give a directory that holds a root filesystem (make rootfs)")
	}
	return abs, nil
}

// checkEnv turns -e KEY=VALUE (or -e KEY, which takes the host's value)
// into environment entries, refusing keys a process could not use.
func checkEnv(entries []string) ([]string, error) {
	var env []string
	for _, e := range entries {
		key, value, hasValue := strings.Cut(e, "=")
		if err := checkEnvKey(key); err != nil {
			return nil, cli.Failf("-e %q: %w", e, err)
		}
		if strings.IndexByte(value, 0) >= 0 {
			return nil, cli.Failf("-e %q: the value contains a NUL byte", e)
		}
		if !hasValue {
			v, ok := os.LookupEnv(key)
			if !ok {
				continue // like docker run: an unset variable is left out
			}
			value = v
		}
		env = append(env, key+"="+value)
	}
	return env, nil
}

// checkEnvKey accepts what a shell can name: letters, digits and '_', not
// starting with a digit.
func checkEnvKey(key string) error {
	if key == "" {
		return errors.New("empty name — want KEY=VALUE")
	}
	for i, c := range key {
		letter := c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
		if !letter && (i == 0 || c < '0' || c > '9') {
			return fmt.Errorf("%q is not a variable name (letters, digits and _, not starting with a digit)", key)
		}
	}
	return nil
}

// environment builds the container's environment: a clean PATH, HOME,
// TERM and HOSTNAME, then the -e entries, which may override them.
func environment(hostname string, extra []string) []string {
	term := os.Getenv("TERM")
	if term == "" {
		term = "xterm"
	}
	env := []string{"PATH=" + containerPath, "HOME=/root", "TERM=" + term, "HOSTNAME=" + hostname}
	return append(env, extra...)
}

// resolveCommand finds the command inside the root filesystem, the way
// the container's PATH will: a name with a slash is a path (relative to
// the working directory), a bare name is searched in PATH. Symbolic links
// are followed as the container will see them: openat2 with
// RESOLVE_IN_ROOT treats the rootfs as "/", so "/bin/sh -> /bin/busybox"
// resolves inside it, and ".." cannot climb out.
// where names the root in messages: the rootfs's path, or "container ID".
func resolveCommand(rootfs, where, workdir, name string) (string, error) {
	root, err := os.Open(rootfs)
	if err != nil {
		return "", err
	}
	defer root.Close()
	var candidates []string
	switch {
	case strings.HasPrefix(name, "/"):
		candidates = []string{name}
	case strings.Contains(name, "/"):
		candidates = []string{filepath.Join(workdir, name)}
	default:
		for _, dir := range strings.Split(containerPath, ":") {
			candidates = append(candidates, filepath.Join(dir, name))
		}
	}
	var notExecutable error
	for _, c := range candidates {
		err := executableIn(root, c)
		if err == nil {
			return c, nil
		}
		if !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.ENOTDIR) && notExecutable == nil {
			notExecutable = err
		}
	}
	if notExecutable != nil {
		return "", cli.Errorf(cli.ExitCannotRun, "%s: %w in %s", name, notExecutable, where)
	}
	return "", cli.Errorf(cli.ExitNotFound, "%s: command not found in %s (the container's PATH is %s)", name, where, containerPath)
}

// executableIn checks that path, resolved inside root, is a regular file
// with an execute bit.
func executableIn(root *os.File, path string) error {
	fd, err := unix.Openat2(int(root.Fd()), path, &unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT,
	})
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return errors.New("is a directory")
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG || st.Mode&0o111 == 0 {
		return errors.New("permission denied")
	}
	return nil
}

// checkWorkdir requires an absolute path that is a directory inside the
// rootfs.
func checkWorkdir(rootfs, dir string) error {
	if !strings.HasPrefix(dir, "/") {
		return cli.Failf("-w %s: want an absolute path inside the container", dir)
	}
	root, err := os.Open(rootfs)
	if err != nil {
		return err
	}
	defer root.Close()
	fd, err := unix.Openat2(int(root.Fd()), dir, &unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT,
	})
	if err != nil {
		return cli.Failf("-w %s: not a directory in %s", dir, rootfs)
	}
	unix.Close(fd)
	return nil
}
