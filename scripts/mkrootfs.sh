#!/bin/sh
# mkrootfs.sh DIR [TARBALL] — build the root filesystem that 06-container
# runs in.
#
# Without TARBALL: a static busybox (Debian/Ubuntu package busybox-static)
# with a link for each of its applets, a minimal /etc and the empty
# directories the container mounts over. With TARBALL: the tarball
# unpacked (alpine-minirootfs-*.tar.gz, or the output of `docker export`).
# The tree is built beside DIR and renamed into place, so DIR is either
# complete or absent.
set -eu

dir=${1:?usage: mkrootfs.sh DIR [TARBALL]}
tarball=${2:-}
dir=${dir%/}
tmp="$dir.tmp.$$"
trap 'rm -rf "$tmp"' EXIT

if [ -e "$dir" ]; then
	echo "mkrootfs: $dir already exists — remove it first (make clean) to rebuild" >&2
	exit 1
fi

find_busybox() {
	bb=$(command -v busybox 2>/dev/null || true)
	[ -n "$bb" ] || for p in /bin/busybox /usr/bin/busybox /sbin/busybox; do
		[ -x "$p" ] && bb=$p && break
	done
	if [ -z "$bb" ]; then
		echo "mkrootfs: busybox not found — apt-get install busybox-static (Fedora: dnf install busybox)" >&2
		exit 1
	fi
	# A dynamically linked binary has an .interp section naming its
	# loader; inside the rootfs there is no loader to find.
	if LC_ALL=C grep -q '\.interp' "$bb"; then
		echo "mkrootfs: $bb is dynamically linked — apt-get install busybox-static" >&2
		exit 1
	fi
}

mkdir -p "$tmp"
if [ -n "$tarball" ]; then
	tar -xf "$tarball" -C "$tmp"
else
	find_busybox
	mkdir -p "$tmp/bin" "$tmp/sbin" "$tmp/usr/bin" "$tmp/usr/sbin" "$tmp/etc" "$tmp/root"
	cp "$bb" "$tmp/bin/busybox"
	chmod 0755 "$tmp/bin/busybox"
	"$bb" --list-full | while read -r applet; do
		[ "$applet" = bin/busybox ] || ln -sf /bin/busybox "$tmp/$applet"
	done
	cat >"$tmp/etc/passwd" <<-'PASSWD'
		root:x:0:0:root:/root:/bin/sh
		nobody:x:65534:65534:nobody:/nonexistent:/bin/false
	PASSWD
	cat >"$tmp/etc/group" <<-'GROUP'
		root:x:0:
		tty:x:5:
		nogroup:x:65534:
	GROUP
fi

# What every rootfs needs, whatever it came from: mount points for /proc,
# /sys and /dev, a sticky /tmp, and the /etc files the container replaces
# with its own (it mounts over files, so they must exist).
mkdir -p "$tmp/proc" "$tmp/sys" "$tmp/dev" "$tmp/tmp" "$tmp/run" "$tmp/etc"
chmod 1777 "$tmp/tmp"
[ -e "$tmp/etc/hostname" ] || echo nslab >"$tmp/etc/hostname"
for f in hosts resolv.conf; do
	[ -e "$tmp/etc/$f" ] || [ -L "$tmp/etc/$f" ] || : >"$tmp/etc/$f"
done
# A mark that this tree is a container's root: a test that writes inside
# a container checks for it first, so that a broken runtime — a student's
# pivot_root that left the host's root on top — cannot make it write to
# the host instead.
echo "the root filesystem of an nslab container" >"$tmp/etc/nslab-rootfs"

mv "$tmp" "$dir"
trap - EXIT
echo "mkrootfs: built $dir"
