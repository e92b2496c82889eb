// Command 03-user makes an unprivileged user root — inside a new user
// namespace: chapter 03 of nslab.
//
// Three processes take turns. The parent starts the child with
// CLONE_NEWUSER. The child, born without any id mapping, shows the overflow
// ids and waits on a pipe while the parent writes uid_map, setgroups and
// gid_map by hand through /proc/PID. The child then executes itself once
// more, now as uid 0 with a full set of capabilities, and shows what those
// capabilities can and cannot reach.
package main

import (
	"fmt"
	"os"

	"nslab/01-uts/reexec"
	"nslab/03-user/caps"
	"nslab/03-user/userns"
	"nslab/internal/cli"
	"nslab/internal/doctor"
	"nslab/internal/explain"
	"nslab/internal/nsinfo"
)

const prog = "03-user"

const summary = `Chapter 03, user namespaces: a regular user becomes root in a new user
namespace; the parent writes the uid and gid maps by hand through /proc.`

type config struct {
	uidMap, gidMap string // as given; "" maps the caller to root
	goMaps         bool
	uts            bool
	verbose        bool
	command        []string
}

func main() {
	p := cli.New(prog, prog+" [flags] [--] [COMMAND [ARG...]]", summary)
	var cfg config
	p.Flags.StringVar(&cfg.uidMap, "uid-map", "", `uid map, "INSIDE OUTSIDE COUNT[,...]" (default "0 <your uid> 1"; root may map ranges, e.g. "0 100000 65536")`)
	p.Flags.StringVar(&cfg.gidMap, "gid-map", "", `gid map, like --uid-map (default "0 <your gid> 1")`)
	p.Flags.BoolVar(&cfg.goMaps, "go-maps", false, "let Go write the maps (SysProcAttr.UidMappings) instead of writing them by hand")
	p.Flags.BoolVar(&cfg.uts, "uts", false, "also create a UTS namespace, owned by the new user namespace")
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
	case reexec.Stage() == "inside":
		err = inside(cfg, explain.New(p.Verbose, "inside"))
	default:
		err = parent(cfg, explain.New(p.Verbose, "parent"))
	}
	cli.Exit(prog, err)
}

// parseMaps turns the flags into maps, refusing what the kernel would
// refuse before anything is created.
func parseMaps(cfg config) (uids, gids userns.Map, err error) {
	uids, gids = userns.Single(os.Getuid()), userns.Single(os.Getgid())
	if cfg.uidMap != "" {
		if uids, err = userns.ParseMap(cfg.uidMap); err != nil {
			return nil, nil, cli.Failf("--uid-map: %w", err)
		}
	}
	if cfg.gidMap != "" {
		if gids, err = userns.ParseMap(cfg.gidMap); err != nil {
			return nil, nil, cli.Failf("--gid-map: %w", err)
		}
	}
	if os.Geteuid() != 0 {
		if err := uids.CheckUnprivileged("uid", os.Getuid()); err != nil {
			return nil, nil, err
		}
		if err := gids.CheckUnprivileged("gid", os.Getgid()); err != nil {
			return nil, nil, err
		}
	}
	return uids, gids, nil
}

// describe prints who the calling process is: ids, user namespace and
// effective capabilities.
func describe(who string) {
	sets, _ := caps.Read(0)
	link, _ := nsinfo.Link(0, "user")
	fmt.Fprintf(os.Stderr, "%-7s uid=%d gid=%d  %s  effective capabilities %s\n",
		who+":", os.Getuid(), os.Getgid(), link, sets.Effective.Summary())
}

// childFlags are the flags the child and the inside stage are run with.
func childFlags(cfg config, uids, gids userns.Map) []string {
	args := []string{"--uid-map", uids.OneLine(), "--gid-map", gids.OneLine()}
	if cfg.goMaps {
		args = append(args, "--go-maps")
	}
	if cfg.uts {
		args = append(args, "--uts")
	}
	if cfg.verbose {
		args = append(args, "-v")
	}
	return append(append(args, "--"), cfg.command...)
}

// checks lists what this chapter needs from the machine.
func checks() []doctor.Result {
	user, _ := nsinfo.Lookup("user")
	results := []doctor.Result{doctor.Kernel(user)}
	results = append(results, userns.Sysctls()...)
	results = append(results, userns.CheckCreate(os.Geteuid()))
	if os.Geteuid() == 0 {
		results = append(results, userns.CheckCreate(65534))
	}
	return results
}
