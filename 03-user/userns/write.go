package userns

import (
	"fmt"
	"os"
	"strings"

	"nslab/internal/explain"
)

// WriteMaps gives the user namespace of process pid its maps, in the order
// the kernel demands:
//
//  1. uid_map. Each map can be written once; the write must hold every
//     line at once.
//  2. setgroups = "deny", when denySetgroups is set. Without CAP_SETGID in
//     the parent namespace, a gid_map is accepted only after this: a user
//     who could call setgroups(2) inside could drop a group that was
//     keeping them out of a file ("negative" group permissions), so the
//     kernel asks for setgroups to be switched off first.
//  3. gid_map.
//
// The writer must be in the parent user namespace (or the namespace
// itself), and without CAP_SETUID there it may only map its own euid.
// show prints each write as it happens; log prints the shell twin.
//
// LAB 3.1 (guided): write uid_map, then "deny" to setgroups when asked,
// then gid_map, each with write() — docs/03-user.md "Three processes, two
// pipes", user_namespaces(7) "User and group ID mappings".
// Checked by TestNobodyBecomesRoot.
func WriteMaps(pid int, uids, gids Map, denySetgroups bool, show func(file, content string), log *explain.Log) error {
	if err := write(pid, "uid_map", uids.String(), show, log); err != nil {
		return err
	}
	if denySetgroups {
		if err := write(pid, "setgroups", "deny", show, log); err != nil {
			return err
		}
	}
	return write(pid, "gid_map", gids.String(), show, log)
}

func write(pid int, file, content string, show func(file, content string), log *explain.Log) error {
	path := fmt.Sprintf("/proc/%d/%s", pid, file)
	oneLine := strings.ReplaceAll(strings.TrimSuffix(content, "\n"), "\n", `\n`)
	log.Step(fmt.Sprintf("write(%q, %q)", path, content), fmt.Sprintf("printf '%s' > %s", oneLine, path))
	if show != nil {
		show(path, oneLine)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	_, err = f.Write([]byte(content))
	f.Close()
	if err != nil {
		return fmt.Errorf("write %q to %s: %w", oneLine, path, err)
	}
	return nil
}
