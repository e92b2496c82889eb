// Package reexec is the workbook's answer to a Go limitation: a Go program
// cannot fork and then keep running Go code in the child.
//
// The Go runtime is multithreaded from the start (the garbage collector and
// the scheduler run their own threads). fork(2) copies only the calling
// thread, so a forked child would hold locks owned by threads that no longer
// exist. That is why Go has no fork; os/exec uses clone(2) and immediately
// execve(2)s a new program. To run our own code in the child, with
// namespaces that clone created, we execute ourselves again:
// /proc/self/exe always names the running binary, even if it was moved or
// started by a relative path. A marker in argv[0] tells the new process
// which side it is on.
//
// This is also why the namespace flags go on exec.Cmd.SysProcAttr: the
// clone that starts the child creates the namespaces, and the child is born
// inside them.
//
// A stage is code written to run in new namespaces: it sets a hostname,
// makes "/" private, mounts /proc. Run by hand, in the host's namespaces,
// the same code would change the host. So Command records the parent's
// namespaces in the child's environment, and a stage calls Require first:
// it refuses to go on unless it really is in new ones.
package reexec

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"nslab/internal/nsinfo"
)

// marker starts argv[0] of a re-executed process, e.g. "nslab:child".
const marker = "nslab:"

// A process started as /proc/self/exe is named "exe" in ps and in
// /proc/PID/stat, which helps nobody. When this process was re-executed,
// give it the name of the binary again. Writing /proc/self/comm renames the
// whole process, whichever thread does it.
func init() {
	if Stage() == "" {
		return
	}
	if exe, err := os.Executable(); err == nil {
		_ = os.WriteFile("/proc/self/comm", []byte(filepath.Base(exe)), 0)
	}
}

// Command returns a command that runs this same program again as the given
// stage ("child", "init", ...), with this process's standard streams. args
// are the arguments after argv[0]; the caller sets SysProcAttr.
func Command(stage string, args ...string) *exec.Cmd {
	cmd := exec.Command("/proc/self/exe", args...)
	cmd.Args[0] = marker + stage
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), parentVar+"="+namespaces())
	return cmd
}

// parentVar carries the parent's namespaces to a stage, as
// "mnt:4026531841 uts:4026531838 ...".
const parentVar = "NSLAB_PARENT_NS"

// parentNS is parentVar's value once Require has taken it out of the
// environment, for Exec to pass on.
var parentNS string

// namespaces lists this process's namespaces by inode.
func namespaces() string {
	var list []string
	for _, k := range nsinfo.Kinds {
		if ino, err := nsinfo.Inode(0, k.File); err == nil {
			list = append(list, fmt.Sprintf("%s:%d", k.File, ino))
		}
	}
	return strings.Join(list, " ")
}

// Require checks that this stage runs in new namespaces of the given
// kinds ("uts", "mnt", ...) — not in those of the process that started it
// — and takes the record out of the environment, so the command the stage
// runs does not inherit it.
func Require(kinds ...string) error {
	if parentNS == "" {
		parentNS = os.Getenv(parentVar)
		os.Unsetenv(parentVar)
	}
	if parentNS == "" {
		return fmt.Errorf("the %s stage is run by the program itself, in new namespaces — not by hand", Stage())
	}
	for _, kind := range kinds {
		here, err := nsinfo.Inode(0, kind)
		if err != nil {
			return err
		}
		if strings.Contains(" "+parentNS+" ", fmt.Sprintf(" %s:%d ", kind, here)) {
			return fmt.Errorf("the %s stage is in its parent's %s namespace; refusing to change it", Stage(), kind)
		}
	}
	return nil
}

// Stage returns the stage this process was started as, or "" when it was
// started by a person (or a test) rather than by Command.
func Stage() string {
	if len(os.Args) == 0 || !strings.HasPrefix(os.Args[0], marker) {
		return ""
	}
	return strings.TrimPrefix(os.Args[0], marker)
}

// Exec replaces this process with this same program in another stage,
// keeping its PID and its namespaces. Capabilities are computed anew by
// execve(2), which is sometimes the point.
func Exec(stage string, args ...string) error {
	env := os.Environ()
	if parentNS != "" {
		env = append(env, parentVar+"="+parentNS)
	}
	return syscall.Exec("/proc/self/exe", append([]string{marker + stage}, args...), env)
}
