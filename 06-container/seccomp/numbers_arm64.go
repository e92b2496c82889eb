package seccomp

import "golang.org/x/sys/unix"

// auditArch is what seccomp_data.arch holds for a 64-bit Arm call.
const auditArch = unix.AUDIT_ARCH_AARCH64

// x32Bit: arm64 has no second ABI sharing its numbers.
const x32Bit = 0
