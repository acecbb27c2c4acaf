#!/bin/bash
# Pack the guest initramfs: busybox, /init, the given programs under
# /tests/bin with the shared libraries they need, and pci.ids for libpci.
#
#   tests/vm/mkinitramfs.sh OUT.cpio.gz FILE...
set -euo pipefail
out=${1:?usage: mkinitramfs.sh OUT.cpio.gz FILE...}
shift
here=$(cd "$(dirname "$0")" && pwd)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,etc,tests/bin,usr/share/misc}
cp /bin/busybox "$root/bin/busybox"
for a in $("$root/bin/busybox" --list); do
	[ "$a" = busybox ] || ln -sf busybox "$root/bin/$a"
done
cp "$here/guest/init.sh" "$root/init"
chmod +x "$root/init"
mkdir -p "$root/tests/lib"
cp "$here/guest/tap.sh" "$root/tests/lib/tap.sh"

copy_lib() { # copy a file keeping its absolute path (follows symlinks)
	local f=$1
	[ -e "$root$f" ] && return 0
	mkdir -p "$root$(dirname "$f")"
	cp -L "$f" "$root$f"
}
for f in "$@"; do
	cp -L "$f" "$root/tests/bin/$(basename "$f")"
	if file -L "$f" 2>/dev/null | grep -q 'dynamically linked' ||
	   { ldd "$f" >/dev/null 2>&1 && ! ldd "$f" 2>&1 | grep -q 'not a dynamic'; }; then
		# Libraries from standard directories keep their path; others
		# (the build tree's libvfiomap, found through a relative RPATH)
		# go to the default search directory under their soname.
		while read -r name arrow path _; do
			if [ "$arrow" = "=>" ] && [ "$path" = not ]; then
				echo "mkinitramfs: $f: $name not found" >&2
				exit 1
			elif [ "$arrow" = "=>" ] && [ -n "$path" ]; then
				case $path in
				/lib/*|/lib64/*|/usr/lib/*) copy_lib "$path" ;;
				*) mkdir -p "$root/usr/lib/x86_64-linux-gnu"
				   cp -L "$path" "$root/usr/lib/x86_64-linux-gnu/$name" ;;
				esac
			elif [ "${name:0:1}" = / ]; then
				copy_lib "$name"
			fi
		done < <(ldd "$f")
	fi
done
# glibc loads libgcc_s at run time for pthread_cancel() (DPDK's
# rte_eal_cleanup() cancels its threads): ldd does not list it
for gcc_s in /lib/x86_64-linux-gnu/libgcc_s.so.1 /usr/lib/x86_64-linux-gnu/libgcc_s.so.1; do
	[ -f "$gcc_s" ] && { copy_lib "$gcc_s"; break; }
done
for ids in /usr/share/misc/pci.ids /usr/share/hwdata/pci.ids; do
	[ -f "$ids" ] && copy_lib "$ids"
done
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out"
