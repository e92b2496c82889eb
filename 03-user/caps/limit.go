package caps

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Limit reduces the calling thread to the capabilities in keep, for good
// (keep cannot add any: a capability the thread does not hold is left
// out):
//
//  1. every other capability leaves the bounding set (PR_CAPBSET_DROP),
//     the limit of what an execve(2) can ever grant again — root's execve
//     grants the whole bounding set, so this is the step that sticks;
//  2. the permitted, effective and inheritable sets become keep (capset);
//  3. the ambient set is emptied.
//
// Capabilities belong to a thread. Call Limit on a thread locked with
// runtime.LockOSThread, and start the process to be limited from it.
// Dropping from the bounding set needs CAP_SETPCAP, so the bounding set
// goes first, while the thread still has it.
func Limit(keep Set) error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capget: %w", err)
	}
	keep &= Set(uint64(data[1].Permitted)<<32 | uint64(data[0].Permitted))
	last := Last()
	for c := 0; c <= last; c++ {
		if keep.Has(c) {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil && err != unix.EINVAL {
			return fmt.Errorf("drop %s from the bounding set: %w", Name(c), err)
		}
	}
	for i := range data {
		word := uint32(uint64(keep) >> (32 * uint(i)))
		data[i] = unix.CapUserData{Effective: word, Permitted: word, Inheritable: word}
	}
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capset: %w", err)
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		return fmt.Errorf("clear the ambient set: %w", err)
	}
	return nil
}

// Of returns the set of the named capabilities, refusing unknown names.
func Of(names ...string) (Set, error) {
	var s Set
	for _, n := range names {
		c, err := Parse(n)
		if err != nil {
			return 0, err
		}
		s |= 1 << uint(c)
	}
	return s, nil
}
