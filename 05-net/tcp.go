package main

import (
	"bufio"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"time"
)

// The connection tests. A listener is opened inside the target namespace
// and a connection is made from inside the source namespace: each socket
// belongs to the namespace of the thread that created it. Traffic goes
// only to addresses in namespaces this program made.

// label names a namespace letter for output ("" is the host).
func (l *lab) label(letter string) string {
	if letter == "" {
		return "host"
	}
	return l.name(letter)
}

// inNS runs fn in the namespace of letter, or right here for the host.
func (l *lab) inNS(letter string, fn func() error) error {
	if letter == "" {
		return fn()
	}
	return l.ns[letter].Do(fn)
}

// expectConnect listens on addr in namespace `to`, connects from `from`,
// and expects the listener's greeting.
func (l *lab) expectConnect(from, to string, addr netip.Addr) error {
	target := netip.AddrPortFrom(addr, uint16(l.plan.port)).String()
	var ln net.Listener
	if err := l.inNS(to, func() (err error) {
		ln, err = net.Listen("tcp", target)
		return err
	}); err != nil {
		return fmt.Errorf("listen on %s in %s: %w", target, l.label(to), err)
	}
	defer ln.Close()
	greeting := "hello from " + l.label(to)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		c.SetDeadline(time.Now().Add(2 * time.Second))
		fmt.Fprintln(c, greeting)
		c.Close()
	}()
	l.log.Step("connect("+target+") from "+l.label(from), shellIn(l, from)+"nc "+addr.String()+" "+fmt.Sprint(l.plan.port))
	reply, err := l.dial(from, target)
	if err != nil {
		return fmt.Errorf("%s → %s: %w", l.label(from), target, err)
	}
	l.say("%s → %s (%s): connected, got %q", l.label(from), target, l.label(to), reply)
	return nil
}

// expectNoConnect shows a connection that the namespace cannot make.
func (l *lab) expectNoConnect(from string, addr netip.Addr) error {
	target := netip.AddrPortFrom(addr, uint16(l.plan.port)).String()
	_, err := l.dial(from, target)
	if err == nil {
		return fmt.Errorf("%s → %s connected, but should not have", l.label(from), target)
	}
	l.say("%s → %s: %s", l.label(from), target, why(err))
	return nil
}

// dial connects from a namespace and reads one line.
func (l *lab) dial(from, target string) (string, error) {
	var reply string
	err := l.inNS(from, func() error {
		d := net.Dialer{Timeout: 2 * time.Second}
		c, err := d.DialContext(l.ctx, "tcp", target)
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(2 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		reply = strings.TrimSpace(line)
		return err
	})
	return reply, err
}

// why turns a failed connect into the errno's words.
func why(err error) string {
	var errno syscall.Errno
	if opErr, ok := err.(*net.OpError); ok {
		if sys, ok := opErr.Err.(*os.SyscallError); ok {
			if e, ok := sys.Err.(syscall.Errno); ok {
				errno = e
			}
		}
	}
	if errno != 0 {
		return "connect: " + errno.Error()
	}
	return err.Error()
}

func shellIn(l *lab, letter string) string {
	if letter == "" {
		return ""
	}
	return "ip netns exec " + l.name(letter) + " "
}
