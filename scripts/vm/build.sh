#!/bin/sh
# build.sh OUT — build the VM lane's guest into OUT: the kernel of a
# Debian kernel package (vmlinuz) and one initramfs (initrd) holding a
# Debian root filesystem with the project's tests, built statically.
#
# KERNEL_PKG names the kernel package (default: what linux-image-cloud-amd64
# depends on — Debian 12's stock cloud kernel); SUITE the Debian release
# of the root filesystem (default bookworm); MIRROR its mirror. The kernel
# and the base root filesystem are kept in OUT and reused while KERNEL_PKG
# and SUITE stay the same; the project's part is rebuilt every time.
set -eu
export PATH="$PATH:/usr/sbin:/sbin"

out=${1:?usage: build.sh OUT}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
suite=${SUITE:-bookworm}
mirror=${MIRROR:-http://deb.debian.org/debian}
pkg=${KERNEL_PKG:-$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-/ {print $2; exit}')}
[ -n "$pkg" ] || { echo "build.sh: no kernel package — apt-get update, or name one: KERNEL_PKG=linux-image-…-cloud-amd64" >&2; exit 2; }
GO=${GO:-go}
mkdir -p "$out"
out=$(cd "$out" && pwd)

# 1. The kernel: a Debian package like any other, unpacked, not installed.
if [ ! -e "$out/$pkg/ok" ]; then
	rm -rf "$out/$pkg" && mkdir -p "$out/$pkg"
	(cd "$out/$pkg" && apt-get download "$pkg" >/dev/null 2>&1) ||
		{ echo "build.sh: apt-get download $pkg failed — apt-get update first?" >&2; exit 2; }
	dpkg-deb -x "$out/$pkg"/*.deb "$out/$pkg/x"
	touch "$out/$pkg/ok"
fi
kver=$(ls "$out/$pkg/x/lib/modules")
cp "$out/$pkg/x/boot/vmlinuz-$kver" "$out/vmlinuz"

# 2. The base root filesystem, from Debian's packages: what the tests run
# besides the project's binaries.
base="$out/base-$suite"
if [ ! -e "$base.ok" ]; then
	rm -rf "$base"
	mmdebstrap --quiet --variant=minbase \
		--include=iproute2,util-linux,kmod,busybox-static,nftables,conntrack,slirp4netns,passt,procps \
		"$suite" "$base" "$mirror"
	touch "$base.ok"
fi

# 3. The guest's tree: the base, the kernel's modules, the project.
root="$out/root"
rm -rf "$root"
cp -a "$base" "$root"
mkdir -p "$root/lib/modules"
cp -a "$out/$pkg/x/lib/modules/$kver" "$root/lib/modules/"
chroot "$root" /usr/sbin/depmod "$kver" # the guest's own depmod: kmod is in its packages
printf 'nameserver 192.0.2.53\n' >"$root/etc/resolv.conf"
printf 'nslab-vm\n' >"$root/etc/hostname"
cp "$here/init" "$root/init"
cp "$here/guest-tests" "$root/guest-tests"
chmod 755 "$root/init" "$root/guest-tests"

# The project's sources (the tests read scripts/, docs/ and go.mod), its
# binaries prebuilt for labtest.Build, and one test binary per package.
mkdir -p "$root/nslab"
(cd "$top" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf -) | tar -xf - -C "$root/nslab"
mkdir -p "$root/nslab/.prebuilt"
(cd "$top" && for c in 01-uts 02-mount 03-user 04-pid 05-net 06-container 06-container/nsprobe; do
	CGO_ENABLED=0 "$GO" build -ldflags=-s -o "$root/nslab/.prebuilt/$(basename "$c")" "./$c" || exit 1
done)
# internal/labkit's tests build student copies with the Go toolchain,
# which the guest does not have; they test no kernel behaviour.
for p in $(cd "$top" && "$GO" list -f '{{if or .TestGoFiles .XTestGoFiles}}{{.Dir}}{{end}}' ./...); do
	rel=${p#"$top"/}
	[ "$rel" != internal/labkit ] || continue
	(cd "$top" && CGO_ENABLED=0 "$GO" test -c -ldflags=-s -o "$root/nslab/$rel/vm.test" "./$rel") || exit 1
	echo "$rel" >>"$root/nslab/.packages"
done

# 4. One initramfs, uncompressed: decompressing in an emulated CPU costs
# more than reading the bytes.
(cd "$root" && find . | busybox cpio -o -H newc 2>/dev/null) >"$out/initrd"
rm -rf "$root"
echo "build.sh: $out/vmlinuz ($pkg) and $out/initrd ($(du -m "$out/initrd" | cut -f1) MB)"
