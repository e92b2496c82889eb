// Package osthread runs Go code on an operating-system thread of its own.
//
// Some kernel state belongs to a thread, not to a process: the namespaces
// that unshare(2) and setns(2) change, capabilities, no_new_privs, seccomp
// filters, the working directory after unshare(CLONE_FS). The Go scheduler
// moves goroutines between threads freely, so a goroutine that changes
// such state could carry on elsewhere, and another goroutine could inherit
// the changed thread. Run closes both doors:
//
//   - the function runs on a goroutine locked to its thread
//     (runtime.LockOSThread), so it stays there;
//   - the goroutine returns without unlocking, and Go then ends the
//     thread instead of reusing it, so nothing else ever runs there.
//
// The main thread is the exception: Go cannot end it, and a goroutine
// locked there would leave it changed for good — and /proc/self/ns/* and
// /proc/self/status show the main thread. So this package's init locks the
// main goroutine to the main thread, in every program that imports it
// (init functions run on the main goroutine, and main runs where init
// locked it), and no other goroutine can be scheduled there again.
package osthread

import (
	"errors"
	"runtime"

	"golang.org/x/sys/unix"
)

func init() {
	runtime.LockOSThread()
}

// ErrMainThread is returned if Run would have run on the main thread, which
// can only happen if this package's init did not lock it.
var ErrMainThread = errors.New("osthread: refusing to change the main thread")

// Run runs fn on a new goroutine locked to a thread that is not the main
// thread, waits for it, and returns its error. Whatever fn changes on the
// thread ends with the thread. fn must not start goroutines that expect to
// share the thread's state: they run on other threads.
func Run(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// No UnlockOSThread: the thread ends with this goroutine.
		if unix.Gettid() == unix.Getpid() {
			errc <- ErrMainThread
			return
		}
		errc <- fn()
	}()
	return <-errc
}
