// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * dpdk-wc-probe: a DPDK PCI driver that asks EAL for write-combining.
 *
 * The driver registers for ivshmem (1af4:1110) with
 * RTE_PCI_DRV_NEED_MAPPING | RTE_PCI_DRV_WC_ACTIVATE, as net/ena, net/ionic
 * and raw/ntb do for their prefetchable BARs.  EAL probes it through
 * vfio-pci and maps the BARs; the probe reports what memory type the BAR
 * mapping got (x86: the PAT reservation list and the page table entry),
 * and can write a byte pattern through it.  With DPDK's bus/pci patched
 * to use libvfiomap (consumers/dpdk/) and a kernel with mmap cookies, the
 * BAR is write-combining; without either it is uncached, as DPDK has
 * always mapped BARs through vfio-pci.
 *
 *   dpdk-wc-probe [EAL options] -- [--bar N] [--no-wc] [--touch]
 *                 [--write OFFSET BYTE] [--hold FILE]
 *
 * --no-wc registers the driver without RTE_PCI_DRV_WC_ACTIVATE; --write
 * stores 64 bytes of BYTE at OFFSET of the BAR (then a store fence);
 * --touch reads every page of the BAR once and reports the page faults
 * that took and the time (with rte_eal_init()'s time: EAL probe cost);
 * --hold waits, after the probe, until FILE exists (a primary process
 * that a secondary process attaches to meanwhile: --proc-type secondary).
 *
 * Prints one line per probed device:
 *   probe 0000:00:04.0 BAR2 va 0x... phys 0x... pat write-combining
 *     pte PWT type wc
 * ("type" is wc, uc or unknown: from the page table entry where the page
 * table dump is readable, else from the PAT list).  Exit status: 0 when a
 * device was probed and mapped, 1 otherwise.
 *
 * rte_pci_register() is an internal DPDK API that drivers use; an
 * application that brings its own driver needs ALLOW_INTERNAL_API and
 * the driver SDK headers (DPDK built with -Denable_driver_sdk=true).
 */
#define ALLOW_INTERNAL_API

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <rte_atomic.h>
#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_pci.h>
#include <bus_pci_driver.h>

static struct {
	unsigned int bar;
	bool no_wc;
	bool write;
	bool touch;
	uint64_t offset;
	uint8_t byte;
	const char *hold;
	int probed;
} opt = { .bar = 2 };

/* The PAT list's type for [start, end), "none" if no entry covers it. */
static void pat_type(uint64_t start, uint64_t end, char *type, size_t len)
{
	FILE *f = fopen("/sys/kernel/debug/x86/pat_memtype_list", "r");
	unsigned long long a, b;
	char line[256], t[64];

	snprintf(type, len, "%s", f ? "none" : "unreadable");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "PAT: [mem 0x%llx-0x%llx] %63s", &a, &b, t) == 3 &&
		    a < end && b > start)
			snprintf(type, len, "%s", t);
	}
	fclose(f);
}

/*
 * The cache bits of the page table entry that maps @va (PTDUMP_DEBUGFS, or
 * the page table dump module of libvfiomap's VM tests, tests/vm/ptdump):
 * "PWT" (write-combining under Linux's PAT layout), "PCD" (uncached-minus),
 * "PCD PWT" (uncached), "-" (write-back), or "" if unreadable.
 */
static void pte_bits(const void *va, char *bits, size_t len)
{
	FILE *f = fopen("/sys/kernel/debug/page_tables/current_kernel", "r");
	unsigned long long a, b, v = (uintptr_t)va;
	char line[512];

	/* a kernel without PTDUMP_DEBUGFS (Debian's): libvfiomap's test helper */
	if (!f)
		f = fopen("/sys/kernel/debug/vfiomap_ptdump/current", "r");
	bits[0] = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		bool pcd, pwt;

		if (sscanf(line, "0x%llx-0x%llx", &a, &b) != 2 || v < a || v >= b)
			continue;
		pcd = strstr(line, " PCD ") != NULL;
		pwt = strstr(line, " PWT ") != NULL;
		snprintf(bits, len, "%s", pcd && pwt ? "PCD PWT" : pcd ? "PCD" : pwt ? "PWT" : "-");
		break;
	}
	fclose(f);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int probe(struct rte_pci_driver *drv, struct rte_pci_device *dev)
{
	const struct rte_mem_resource *res = &dev->mem_resource[opt.bar];
	char name[PCI_PRI_STR_SIZE], pat[64], pte[16];
	volatile uint64_t *p;
	const char *type;

	(void)drv;
	rte_pci_device_name(&dev->addr, name, sizeof(name));
	if (opt.bar >= PCI_MAX_RESOURCE || !res->addr || !res->len) {
		printf("probe %s BAR%u not mapped\n", name, opt.bar);
		return -ENODEV;
	}
	if (opt.write && (opt.offset % 8 || opt.offset + 64 > res->len)) {
		printf("probe %s BAR%u: offset 0x%" PRIx64 " outside or unaligned\n",
		       name, opt.bar, opt.offset);
		return -EINVAL;
	}
	/* touch the page, so that its page table entry exists */
	p = (volatile uint64_t *)((uint8_t *)res->addr + opt.offset);
	(void)*p;
	pat_type(res->phys_addr + opt.offset, res->phys_addr + opt.offset + 4096,
		 pat, sizeof(pat));
	pte_bits((const void *)p, pte, sizeof(pte));
	if (pte[0])
		type = !strcmp(pte, "PWT") ? "wc" : !strcmp(pte, "-") ? "wb" : "uc";
	else
		type = !strcmp(pat, "write-combining") ? "wc" :
		       !strncmp(pat, "uncached", 8) ? "uc" : "unknown";
	if (opt.write) {
		uint64_t v;

		memset(&v, opt.byte, sizeof(v));
		for (int i = 0; i < 8; i++)
			p[i] = v;
		rte_wmb();	/* drain write-combining buffers */
	}
	printf("probe %s BAR%u va %p phys 0x%" PRIx64 " len 0x%" PRIx64
	       " pat %s pte %s type %s%s\n", name, opt.bar, res->addr,
	       res->phys_addr, res->len, pat, pte[0] ? pte : "unreadable", type,
	       opt.write ? " wrote" : "");
	if (opt.touch) {
		const volatile uint8_t *b = res->addr;
		struct rusage r0, r1;
		double t0 = now_ms();

		getrusage(RUSAGE_SELF, &r0);
		for (uint64_t off = 0; off < res->len; off += 4096)
			(void)*(const volatile uint32_t *)(b + off);
		getrusage(RUSAGE_SELF, &r1);
		printf("touch %s BAR%u 0x%" PRIx64 " bytes: %ld faults, %.2f ms\n", name,
		       opt.bar, res->len, (r1.ru_minflt + r1.ru_majflt) -
		       (r0.ru_minflt + r0.ru_majflt), now_ms() - t0);
	}
	fflush(stdout);
	opt.probed++;
	return 0;
}

static int remove_dev(struct rte_pci_device *dev)
{
	(void)dev;
	return 0;
}

static const struct rte_pci_id ivshmem_ids[] = {
	{ RTE_PCI_DEVICE(0x1af4, 0x1110) },
	{ .vendor_id = 0 },
};

static struct rte_pci_driver wc_probe_driver = {
	.driver = { .name = "net_wc_probe" },
	.id_table = ivshmem_ids,
	.drv_flags = RTE_PCI_DRV_NEED_MAPPING | RTE_PCI_DRV_WC_ACTIVATE,
	.probe = probe,
	.remove = remove_dev,
};

static int parse_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--bar") && i + 1 < argc) {
			opt.bar = (unsigned int)strtoul(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--no-wc")) {
			opt.no_wc = true;
		} else if (!strcmp(argv[i], "--write") && i + 2 < argc) {
			opt.write = true;
			opt.offset = strtoull(argv[++i], NULL, 0);
			opt.byte = (uint8_t)strtoul(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--touch")) {
			opt.touch = true;
		} else if (!strcmp(argv[i], "--hold") && i + 1 < argc) {
			opt.hold = argv[++i];
		} else {
			fprintf(stderr, "dpdk-wc-probe: unknown argument '%s'\n", argv[i]);
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	double t0;
	int n, rc;

	/* before rte_eal_init(), which probes: as RTE_PMD_REGISTER_PCI() does */
	for (n = 1; n < argc && strcmp(argv[n], "--"); n++)
		;
	if (n < argc && parse_args(argc - n, argv + n))
		return 2;
	if (opt.no_wc)
		wc_probe_driver.drv_flags &= ~RTE_PCI_DRV_WC_ACTIVATE;
	rte_pci_register(&wc_probe_driver);

	t0 = now_ms();
	if (rte_eal_init(n, argv) < 0) {
		fprintf(stderr, "dpdk-wc-probe: rte_eal_init: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	if (opt.touch)
		printf("eal-init %.2f ms\n", now_ms() - t0);
	rc = opt.probed ? 0 : 1;
	if (!opt.probed)
		printf("probe: no device probed\n");
	while (opt.hold && access(opt.hold, F_OK))
		usleep(10000);
	rte_eal_cleanup();
	return rc;
}
