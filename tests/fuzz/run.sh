#!/bin/bash
# Build the libFuzzer targets with clang (ASan + UBSan) and run each for a
# bounded time (FUZZ_SECONDS, default 60) from the seed corpus in the tree.
# Prints PASS/FAIL per target with its execution count, then
# "N passed, N failed".
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
secs=${FUZZ_SECONDS:-60}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
# every library source, so that a new file cannot break the fuzz build
srcs=("$repo"/lib/*.c)
for t in caps sysfs; do
	bin="$work/fuzz_$t"
	if ! clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -I"$repo/lib" -I"$repo/include" \
		"$here/fuzz_$t.c" "${srcs[@]}" -lpthread -o "$bin" 2> "$work/cc.log"; then
		cat "$work/cc.log"; echo "FAIL fuzz/$t/build"; failed=$((failed + 1)); continue
	fi
	mkdir -p "$work/corpus_$t"
	cp "$here/corpus/$t"/* "$work/corpus_$t/" 2>/dev/null
	if "$bin" -max_total_time="$secs" -max_len=4096 -print_final_stats=1 \
		"$work/corpus_$t" > "$work/$t.log" 2>&1; then
		runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/$t.log" | grep -o '[0-9]*$')
		echo "PASS fuzz/$t (${runs:-?} executions in ${secs} s, no crash, no sanitizer report)"
		passed=$((passed + 1))
	else
		tail -40 "$work/$t.log"
		echo "FAIL fuzz/$t"
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
