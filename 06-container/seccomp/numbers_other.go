//go:build !amd64 && !arm64

package seccomp

// On other architectures the filter is not built: Filter reports the
// first missing number, and the container needs --seccomp=off.
const auditArch = 0

const x32Bit = 0

var numbers = map[string]uint32{}
