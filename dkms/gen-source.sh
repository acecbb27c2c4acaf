#!/bin/bash
# Generate the DKMS source tree of the patched VFIO modules for Debian's
# Linux 6.12: drivers/vfio and its headers from linux-source-6.12, with the
# 6.12 backport of the series (kernel-patches/6.12) applied.
#
#   dkms/gen-source.sh SOURCE_TARBALL OUTDIR
#
# SOURCE_TARBALL is /usr/src/linux-source-6.12.tar.xz (Debian package
# linux-source-6.12).  OUTDIR receives dkms.conf, Makefile, vfio/ (the
# drivers/vfio tree) and include/ (the headers the series changes), which
# the Makefile puts ahead of the installed kernel's headers.  Nothing in
# the repository is a copy of a kernel file: everything comes from the
# tarball and the patches.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
patches=$root/kernel-patches/6.12
tarball=${1:?usage: gen-source.sh SOURCE_TARBALL OUTDIR}
out=${2:?usage: gen-source.sh SOURCE_TARBALL OUTDIR}
pkgver=$(sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" "$root/meson.build" | head -1)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
top=$(tar tf "$tarball" | head -1 | cut -d/ -f1) || true
# every file the series touches, plus the rest of drivers/vfio
files=$(sed -n 's|^+++ b/||p' $(sed "s|^|$patches/|" "$patches/series") | sort -u)
keep=()
for f in $files; do
	case $f in drivers/vfio/*) ;; *) keep+=("$top/$f") ;; esac
done
tar xf "$tarball" -C "$work" "$top/Makefile" "$top/drivers/vfio" "${keep[@]}"
src=$work/$top
while read -r p; do
	[ -n "$p" ] || continue
	patch -s -p1 -d "$src" --no-backup-if-mismatch < "$patches/$p"
done < "$patches/series"
kver=$(awk '$2 == "=" && $1 ~ /^(VERSION|PATCHLEVEL|SUBLEVEL)$/ { v[$1] = $3 }
	END { if (v["VERSION"] != "") print v["VERSION"] "." v["PATCHLEVEL"] "." v["SUBLEVEL"] }' "$src/Makefile")
[ -n "$kver" ] || { echo "gen-source: cannot read the kernel version of $tarball" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out/include/linux" "$out/include/uapi/linux"
cp -a "$src/drivers/vfio" "$out/vfio"
for h in $files; do
	case $h in include/*) cp "$src/$h" "$out/$h" ;; esac
done
sed -e "s/@KVER@/$kver/g" -e "s/@VERSION@/$pkgver/g" "$here/Makefile.in" > "$out/Makefile"
sed -e "s/@KVER@/$kver/g" -e "s/@VERSION@/$pkgver/g" "$here/dkms.conf.in" > "$out/dkms.conf"
(cd "$patches" && cat $(cat series)) | sha256sum | cut -c1-16 > "$out/SERIES"
echo "$kver" > "$out/KERNEL_VERSION"
echo "gen-source: vfiomap $pkgver DKMS source for Linux $kver in $out"
