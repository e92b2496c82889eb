package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"nslab/internal/labtest"
)

// The lines the kernel draws by version, each checked on the kernel the
// test runs on — the build machine's, and Debian 12's 6.1 in make test-vm
// — so that the table of docs/reference.md says what was seen, both
// sides of a line where the two kernels straddle it.
func TestKernelLines(t *testing.T) {
	labtest.NeedRoot(t)
	noTrace(t)
	v := kernelVersion(t)
	since := func(major, minor int) bool { return v[0] > major || v[0] == major && v[1] >= minor }
	t.Logf("kernel %d.%d", v[0], v[1])

	// 6.2: TIOCSTI can be switched off (dev.tty.legacy_tiocsti); before,
	// it always works — TestTiocstiWorksOnTheHost shows it does here, and
	// TestTerminalNeverEntersTheContainer that no container can use it.
	if _, err := os.Stat("/proc/sys/dev/tty/legacy_tiocsti"); (err == nil) != since(6, 2) {
		t.Errorf("dev.tty.legacy_tiocsti exists: %v, on %d.%d", err == nil, v[0], v[1])
	}

	// 6.6: tmpfs keeps user.* extended attributes, which a rootless
	// overlay's upper layer needs. Before, the runtime refuses in one line.
	r := rootlessOverlay(t)
	if since(6, 6) {
		r.Want(t, 0).Contains(t, "written in the upper layer")
	} else {
		r.Want(t, 125).Contains(t, "a rootless overlay needs tmpfs with user extended attributes (Linux 6.6)")
	}

	// 5.14: cgroup.kill, which stop uses; 5.12: mount_setattr, which makes
	// a read-only volume read-only all the way down; 5.6: time namespaces.
	runC(t, "--net=none", "--", "test", "-e", "/sys/fs/cgroup/cgroup.kill").Want(t, map[bool]int{true: 0, false: 1}[since(5, 14)])
	_, _, errno := unix.Syscall6(unix.SYS_MOUNT_SETATTR, ^uintptr(0), 0, 0, 0, 0, 0)
	if (errno != unix.ENOSYS) != since(5, 12) {
		t.Errorf("mount_setattr: %v, on %d.%d", errno, v[0], v[1])
	}
	if _, err := os.Stat("/proc/self/ns/time"); (err == nil) != since(5, 6) {
		t.Errorf("time namespaces: %v, on %d.%d", err, v[0], v[1])
	}
}

// kernelVersion is the running kernel's major and minor numbers.
func kernelVersion(t *testing.T) [2]int {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		t.Fatal(err)
	}
	var v [2]int
	if _, err := fmt.Sscanf(unix.ByteSliceToString(u.Release[:]), "%d.%d", &v[0], &v[1]); err != nil {
		t.Fatal(err)
	}
	return v
}

// rootlessOverlay runs a rootless container with the copy-on-write root
// on a rootfs of its user's own, and writes a file inside.
func rootlessOverlay(t *testing.T) labtest.Result {
	dir := filepath.Join(labtest.SharedDir(t), "rootfs")
	labtest.Run(t, "cp", "-a", rootfs(t), dir).Want(t, 0)
	labtest.Run(t, "chown", "-R", fmt.Sprint(labtest.Nobody)+":"+fmt.Sprint(labtest.Nobody), dir).Want(t, 0)
	r := labtest.RunAs(t, labtest.Nobody, bin, "--rootfs", dir, "--net=none", "--", "sh", "-c", "echo x > /etc/new && echo written in the upper layer")
	if _, err := os.Stat(filepath.Join(dir, "etc", "new")); err == nil {
		t.Errorf("the rootless overlay wrote to the rootfs itself")
	}
	if strings.Contains(r.Stderr, "panic") {
		t.Errorf("%s", r.Stderr)
	}
	return r
}
