package main

import (
	"os"
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
	netmode, err := netMode(f)
	if err != nil {
		return nil, err
	}
	if f.stopTimeout < 0 {
		return nil, cli.Failf("--stop-timeout %d: want 0 or more seconds", f.stopTimeout)
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
		Net:       netSpec{Mode: netmode, Confine: protect.ConfineNet},
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
		ConfineNet: f.confineNet,
	}, nil
}

// netMode picks bridge or none: bridge needs root (a rootless container
// gets only lo, see docs/06-container.md on slirp4netns and pasta).
func netMode(f flags) (string, error) {
	// The address flags are checked in every mode, so that a mistake is
	// never silently ignored.
	if _, _, err := parseSubnet(f.subnet, f.ip); err != nil {
		return "", err
	}
	if err := netlink.CheckName(f.bridge); err != nil {
		return "", cli.Failf("--bridge: %w", err)
	}
	if f.ip != "" && (f.net == "none" || f.net == "" && f.rootless) {
		return "", cli.Failf("--ip needs --net=bridge")
	}
	switch f.net {
	case "":
		if f.rootless {
			return "none", nil
		}
		return "bridge", nil
	case "none":
		return "none", nil
	case "bridge":
		if f.rootless {
			return "", cli.Failf("--net=bridge needs root: a rootless container has only lo (docs/06-container.md explains slirp4netns and pasta)")
		}
		return "bridge", nil
	}
	return "", cli.Failf("--net=%q: want bridge or none", f.net)
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
