package seccomp

import "golang.org/x/sys/unix"

// The policy: an allow-list. A system call the lists below do not name is
// refused with EPERM, and one newer than this package's tables (a kernel's
// new call) with ENOSYS, so that a C library falls back to an older call —
// nothing is allowed until someone has decided it should be. The lists
// follow Docker's default profile (moby/profiles/seccomp/default.json),
// minus io_uring, which Docker dropped in 25.0.

// A Group is a set of calls allowed for one reason.
type Group struct {
	Name  string
	Calls []string
}

// Allowed are the calls every container may make, in groups. Names the
// running architecture does not have (open on arm64) are skipped.
var Allowed = []Group{
	{"files and directories", []string{
		"access", "chdir", "chmod", "chown", "close", "close_range", "copy_file_range", "creat",
		"dup", "dup2", "dup3", "faccessat", "faccessat2", "fadvise64", "fallocate", "fchdir",
		"fchmod", "fchmodat", "fchmodat2", "fchown", "fchownat", "fcntl", "fdatasync", "flock",
		"fstat", "fstatfs", "fsync", "ftruncate", "getcwd", "getdents", "getdents64", "lchown",
		"link", "linkat", "lseek", "lstat", "mkdir", "mkdirat", "mknod", "mknodat",
		"name_to_handle_at", "newfstatat", "open", "openat", "openat2", "pread64", "preadv",
		"preadv2", "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink",
		"readlinkat", "readv", "rename", "renameat", "renameat2", "rmdir", "sendfile", "splice",
		"stat", "statfs", "statx", "symlink", "symlinkat", "sync", "sync_file_range", "syncfs",
		"tee", "truncate", "umask", "unlink", "unlinkat", "utime", "utimensat", "utimes",
		"futimesat", "vmsplice", "write", "writev",
	}},
	{"extended attributes", []string{
		"fgetxattr", "flistxattr", "fremovexattr", "fsetxattr", "getxattr", "lgetxattr",
		"listxattr", "llistxattr", "lremovexattr", "lsetxattr", "removexattr", "setxattr",
	}},
	{"waiting for files: poll, select, epoll, inotify, eventfd, timerfd, signalfd", []string{
		"epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait",
		"epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "fanotify_mark",
		"inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch", "poll", "ppoll",
		"pselect6", "select", "signalfd", "signalfd4", "timerfd_create", "timerfd_gettime",
		"timerfd_settime",
	}},
	{"asynchronous I/O (the old aio, not io_uring)", []string{
		"io_cancel", "io_destroy", "io_getevents", "io_pgetevents", "io_setup", "io_submit",
		"ioprio_get", "ioprio_set",
	}},
	{"processes and threads", []string{
		"arch_prctl", "capget", "capset", "execve", "execveat", "exit", "exit_group", "fork",
		"get_robust_list", "get_thread_area", "getcpu", "getpgid", "getpgrp", "getpid", "getppid",
		"getpriority", "getrlimit", "getrusage", "getsid", "gettid", "membarrier", "modify_ldt",
		"pidfd_open", "pidfd_send_signal", "prctl", "prlimit64", "process_mrelease", "ptrace",
		"process_vm_readv", "process_vm_writev", "restart_syscall", "rseq", "sched_get_priority_max",
		"sched_get_priority_min", "sched_getaffinity", "sched_getattr", "sched_getparam",
		"sched_getscheduler", "sched_rr_get_interval", "sched_setaffinity", "sched_setattr",
		"sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "set_robust_list",
		"set_thread_area", "set_tid_address", "setpgid", "setpriority", "setrlimit", "setsid",
		"times", "uname", "vfork", "wait4", "waitid", "landlock_add_rule",
		"landlock_create_ruleset", "landlock_restrict_self",
	}},
	{"memory", []string{
		"brk", "madvise", "memfd_create", "memfd_secret", "mincore", "mlock", "mlock2", "mlockall",
		"mmap", "mprotect", "mremap", "msync", "munlock", "munlockall", "munmap", "pkey_alloc",
		"pkey_free", "pkey_mprotect", "remap_file_pages",
	}},
	{"signals", []string{
		"kill", "pause", "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo",
		"rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait", "rt_tgsigqueueinfo", "sigaltstack",
		"tgkill", "tkill",
	}},
	{"reading the clocks and timers (setting them is refused below)", []string{
		"alarm", "clock_getres", "clock_gettime", "clock_nanosleep", "getitimer", "gettimeofday",
		"nanosleep", "setitimer", "time", "timer_create", "timer_delete", "timer_getoverrun",
		"timer_gettime", "timer_settime", "futex", "futex_waitv", "futex_wake", "futex_wait",
		"futex_requeue", "getrandom", "sysinfo",
	}},
	{"users and groups: changing ids within what the capabilities allow", []string{
		"getegid", "geteuid", "getgid", "getgroups", "getresgid", "getresuid", "getuid",
		"setfsgid", "setfsuid", "setgid", "setgroups", "setregid", "setresgid", "setresuid",
		"setreuid", "setuid",
	}},
	{"sockets, in the container's own network namespace", []string{
		"accept", "accept4", "bind", "connect", "getpeername", "getsockname", "getsockopt",
		"listen", "recvfrom", "recvmmsg", "recvmsg", "sendmmsg", "sendmsg", "sendto",
		"setsockopt", "shutdown", "socketpair", "pipe", "pipe2",
	}},
	{"System V IPC and POSIX message queues, in the container's own IPC namespace", []string{
		"mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive", "mq_timedsend", "mq_unlink",
		"msgctl", "msgget", "msgrcv", "msgsnd", "semctl", "semget", "semop", "semtimedop",
		"shmat", "shmctl", "shmdt", "shmget",
	}},
}

// A Check allows a call only for some values of one argument. Only the
// argument's low 32 bits are compared, because the kernel reads these
// arguments as 32-bit ints: comparing all 64 would let a caller set a
// high bit the kernel ignores and slip past (CVE-2019-10063, flatpak's
// TIOCSTI filter).
type Check struct {
	Call string
	Arg  int      // which argument, from 0
	Deny []uint32 // these values are refused, all others allowed
	Only []uint32 // only these values are allowed
	Bits uint32   // a value with any of these bits set is refused
	// AdminLifts: with CAP_SYS_ADMIN the call is allowed whole, as in
	// Docker's profile — such a container may create namespaces anyway.
	AdminLifts bool
	Why        string
}

// nsFlags are the clone(2) flags that create namespaces.
const nsFlags = unix.CLONE_NEWNS | unix.CLONE_NEWCGROUP | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC |
	unix.CLONE_NEWUSER | unix.CLONE_NEWPID | unix.CLONE_NEWNET

// Checks are the calls allowed only with some arguments.
var Checks = []Check{
	{Call: "ioctl", Arg: 1, Deny: []uint32{unix.TIOCSTI, unix.TIOCLINUX},
		Why: "TIOCSTI types into a terminal as if the user had, TIOCLINUX pastes from the console: both reach past a terminal a container should only write to (CVE-2017-5226)"},
	{Call: "clone", Arg: 0, Bits: nsFlags, AdminLifts: true,
		Why: "new namespaces — above all a user namespace, where container root gets every capability again, the door to most kernel exploits of recent years"},
	{Call: "unshare", Arg: 0, Bits: nsFlags, AdminLifts: true,
		Why: "the same namespaces, for the calling process"},
	{Call: "socket", Arg: 0, Deny: []uint32{unix.AF_VSOCK},
		Why: "vsock sockets talk to the hypervisor, past every network namespace"},
	{Call: "personality", Arg: 0, Only: []uint32{0, 0x0008, 0x20000, 0x20008, 0xffffffff},
		Why: "only the execution domains programs ask for; others switch off address-space randomization"},
}

// Errno answers a call with an error instead of running it.
type Errno struct {
	Call  string
	Errno unix.Errno
	Why   string
}

// Answered are calls refused with a chosen errno, without CAP_SYS_ADMIN.
var Answered = []Errno{
	{"clone3", unix.ENOSYS, "clone3 passes its flags in a struct the filter cannot read: ENOSYS makes the C library fall back to clone, whose flags it can"},
}

// WithCapability are calls allowed only when the container holds a
// capability, as in Docker's profile: the capability is the wall, and a
// container without it has no use for the call.
var WithCapability = map[int][]string{
	unix.CAP_SYS_ADMIN: {"mount", "umount2", "setns", "sethostname", "setdomainname", "syslog",
		"quotactl", "quotactl_fd", "fanotify_init", "lookup_dcookie", "clone3",
		"fsopen", "fspick", "fsconfig", "fsmount", "open_tree", "move_mount", "mount_setattr"},
	unix.CAP_SYS_CHROOT:     {"chroot"},
	unix.CAP_SYS_BOOT:       {"reboot"},
	unix.CAP_SYS_PTRACE:     {"kcmp", "pidfd_getfd", "process_madvise"},
	unix.CAP_SYS_NICE:       {"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"},
	unix.CAP_SYS_TTY_CONFIG: {"vhangup"},
	unix.CAP_SYS_RAWIO:      {"iopl", "ioperm"},
	unix.CAP_SYSLOG:         {"syslog"},
}

// A Refusal is a call that stays refused whatever the capabilities, and
// the attack it belongs to.
type Refusal struct {
	Call string
	Why  string
}

// Refused lists the calls that are left out on purpose, with the reason.
// The default answer refuses them anyway; the list documents the choice,
// and the tests check that each one is refused.
var Refused = []Refusal{
	{"io_uring_setup", "a second system call interface that seccomp cannot see into, and a rich seam of kernel bugs (Docker blocks it since 25.0)"},
	{"io_uring_enter", "see io_uring_setup"},
	{"io_uring_register", "see io_uring_setup"},
	{"kexec_load", "loads a new kernel to boot into"},
	{"kexec_file_load", "loads a new kernel to boot into"},
	{"init_module", "loads code into the kernel"},
	{"finit_module", "loads code into the kernel"},
	{"delete_module", "unloads kernel code the host relies on"},
	{"open_by_handle_at", "opens any file of a filesystem by handle, outside the container's root (the 2014 \"shocker\" escape)"},
	{"keyctl", "the kernel keyring is not namespaced: the host's keys"},
	{"add_key", "the kernel keyring is not namespaced"},
	{"request_key", "the kernel keyring is not namespaced"},
	{"bpf", "loads programs into the kernel"},
	{"perf_event_open", "observes other processes and the kernel"},
	{"userfaultfd", "a favourite tool for winning kernel races in exploits"},
	{"swapon", "changes the host's swap"},
	{"swapoff", "changes the host's swap"},
	{"acct", "switches process accounting for the whole host"},
	{"settimeofday", "the clock is not namespaced: sets the host's time"},
	{"clock_settime", "the clock is not namespaced: sets the host's time"},
	{"clock_adjtime", "the clock is not namespaced: adjusts the host's time"},
	{"adjtimex", "the clock is not namespaced: adjusts the host's time"},
	{"nfsservctl", "talks to the kernel's NFS server"},
	{"pivot_root", "changes the root of the mount namespace; the runtime has done it already"},
	{"uselib", "loads a shared library the old way, a long-gone attack surface"},
}
