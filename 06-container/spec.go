package main

import (
	"os"
	"os/exec"
	"path/filepath"

	"golang.org/x/sys/unix"

	"nslab/03-user/userns"
	"nslab/05-net/netlink"
	"nslab/internal/cli"
)

// makeSpec checks every flag and the root filesystem, and resolves the
// command, before anything is created: a bad input costs nothing.
func makeSpec(f flags, command []string, verbose bool) (*spec, error) {
	if err := staticBinary(); err != nil {
		return nil, err
	}
	if os.Geteuid() != 0 && !f.rootless {
		return nil, cli.Failf("running a container needs root — use sudo, or --rootless")
	}
	if f.rootless {
		if !userns.Allowed() {
			return nil, cli.Failf("--rootless needs user namespaces, which this machine forbids — %s", userns.Fix())
		}
	}
	network, err := checkNetwork(f)
	if err != nil {
		return nil, err
	}
	if f.stopTimeout < 0 {
		return nil, cli.Failf("--stop-timeout %d: want 0 or more seconds", f.stopTimeout)
	}
	lim, err := parseLimits(f)
	if err != nil {
		return nil, err
	}
	if err := checkLimits(lim, f.rootless); err != nil {
		return nil, err
	}
	rootfs, err := checkRootfs(f.rootfs)
	if err != nil {
		return nil, err
	}
	mode, layerSize, readOnlyNote, err := rootOptions(f, rootfs)
	if err != nil {
		return nil, err
	}
	vols, err := parseVolumes(f.volumes)
	if err != nil {
		return nil, err
	}
	if err := checkMountPoints(rootfs); err != nil {
		return nil, err
	}
	if err := checkWorkdir(rootfs, f.workdir); err != nil {
		return nil, err
	}
	if len(command) == 0 {
		command = []string{"/bin/sh"}
	}
	if command[0] == "" {
		return nil, cli.Failf("the command's name is empty — give a command after --, or none for /bin/sh")
	}
	path, err := resolveCommand(rootfs, rootfs, f.workdir, command[0])
	if err != nil {
		return nil, err
	}
	extra, err := checkEnv(f.env)
	if err != nil {
		return nil, err
	}
	protect, err := checkProtections(f)
	if err != nil {
		return nil, err
	}
	id, err := newID()
	if err != nil {
		return nil, cli.Failf("container id: %w", err)
	}
	hostname := f.hostname
	if !f.hostnameGiven {
		hostname = id
	}
	if err := checkHostname(hostname); err != nil {
		return nil, err
	}
	if note := dnsNote(network); note != "" {
		say("%s", note)
	}
	if note := onlyLoNote(f, network.Mode); note != "" {
		say("%s", note)
	}
	if readOnlyNote {
		say("the rootfs is not yours: a rootless overlay cannot copy its files up (their owner is not mapped in the container), so the root is read-only, with a tmpfs on /tmp and /run — make a rootfs of your own (make rootfs, without sudo), or say --read-only")
	}
	return &spec{
		ID:        id,
		Hostname:  hostname,
		Rootfs:    rootfs,
		Command:   command,
		Path:      path,
		Env:       environment(hostname, extra),
		Workdir:   f.workdir,
		Chroot:    f.chroot,
		Rootless:  f.rootless,
		RootMode:  mode,
		LayerSize: layerSize,
		Volumes:   vols,
		Net:       network,
		Limits:    lim,
		Protect:   protect,
		TTY:       f.tty,
		Verbose:   verbose,
	}, nil
}

// rootOptions checks the flags of the root's mode. A rootless container
// on a rootfs that is not its user's gets a read-only root instead of an
// overlay; note says so, once everything else has been checked.
func rootOptions(f flags, rootfs string) (mode, size string, note bool, err error) {
	if mode, err = rootMode(f); err != nil {
		return "", "", false, err
	}
	if size, err = parseSize(f.layerSize); err != nil {
		return "", "", false, err
	}
	if mode != "overlay" {
		return mode, size, false, nil
	}
	if err := checkLowerPath(rootfs); err != nil {
		return "", "", false, err
	}
	if f.rootless && !ownedByCaller(rootfs) {
		return "ro", size, true, nil
	}
	return mode, size, false, nil
}

// ownedByCaller reports whether the rootfs directory belongs to the
// caller. A rootless container maps only the caller's uid: a file of any
// other owner reads as owned by nobody inside, and overlayfs cannot copy
// it up — it would have to give the copy an owner it cannot name.
func ownedByCaller(dir string) bool {
	var st unix.Stat_t
	return unix.Stat(dir, &st) == nil && int(st.Uid) == os.Geteuid()
}

// checkProtections reads the flags that turn protections off, and the
// capability set.
func checkProtections(f flags) (protections, error) {
	set, err := capabilities(f.capAdd, f.capDrop)
	if err != nil {
		return protections{}, err
	}
	if f.seccomp != "on" && f.seccomp != "off" {
		return protections{}, cli.Failf("--seccomp=%q: want on or off", f.seccomp)
	}
	return protections{
		Caps:       set,
		NoNewPrivs: f.noNewPrivs,
		Seccomp:    f.seccomp == "on",
		MaskProc:   f.maskProc,
	}, nil
}

// checkNetwork reads the network flags: the mode, --dns, -p and
// --confine-net, which must agree with one another.
func checkNetwork(f flags) (netSpec, error) {
	mode, err := netMode(f)
	if err != nil {
		return netSpec{}, err
	}
	n := netSpec{Mode: mode, Confine: f.confineNet, DNSGiven: len(f.dns) > 0}
	if n.DNS.Servers, err = checkDNS(f.dns); err != nil {
		return n, err
	}
	if !n.DNSGiven {
		n.DNS = hostNameServers(hostResolvConf, resolvedServers)
	}
	if n.Ports, err = parsePorts(f.publish); err != nil {
		return n, err
	}
	switch {
	case f.confineNet && mode != "bridge":
		return n, cli.Failf("--confine-net needs --net=bridge: it confines a container to the bridge's subnet")
	case len(n.Ports) > 0 && mode == "none":
		return n, cli.Failf("-p needs a network: --net=bridge as root; rootless, --net=slirp4netns (apt-get install slirp4netns)")
	case len(n.Ports) > 0 && f.confineNet:
		return n, cli.Failf("-p and --confine-net: a confined container cannot be reached from outside its subnet — choose one")
	}
	return n, nil
}

// netMode picks the network: bridge as root. Rootless, a user cannot add
// links to the host; a helper run as that user carries the container's
// traffic through its own sockets instead — slirp4netns when it is
// installed, else pasta — and without one the container has only lo.
func netMode(f flags) (string, error) {
	// The address flags are checked in every mode, so that a mistake is
	// never silently ignored.
	if _, _, err := parseSubnet(f.subnet, f.ip); err != nil {
		return "", err
	}
	if err := netlink.CheckName(f.bridge); err != nil {
		return "", cli.Failf("--bridge: %w", err)
	}
	mode := f.net
	if mode == "" {
		mode = "bridge"
		if f.rootless {
			mode = rootlessNet()
		}
	}
	helper := mode == "slirp4netns" || mode == "pasta"
	switch {
	case f.ip != "" && mode != "bridge":
		return "", cli.Failf("--ip needs --net=bridge")
	case mode == "bridge" && f.rootless:
		return "", cli.Failf("--net=bridge needs root: a user cannot add links to the host — rootless, use --net=slirp4netns (apt-get install slirp4netns)")
	case helper && !f.rootless:
		return "", cli.Failf("--net=%s is for rootless containers; as root, --net=bridge", mode)
	case helper && !installed(mode):
		return "", cli.Failf("--net=%s needs %s: apt-get install %s", mode, mode, map[string]string{"pasta": "passt", "slirp4netns": "slirp4netns"}[mode])
	case helper:
		if err := checkTun(); err != nil {
			return "", err
		}
	case mode != "bridge" && mode != "none":
		return "", cli.Failf("--net=%q: want bridge, slirp4netns, pasta or none", f.net)
	}
	return mode, nil
}

// rootlessNet is a rootless container's network when --net is not given.
func rootlessNet() string {
	switch {
	case checkTun() != nil:
		return "none"
	case installed("slirp4netns"):
		return "slirp4netns"
	case installed("pasta"):
		return "pasta"
	}
	return "none"
}

// onlyLoNote says why a rootless container has only lo when no --net
// asked for that.
func onlyLoNote(f flags, mode string) string {
	if f.net != "" || !f.rootless || mode != "none" {
		return ""
	}
	if err := checkTun(); err != nil {
		return "only lo: " + err.Error()
	}
	return "only lo: neither slirp4netns nor pasta is installed — apt-get install slirp4netns, or say --net=none"
}

// installed reports whether a program is on PATH.
func installed(program string) bool {
	_, err := exec.LookPath(program)
	return err == nil
}

// dnsNote says, once, when a container on the bridge will have no name
// server. slirp4netns and pasta answer for the host's loopback servers
// themselves (helperDNS).
func dnsNote(n netSpec) string {
	if n.Mode != "bridge" || n.DNSGiven || len(n.DNS.Servers) > 0 {
		return ""
	}
	return n.DNS.Note + ": names will not resolve inside — give --dns IP"
}

// mountTargets are the paths in the rootfs that the init mounts over. A
// symbolic link there would be followed on the host's side, before
// pivot_root: a rootfs whose /proc points at / would have proc mounted
// over the host's root in the container's view. So they must be real.
var mountTargets = []string{"proc", "sys", "dev", "etc", "etc/hostname", "etc/hosts", "etc/resolv.conf"}

// checkMountPoints refuses a rootfs with a symbolic link where a mount
// will go, or without the directories the mounts need.
func checkMountPoints(rootfs string) error {
	for _, t := range mountTargets {
		fi, err := os.Lstat(filepath.Join(rootfs, t))
		if os.IsNotExist(err) && filepath.Dir(t) == "etc" {
			continue // created empty by the init
		}
		if err != nil {
			return cli.Failf("--rootfs %s has no /%s — is it a root filesystem? (make rootfs)", rootfs, t)
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			return cli.Failf("--rootfs %s: /%s is a symbolic link; refusing to mount over it", rootfs, t)
		}
		if filepath.Dir(t) == "." && !fi.IsDir() {
			return cli.Failf("--rootfs %s: /%s is not a directory — is it a root filesystem? (make rootfs)", rootfs, t)
		}
	}
	return nil
}
