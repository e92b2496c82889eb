package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

func init() {
	register("tiocsti", "TEXT", "type TEXT into the terminal on fds 0, 1, 2 and /dev/tty with ioctl(TIOCSTI)", tiocsti)
	register("ptys", "N [hold]", "open /dev/ptmx up to N times; say how many pseudo-terminals were had (hold: keep them until stdin ends)", ptys)
}

// tiocsti is the attack on the terminal a program was given: TIOCSTI
// pushes a byte into the terminal's input queue, as if typed — and what
// is typed there, the shell that owns the terminal reads next. It tries
// every descriptor that could be a terminal and succeeds if any one took
// the whole text.
func tiocsti(args []string) error {
	if err := need(args, 1); err != nil {
		return err
	}
	fds := map[string]int{"0": 0, "1": 1, "2": 2}
	if f, err := os.OpenFile("/dev/tty", os.O_RDWR, 0); err == nil {
		defer f.Close()
		fds["/dev/tty"] = int(f.Fd())
	}
	typed := false
	for _, name := range []string{"0", "1", "2", "/dev/tty"} {
		fd, ok := fds[name]
		if !ok {
			continue
		}
		err := typeInto(fd, args[0])
		if err == nil {
			fmt.Printf("tiocsti: typed into %s\n", name)
			typed = true
			continue
		}
		fmt.Printf("tiocsti: %s: %v\n", name, err)
	}
	if !typed {
		return errors.New("no terminal took the text")
	}
	return nil
}

// typeInto pushes text into the terminal fd, one byte per ioctl.
func typeInto(fd int, text string) error {
	for i := 0; i < len(text); i++ {
		b := text[i]
		if err := unix.IoctlSetPointerInt(fd, unix.TIOCSTI, int(b)); err != nil {
			return err
		}
	}
	return nil
}

// ptys is how many pseudo-terminals a container can take: the kernel has
// 3072 for all containers together.
func ptys(args []string) error {
	if len(args) != 1 && (len(args) != 2 || args[1] != "hold") {
		return errUsage
	}
	var n int
	if _, err := fmt.Sscan(args[0], &n); err != nil {
		return errUsage
	}
	var open []int
	defer func() {
		for _, fd := range open {
			unix.Close(fd)
		}
	}()
	var err error
	for len(open) < n && err == nil {
		var fd int
		if fd, err = unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0); err == nil {
			open = append(open, fd)
		}
	}
	if err != nil {
		fmt.Printf("ptys: had %d, then %v\n", len(open), err)
	} else {
		fmt.Printf("ptys: had all %d\n", n)
	}
	if len(args) == 2 {
		_, _ = io.Copy(io.Discard, os.Stdin) // hold them until stdin ends
	}
	return err
}
