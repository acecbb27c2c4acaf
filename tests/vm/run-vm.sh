#!/bin/bash
# Boot one VM of the suite and judge its console.
#
#   run-vm.sh --kernel BZIMAGE --initrd CPIO --machine noiommu|iommu
#             --name SUITE [--kernel-variant stock|patched] [--run a,b]
#             [--ivshmem-size 64M] [--ivshmem-file PATH] [--keep]
#             [--append "..."] [--timeout 600] [--log FILE] [--smp N]
#             [--results FILE] [--mem 1G] [--nics N] [--bridge]
#             [--arch x86_64|arm64]
#
# --arch arm64: QEMU's "virt" machine (cortex-a57, TCG, PL011 console,
# PSCI power-off), no-IOMMU only, ivshmem without the edu device.
#
# --bridge: ivshmem alone behind a bridge (pci-bridge on i440fx, a PCIe
# root port on q35), so that vfio-pci can reset it (a secondary bus reset:
# QEMU's ivshmem has no FLR and no PM reset).
#
# Results: "PASS name"/"FAIL name" lines, then "suite S: N passed, N failed".
# Failures: a failed TAP test, a non-zero exit of a test program, a program
# that never ended, no @@DONE (boot failure, crash, hang, timeout), a kernel
# splat on the console, a host check that does not match the ivshmem file.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
kernel= initrd= machine=noiommu name=vm variant=patched run= size=64M
shm= keep=0 append= timeout=600 log= smp=1 results= mem= nics=0 bridge=0
arch=x86_64
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=$2; shift ;;
	--initrd) initrd=$2; shift ;;
	--machine) machine=$2; shift ;;
	--name) name=$2; shift ;;
	--kernel-variant) variant=$2; shift ;;
	--run) run=$2; shift ;;
	--ivshmem-size) size=$2; shift ;;
	--ivshmem-file) shm=$2; shift ;;
	--keep) keep=1 ;;
	--append) append=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--log) log=$2; shift ;;
	--smp) smp=$2; shift ;;
	--nics) nics=$2; shift ;;
	--bridge) bridge=1 ;;
	--arch) arch=$2; shift ;;
	--results) results=$2; shift ;;
	--mem) mem=$2; shift ;;
	*) echo "run-vm.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
[ -n "$log" ] || log=$(mktemp "/tmp/vm-$name.XXXXXX.log")
[ -n "$shm" ] || shm="/dev/shm/vfiomap-$name-$$"

size_bytes=$(numfmt --from=iec "$size")
if [ -z "$mem" ]; then
	mem=$(( (size_bytes >> 20) + 768 ))M
fi
rm -f "$shm"
truncate -s "$size" "$shm"

console=ttyS0
[ "$arch" = arm64 ] && console=ttyAMA0
cmdline="console=$console panic=-1 vmtest.machine=$machine vmtest.kernel=$variant"
[ -n "$run" ] && cmdline="$cmdline vmtest.run=$run"
case $arch in
x86_64)
	qemu=(qemu-system-x86_64 -nographic -no-reboot -cpu max -m "$mem" -smp "$smp"
	      -kernel "$kernel" -initrd "$initrd") ;;
arm64)
	[ "$machine" = noiommu ] || { echo "run-vm.sh: arm64: no-IOMMU only" >&2; exit 2; }
	qemu=(qemu-system-aarch64 -nographic -no-reboot -machine virt -cpu cortex-a57
	      -m "$mem" -smp "$smp" -kernel "$kernel" -initrd "$initrd") ;;
*) echo "unknown arch $arch" >&2; exit 2 ;;
esac
case $machine in
noiommu)
	[ "$arch" = x86_64 ] && qemu+=(-machine pc)
	cmdline="$cmdline vfio.enable_unsafe_noiommu_mode=1" ;;
iommu)
	qemu+=(-machine q35,kernel-irqchip=split -device intel-iommu,intremap=on)
	cmdline="$cmdline intel_iommu=on" ;;
*) echo "unknown machine $machine" >&2; exit 2 ;;
esac
# extra QEMU arguments, e.g. "-icount shift=0" for clock-free figures
[ -n "${VMTEST_QEMU_EXTRA:-}" ] && read -r -a extra <<<"$VMTEST_QEMU_EXTRA" && qemu+=("${extra[@]}")
qemu+=(-object "memory-backend-file,id=hostmem,size=$size,mem-path=$shm,share=on,prealloc=on")
ivshmem=ivshmem-plain,memdev=hostmem
if [ $bridge -eq 1 ]; then
	case $machine in
	noiommu) qemu+=(-device pci-bridge,id=br0,chassis_nr=1) ;;
	iommu) qemu+=(-device pcie-root-port,id=br0,chassis=1) ;;
	esac
	ivshmem=$ivshmem,bus=br0,addr=0
fi
qemu+=(-device "$ivshmem")
[ "$arch" = x86_64 ] && qemu+=(-device edu)
# --nics N: N e1000 on one hub, so that what one sends the others receive
for ((i = 0; i < nics; i++)); do
	qemu+=(-netdev "hubport,id=nic$i,hubid=0" -device "e1000,netdev=nic$i")
done
qemu+=(-append "$cmdline $append")

start=$SECONDS
if [ ! -r "$kernel" ] || [ ! -r "$initrd" ]; then
	echo "missing kernel or initrd ($kernel, $initrd)" > "$log"
	rc=1
else
	timeout --kill-after=10 "$timeout" "${qemu[@]}" < /dev/null > "$log" 2>&1
	rc=$?
	# A kernel that crashed inside start_kernel() (its trace says so:
	# before rest_init(), so before any initcall, any driver and ours
	# included) is booted once more, and the first console is kept and
	# named.  Seen once under TCG on a loaded host: an interrupt during
	# setup_IO_APIC() oopsed in io_apic_modify_irq().  A crash anywhere
	# later, or a second one, fails as any boot failure does.
	if ! grep -q 'Run /init as init process' "$log" &&
	   grep -qE '^BUG: |Oops: ' "$log" && grep -q ' start_kernel+0x' "$log" &&
	   ! grep -qE ' (kernel_init|do_initcalls|do_one_initcall)\+0x' "$log"; then
		mv "$log" "$log.boot1"
		echo "run-vm: $name: the kernel crashed before /init ($(grep -m1 -E '^BUG: |Oops: |Kernel panic' "$log.boot1")); booting once more (first console: $log.boot1)"
		timeout --kill-after=10 "$timeout" "${qemu[@]}" < /dev/null > "$log" 2>&1
		rc=$?
	fi
fi
secs=$((SECONDS - start))

python3 "$here/judge.py" --name "$name" --log "$log" --shm "$shm" \
	--qemu-rc "$rc" --seconds "$secs" ${results:+--results "$results"}
verdict=$?
[ $keep -eq 1 ] || rm -f "$shm"
exit $verdict
