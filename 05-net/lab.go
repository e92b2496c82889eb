package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"

	"nslab/05-net/netlink"
	"nslab/05-net/netns"
	"nslab/internal/cli"
	"nslab/internal/explain"
)

// lab is the state of the walk-through: the plan, the host's netlink
// socket, the namespaces made so far (with a netlink socket inside each),
// and the list of things to undo.
type lab struct {
	ctx   context.Context
	plan  *plan
	host  *netlink.Conn
	log   *explain.Log
	pause bool
	enter *bufio.Reader // stdin, read one line per pause

	ns         map[string]*netns.NS
	conn       map[string]*netlink.Conn
	undos      []undo
	createdDir bool // whether this run created /run/netns, to remove it at the end
}

// undo removes one thing the walk-through created.
type undo struct {
	what string
	fn   func() error
}

// onUndo records how to remove what was just created. Undos run in
// reverse order, like defers.
func (l *lab) onUndo(what string, fn func() error) {
	l.undos = append(l.undos, undo{what, fn})
}

// undo removes everything, newest first, and keeps going past failures:
// each one is printed, and the error says how many there were.
func (l *lab) undo() error {
	failed := 0
	for i := len(l.undos) - 1; i >= 0; i-- {
		if err := l.undos[i].fn(); err != nil {
			cli.Warnf("cleanup: %s: %v", l.undos[i].what, err)
			failed++
		}
	}
	n := len(l.undos)
	l.undos = nil
	if failed > 0 {
		return fmt.Errorf("cleanup: %d of the %d things the walk-through created could not be removed (see above) — ip -br link and ip netns show what is left", failed, n)
	}
	if n > 0 {
		fmt.Printf("\ncleanup: removed the %d things the walk-through created; the host's links and %s are as before\n", n, netns.RunDir)
	}
	return nil
}

// walk runs the steps in order, stopping at the first failure or signal.
func (l *lab) walk() error {
	l.ns, l.conn = map[string]*netns.NS{}, map[string]*netlink.Conn{}
	steps := []struct {
		title string
		run   func() error
	}{
		{"a new network namespace has only lo, and it is down", l.stepNew},
		{"bring lo up", l.stepLoopback},
		{"a veth pair joins the host and " + l.name("a"), l.stepHostVeth},
		{"a veth pair joins " + l.name("b") + " and " + l.name("c"), l.stepPair},
		{"a bridge joins " + l.name("d") + ", " + l.name("e") + " and " + l.name("f"), l.stepBridge},
		{"how ip netns keeps a namespace alive, and deletes it", l.stepPinned},
	}
	for i, s := range steps {
		if err := l.ctx.Err(); err != nil {
			return err
		}
		fmt.Printf("\nstep %d — %s\n", i+1, s.title)
		if err := runStep(s.run); err != nil {
			return fmt.Errorf("step %d: %w", i+1, err)
		}
		if err := l.wait(); err != nil {
			return err
		}
	}
	return nil
}

// wait pauses for Enter with --pause, unless a signal comes first. One
// reader serves every pause: a reader per pause could buffer two Enters
// that arrived together (from a pipe or a fifo) and lose the second. An
// end of input (Ctrl-D, or a closed pipe) goes on, like Enter.
func (l *lab) wait() error {
	if !l.pause {
		return nil
	}
	if l.enter == nil {
		l.enter = bufio.NewReader(os.Stdin)
	}
	fmt.Printf("  … press Enter for the next step (meanwhile try: sudo ip netns exec %s ip -br addr)\n", l.name("a"))
	line := make(chan error, 1)
	go func() {
		_, err := l.enter.ReadString('\n')
		line <- err
	}()
	select {
	case <-line:
		return nil
	case <-l.ctx.Done():
		return l.ctx.Err()
	}
}

// runStep runs one step, and turns a panic in it into the step's error:
// a half-written step (a lab's stub, a nil map) then fails like any
// other, and the undo list still removes what the earlier steps made.
func runStep(step func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return step()
}

func (l *lab) name(letter string) string { return l.plan.netns[letter] }

// say prints one line of the walk-through.
func (l *lab) say(format string, args ...interface{}) {
	fmt.Printf("  "+format+"\n", args...)
}

// ipIn returns the "ip" prefix that targets a namespace: "ip -n NAME"
// for a namespace letter, "ip" for the host ("").
func (l *lab) ipIn(letter string) string {
	if letter == "" {
		return "ip"
	}
	return "ip -n " + l.name(letter)
}

// conns returns the netlink socket of a namespace letter, or the host's.
func (l *lab) connOf(letter string) *netlink.Conn {
	if letter == "" {
		return l.host
	}
	return l.conn[letter]
}

// describeLinks prints the links of a namespace the way ip -br link does.
func (l *lab) describeLinks(letter string) error {
	links, err := l.connOf(letter).Links()
	if err != nil {
		return err
	}
	l.log.Step("RTM_GETLINK (dump)", l.ipIn(letter)+" -br link")
	var parts []string
	for _, k := range links {
		parts = append(parts, k.Name+" "+k.State())
	}
	l.say("%s links: %s", l.name(letter), strings.Join(parts, ", "))
	return nil
}
