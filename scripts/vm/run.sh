#!/bin/sh
# run.sh OUT — boot the guest that build.sh made in OUT, under QEMU, and
# report what its tests said on the serial console: one line per package,
# the failures' excerpts, and the exit status (0 only if every package
# passed without a skip). The whole console is kept in OUT/console.log.
#
# PACKAGES=06-container,docs and RUN=REGEXP narrow the run, as go test's
# -run does. ACCEL=tcg (default) emulates the CPU: slow, but it works everywhere.
# ACCEL=kvm uses the host's virtualisation where /dev/kvm works (nested
# KVM inside a cloud VM often does not). The guest has no network device:
# nothing it does can leave this machine.
set -eu
export PATH="$PATH:/usr/sbin:/sbin"

out=${1:?usage: run.sh OUT}
accel=${ACCEL:-tcg}
case $accel in
tcg) accel_args="-accel tcg,thread=multi -cpu max" ;;
kvm) accel_args="-accel kvm -cpu host" ;;
*) echo "run.sh: ACCEL=$accel: want tcg or kvm" >&2; exit 2 ;;
esac

# shellcheck disable=SC2086 # accel_args is several words
timeout "${VM_TIMEOUT:-1800}" qemu-system-x86_64 $accel_args -smp 2 -m 4096 \
	-nographic -no-reboot -nic none -serial mon:stdio \
	-kernel "$out/vmlinuz" -initrd "$out/initrd" \
	-append "console=ttyS0 cgroup_no_v1=all panic=-1 quiet rdinit=/init nslab.packages=${PACKAGES:-} nslab.run=${RUN:-.}" </dev/null 2>&1 |
	sed -u 's/\r$//' | tee "$out/console.log" | grep --line-buffered '^nslab-vm' || true

done=$(sed -n 's/^nslab-vm: done //p' "$out/console.log")
if [ -z "$done" ]; then
	echo "nslab-vm: the guest did not finish — its console is in $out/console.log" >&2
	exit 1
fi
exit "$done"
