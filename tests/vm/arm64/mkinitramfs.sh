#!/bin/bash
# The arm64 suite's initramfs: tests/vm/arm64/arm64-wc.c with the guest
# helpers (tests/vm/guest/vmtest.c), cross-compiled static (Debian's
# gcc-aarch64-linux-gnu and libc6-dev-arm64-cross), as /init and nothing
# else.
#
#   tests/vm/arm64/mkinitramfs.sh OUT.cpio.gz
set -euo pipefail
out=${1:?usage: mkinitramfs.sh OUT.cpio.gz}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/dev" "$root/proc" "$root/sys"
aarch64-linux-gnu-gcc -static -O2 -std=gnu11 -Wall -Wextra -Werror \
	-I"$repo/lib/uapi" -I"$repo/tests/vm/guest" -o "$root/init" \
	"$here/arm64-wc.c" "$repo/tests/vm/guest/vmtest.c"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out"
