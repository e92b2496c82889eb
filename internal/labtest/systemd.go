package labtest

import "testing"

// SystemdLikeHost runs a shell script in a scratch mount namespace whose
// "/" was made recursively shared, as systemd makes it on a learner's VM.
// Build and CI machines often have a private "/", where a mount can never
// leak back by accident, so a test that claims "no mount leaks to the
// host" must look for the leak here. Inside the script, $$ is the shell
// that stands for the host: /proc/$$/mountinfo is the host's table. The
// namespace, and whatever leaked into it, ends with the script.
func SystemdLikeHost(t testing.TB, env []string, script string) Result {
	t.Helper()
	NeedRoot(t)
	// Private first, then shared again: made shared straight away, the
	// scratch namespace's mounts would be peers of the real host's where
	// its / is shared (a systemd machine, the VM lane), and what the
	// script mounts would reach the machine itself.
	return RunOpts(t, Opts{Env: env}, "unshare", "--mount", "--propagation", "private", "--", "sh", "-c", "mount --make-rshared / && "+script)
}
