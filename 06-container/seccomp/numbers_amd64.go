package seccomp

import "golang.org/x/sys/unix"

// auditArch is what seccomp_data.arch holds for a 64-bit x86 call.
const auditArch = unix.AUDIT_ARCH_X86_64

// x32Bit marks the x32 ABI's calls (__X32_SYSCALL_BIT): x86-64 numbers
// with this bit set, which a check of the plain numbers would miss.
const x32Bit = 0x40000000
