package main

import (
	"fmt"
	"strconv"

	"golang.org/x/sys/unix"
)

func init() {
	register("shm-create", "KEY", "create a System V shared memory segment with this key", shmCreate)
	register("shm-find", "KEY", "look up a System V shared memory segment by key", shmFind)
}

func shmKey(arg string) (int, error) {
	k, err := strconv.ParseInt(arg, 0, 32)
	if err != nil {
		return 0, fmt.Errorf("key %q: %w", arg, err)
	}
	return int(k), nil
}

// shmCreate creates a segment that outlives the process: System V objects
// belong to the IPC namespace, not to their creator.
func shmCreate(args []string) error {
	if err := need(args, 1); err != nil {
		return err
	}
	key, err := shmKey(args[0])
	if err != nil {
		return err
	}
	id, err := unix.SysvShmGet(key, 4096, unix.IPC_CREAT|unix.IPC_EXCL|0o600)
	if err != nil {
		return err
	}
	fmt.Printf("shm-create: key %#x is segment %d\n", key, id)
	return nil
}

// shmFind looks a segment up without creating it.
func shmFind(args []string) error {
	if err := need(args, 1); err != nil {
		return err
	}
	key, err := shmKey(args[0])
	if err != nil {
		return err
	}
	id, err := unix.SysvShmGet(key, 0, 0)
	if err != nil {
		return err
	}
	fmt.Printf("shm-find: key %#x is segment %d\n", key, id)
	return nil
}
