package nsinfo

import (
	"fmt"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

func TestFlagNames(t *testing.T) {
	for flags, want := range map[uintptr]string{
		unix.CLONE_NEWUTS:                    "CLONE_NEWUTS",
		unix.CLONE_NEWNS | unix.CLONE_NEWPID: "CLONE_NEWNS|CLONE_NEWPID",
		unix.CLONE_NEWUTS | 0x1:              "CLONE_NEWUTS|0x1",
	} {
		if got := FlagNames(flags); got != want {
			t.Errorf("FlagNames(%#x) = %q, want %q", flags, got, want)
		}
	}
}

// The link of every known kind exists on a 5.10+ kernel, and its inode is
// the number inside the link text.
func TestLinkAndInodeAgree(t *testing.T) {
	for _, k := range Kinds {
		link, err := Link(0, k.File)
		if err != nil {
			t.Fatalf("%s: %v", k.File, err)
		}
		ino, err := Inode(os.Getpid(), k.File)
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("%s:[%d]", k.File, ino); link != want {
			t.Errorf("link %q, inode says %q", link, want)
		}
	}
}
