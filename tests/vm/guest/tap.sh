# shellcheck shell=sh
# TAP helpers of the guest's shell tests (tests/vmlib/examples-check.sh,
# consumers/dpdk/dpdk-wc.sh); the initramfs has this file as
# /tests/lib/tap.sh.  Print "1..$n" at the end and exit with [ $fails -eq 0 ].
n=0
fails=0
t() { # t "description" command...: ok if the command succeeds
	desc=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"
		fails=$((fails + 1))
	fi
}
has() { grep -q -- "$1" "$2"; }
