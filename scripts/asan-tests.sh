#!/bin/bash
# Build the library and unit tests with ASan + UBSan and run the unit tests.
set -u -o pipefail
san=${1:-build-asan}
if [ ! -f "$san/build.ninja" ]; then
	meson setup "$san" -Db_sanitize=address,undefined -Db_lundef=false \
		-Dvm_tests=false >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
fi
ninja -C "$san" >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
exec "$(dirname "$0")/meson-test-count.py" "$san"
