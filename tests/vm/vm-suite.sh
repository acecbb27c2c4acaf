#!/bin/bash
# The VM suite: build (or reuse) the stock and patched kernels, pack the
# guest programs of BUILDDIR into an initramfs and boot one VM per suite.
#
#   tests/vm/vm-suite.sh BUILDDIR
#   VMTEST_SUITES="patched-noiommu stock-iommu" tests/vm/vm-suite.sh BUILDDIR
#
# Prints every result, then a closing "N passed, N failed" line.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: vm-suite.sh BUILDDIR}" && pwd)
logdir=${VFIOMAP_LOGDIR:-$build/vm-logs}
mkdir -p "$logdir"

# name            kernel   machine  ivshmem  programs  kernel parameters
#                                            (-: all)  (-: none)
suites_table="
patched-noiommu   patched  noiommu  64M      -         vmtest.stress=10
patched-nopat     patched  noiommu  64M      kernel-uapi nopat
patched-iommu     patched  iommu    64M      -         vmtest.stress=10
patched-reset     patched  noiommu  64M      kernel-uapi vmtest.reset=1
stock-noiommu     stock    noiommu  64M      -         -
stock-iommu       stock    iommu    64M      -         -
debug-noiommu     debug    noiommu  64M      -         vmtest.stress=20,vmtest.failslab=1,acpi=noirq,rcupdate.rcu_cpu_stall_timeout=300,no5lvl
debug-iommu       debug    iommu    64M      kernel-stress,vfio-selftests.sh vmtest.stress=20,vmtest.failslab=1,acpi=noirq,rcupdate.rcu_cpu_stall_timeout=300,no5lvl
debug-reset       debug    noiommu  64M      kernel-uapi vmtest.reset=1,acpi=noirq,no5lvl
debian-dkms       debian-dkms  iommu 64M     -         vmtest.stress=10,vmtest.iommufd=0,vmtest.strict_devmem=1,vmtest.variant=1
debian-stock      debian-stock iommu 64M     -         vmtest.iommufd=0,vmtest.strict_devmem=1
debian-dkms-reset debian-dkms iommu 64M     kernel-uapi vmtest.reset=1,vmtest.iommufd=0,vmtest.strict_devmem=1
dpdk-patched      patched  noiommu  64M      dpdk-wc.sh hugepages=48
dpdk-patched-iommu patched iommu   64M      dpdk-wc.sh hugepages=48
dpdk-stock        stock    noiommu  64M      dpdk-wc.sh hugepages=48
dpdk-debian-dkms  debian-dkms iommu 64M      dpdk-wc.sh hugepages=48,vmtest.iommufd=0,vmtest.strict_devmem=1
arm64-patched     arm64    noiommu  64M      arm64-wc  -
"
# arm64-patched: the 7.3 series built for arm64 (kernel.sh arm64) on QEMU's
# "virt" machine, no-IOMMU; its initramfs is tests/vm/arm64/arm64-wc.c
# alone (static, cross-compiled), which checks the memory type of each
# page (MAIR index, from the ptdump helper) through cookies and offsets:
# there the one-type-per-page rule is the series' own doing, not PAT's.
# dpdk-*: DPDK 22.11 with consumers/dpdk's bus/pci patch (built by
# consumers/dpdk/build.sh into BUILDDIR/dpdk) probes ivshmem through
# vfio-pci with RTE_PCI_DRV_WC_ACTIVATE, primary and secondary process;
# testpmd between two e1000 (no-IOMMU; type1 on VT-d with Debian's 6.12
# and the DKMS modules).
# debug-*: no5lvl.  QEMU's "-cpu max" has LA57, and a KASAN kernel in
# 5-level mode reported a wild access (direct-map address 0xff11...) in
# handle_edge_irq() when a legacy interrupt came in during identify_cpu(),
# at boot, before any VFIO code ran (seen once, on the i440fx machine, in
# a cold CI run of 2026-12-02).  4-level paging keeps the debug suites
# about VFIO; the other suites keep 5-level paging.
# debian-dkms: Debian's own 6.12 kernel (linux-image-*-unsigned, not built)
# with the vfiomap DKMS modules (kernel-patches/6.12) loaded from
# updates/dkms; debian-stock: the same kernel with its own vfio modules.
# Debian's config has no IOMMUFD and no VFIO_NOIOMMU: type1 groups on
# emulated VT-d only, and no 7.3 selftest; it has IO_STRICT_DEVMEM (root
# cannot map a BAR a driver claimed).
wanted=${VMTEST_SUITES:-$(echo "$suites_table" | awk 'NF {print $1}')}

passed=0 failed=0
fail() { echo "FAIL $1"; failed=$((failed + 1)); }

# Guest programs: every executable meson defines under tests/vm,
# tests/kernel and tests/vmlib is a test; the examples and tools are packed
# too and driven by tests/vmlib/examples-check.sh.
mapfile -t entries < <(meson introspect --targets "$build" | python3 -c '
import json, sys
for t in json.load(sys.stdin):
    d = t["defined_in"]
    if t["type"] != "executable":
        continue
    if any(s in d for s in ("/tests/vm/", "/tests/kernel/", "/tests/vmlib/")):
        kind = "test"
    elif any(s in d for s in ("/examples/", "/tools/")):
        kind = "aux"
    else:
        continue
    for f in t["filename"]:
        print(kind, f)
')
programs=() tests=()
for e in "${entries[@]}"; do
	programs+=("${e#* }")
	[ "${e%% *}" = test ] && tests+=("$(basename "${e#* }")")
done
if [ ${#tests[@]} -eq 0 ]; then
	fail "vm/no-guest-programs (is $build configured with -Dvm_tests=true?)"
	echo "$passed passed, $failed failed"
	exit 1
fi
programs+=("$here/../vmlib/examples-check.sh")
tests+=(examples-check.sh)
# The kernel's own selftest for cookies (patch 9 of the series), built with
# the selftests' library; run on the IOMMU machines by its guest wrapper.
if st=$("$here/../kernel/vfio-selftest.sh" | tail -1) && [ -x "$st" ]; then
	programs+=("$st" "$here/../kernel/vfio-selftests.sh")
	tests+=(vfio-selftests.sh)
else
	fail vm/selftest-build
fi
# DPDK (consumers/dpdk/build.sh): packed when built, run by the dpdk-* suites
dpdk_built=0
if [ -x "$build/dpdk/dpdk-wc-probe" ] && [ -x "$build/dpdk/dpdk-testpmd" ]; then
	programs+=("$build/dpdk/dpdk-wc-probe" "$build/dpdk/dpdk-testpmd"
		   "$here/../../consumers/dpdk/dpdk-wc.sh")
	dpdk_built=1
fi
run_list=$(IFS=,; echo "${tests[*]}")
initrd="$logdir/initrd.cpio.gz"
"$here/mkinitramfs.sh" "$initrd" "${programs[@]}" || { fail vm/initramfs; echo "$passed passed, $failed failed"; exit 1; }
echo "guest programs: ${programs[*]##*/}"

declare -A kernels initrds
# the kernels the wanted suites use (the table's second column)
needed=$(for w in $wanted; do echo "$suites_table" | awk -v n="$w" '$1 == n {print $2}'; done | sort -u)
for variant in patched stock debug arm64; do
	echo "$needed" | grep -qx "$variant" || continue
	start=$SECONDS
	if k=$("$here/kernel.sh" "$variant" | tail -1) && [ -f "$k" ]; then
		kernels[$variant]=$k
		initrds[$variant]=$initrd
		echo "kernel $variant: $k ($((SECONDS - start)) s)"
	else
		fail "vm/kernel-build-$variant"
	fi
done
if [ -n "${kernels[arm64]:-}" ]; then
	initrds[arm64]=$logdir/initrd-arm64.cpio.gz
	"$here/arm64/mkinitramfs.sh" "${initrds[arm64]}" || { fail vm/initramfs-arm64; unset 'kernels[arm64]'; }
fi
for variant in debian-dkms debian-stock; do
	echo "$needed" | grep -qx "$variant" || continue
	start=$SECONDS
	if ! read -r abi img < <("$here/debian-kernel.sh" image) || [ ! -f "$img/vmlinuz" ]; then
		fail "vm/kernel-$variant"
		continue
	fi
	mods=
	if [ "$variant" = debian-dkms ] && ! mods=$("$here/dkms-modules.sh" | tail -1); then
		fail "vm/dkms-build"
		continue
	fi
	if ! "$here/debian-modules.sh" "$logdir/modules-$variant.cpio.gz" "$abi" "$img" $mods; then
		fail "vm/modules-$variant"
		continue
	fi
	cat "$initrd" "$logdir/modules-$variant.cpio.gz" > "$logdir/initrd-$variant.cpio.gz"
	kernels[$variant]=$img/vmlinuz
	initrds[$variant]=$logdir/initrd-$variant.cpio.gz
	echo "kernel $variant: Debian $abi ${mods:+with $mods }($((SECONDS - start)) s)"
done

for name in $wanted; do
	row=$(echo "$suites_table" | awk -v n="$name" '$1 == n')
	[ -n "$row" ] || { fail "vm/unknown-suite-$name"; continue; }
	read -r _ variant machine size progs params <<<"$row"
	if [ -z "${kernels[$variant]:-}" ]; then
		fail "$name/kernel-missing"
		continue
	fi
	if [ "${progs#*dpdk-wc.sh}" != "$progs" ] && [ $dpdk_built -eq 0 ]; then
		fail "$name/dpdk-not-built (consumers/dpdk/build.sh $build/dpdk)"
		continue
	fi
	# what the tests expect of the kernel: cookies (patched) or not (stock)
	kexpect=$variant
	case $variant in
	debian-dkms|arm64) kexpect=patched ;;
	debian-stock) kexpect=stock ;;
	esac
	args=(--kernel "${kernels[$variant]}" --initrd "${initrds[$variant]}" --machine "$machine"
	      --name "$name" --kernel-variant "$kexpect" --ivshmem-size "$size"
	      --log "$logdir/$name.log" --results "$logdir/$name.results")
	if [ "$progs" = - ]; then
		runs=$run_list
		# the 7.3 selftest needs the 7.3 series and IOMMUFD
		case $variant in debian-*) runs=$(echo ",$runs," | sed 's/,vfio-selftests.sh,/,/; s/^,//; s/,$//') ;; esac
		args+=(--run "$runs")
	else
		args+=(--run "$progs")
	fi
	[ "$params" = - ] || args+=(--append "${params//,/ }")
	# dpdk-*: two e1000 on one hub for testpmd
	case $name in dpdk-*) args+=(--nics 2) ;; esac
	[ "$variant" = arm64 ] && args+=(--arch arm64)
	# vmtest.reset=1: ivshmem behind a bridge, where vfio-pci can reset it
	case ",$params," in *,vmtest.reset=1,*) args+=(--bridge) ;; esac
	# the debug kernel (KASAN, lockdep) is several times slower under TCG
	[ "$variant" = debug ] && args+=(--timeout 1800)
	"$here/run-vm.sh" "${args[@]}"
	if [ -f "$logdir/$name.results" ]; then
		p=$(awk '$1 == "passed" {print $2}' "$logdir/$name.results")
		f=$(awk '$1 == "failed" {print $2}' "$logdir/$name.results")
		passed=$((passed + p)); failed=$((failed + f))
		rm -f "$logdir/$name.results"
	else
		fail "$name/no-results"
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
