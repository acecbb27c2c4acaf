#!/bin/bash
# Unit tests under valgrind memcheck (no fork, so valgrind sees every test;
# any error or definite leak fails).
set -u -o pipefail
b=${1:-build-valgrind}
if [ ! -f "$b/build.ninja" ]; then
	meson setup "$b" -Dvm_tests=false >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
fi
ninja -C "$b" >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
export CK_FORK=no
exec "$(dirname "$0")/meson-test-count.py" "$b" --timeout-multiplier 10 \
	--wrapper 'valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite --quiet'
