// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * wc-bar-map: write-combined doorbell-style writes through an mmap cookie.
 *
 * The file a userspace driver author copies from.  It opens a PCI device
 * bound to vfio-pci, prints its regions, maps part of a prefetchable BAR
 * write-combining (through a cookie) and another part uncached (through
 * the region's own offset), then does what a NIC driver does with a
 * low-latency queue: fill a descriptor through the WC mapping, fence, ring
 * a doorbell through the uncached mapping.
 *
 *   wc-bar-map [BDF [BAR]]      default: the first ivshmem device, BAR 2
 *
 * Build against an installed library:
 *   cc wc-bar-map.c $(pkg-config --cflags --libs libvfiomap)
 * and for device names from libpci:
 *   cc -DHAVE_LIBPCI wc-bar-map.c $(pkg-config --cflags --libs libvfiomap libpci)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvfiomap/libvfiomap.h>

#include "example-util.h"

#define WC_OFFSET	0x10000		/* descriptor ring: write-combined */
#define WC_SIZE		0x10000
#define UC_OFFSET	0x0		/* registers / doorbell: uncached */
#define UC_SIZE		0x1000
#define MESSAGE		"hello from a write-combined libvfiomap cookie!"

/*
 * Write-combining buffers stores in the CPU and sends them to the device
 * later, in any order and merged into larger bursts.  That is what makes
 * it fast, and why a driver must fence before telling the device to look:
 * on x86 an sfence drains the WC buffers; other architectures need their
 * equivalent (a DPDK driver uses rte_wmb()/rte_io_wmb()).
 */
static inline void wc_flush(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__asm__ __volatile__("sfence" ::: "memory");
#elif defined(__aarch64__)
	__asm__ __volatile__("dmb oshst" ::: "memory");
#else
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
}

int main(int argc, char **argv)
{
	struct vfiomap_device *dev = NULL;
	struct vfiomap_mapping *wc = NULL, *uc = NULL;
	const struct vfiomap_map_opts wc_opts = { .size = sizeof(wc_opts), .attrs = VFIOMAP_ATTR_WC };
	const struct vfiomap_region *bar;
	char bdf[32], name[256];
	uint32_t index = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 0) : 2;
	int ret;

	if (argc > 1)
		snprintf(bdf, sizeof(bdf), "%s", argv[1]);
	else if (example_find_device(0x1af4, 0x1110, bdf)) {
		fprintf(stderr, "no ivshmem device (1af4:1110) found; pass a BDF\n");
		return 1;
	}

	/* 1. Open: cdev, group or no-IOMMU, whichever the machine offers. */
	ret = vfiomap_device_open(bdf, NULL, &dev);
	if (ret) {
		fprintf(stderr, "open %s: %s\n", bdf, vfiomap_last_error());
		return 1;
	}
	example_device_name(dev, name, sizeof(name));
	printf("device %s: %s (opened as %s)\n", bdf, name,
	       vfiomap_mode_name(vfiomap_device_mode(dev)));
	example_print_regions(dev);

	/* 2. Region info is cached: the offset is stable and costs nothing. */
	ret = vfiomap_region_get(dev, index, &bar);
	if (ret) {
		fprintf(stderr, "region %u: %s\n", index, vfiomap_last_error());
		goto out;
	}
	if (bar->size < WC_OFFSET + WC_SIZE) {
		fprintf(stderr, "BAR %u is too small for this example\n", index);
		ret = -EINVAL;
		goto out;
	}
	printf("cookies: %s; BAR %u accepts attrs 0x%x\n",
	       vfiomap_cookie_supported(dev) == 1 ? "supported" : "NOT supported",
	       index, bar->has_mmap_attrs ? bar->mmap_attrs : 0);

	/*
	 * 3. The WC range: vfiomap_map() with VFIOMAP_ATTR_WC creates a
	 * cookie for [WC_OFFSET, WC_OFFSET + WC_SIZE) and maps it at an address
	 * aligned for huge pages.  On a kernel without the cookie uAPI this
	 * fails with -EOPNOTSUPP (or, if you opened with
	 * VFIOMAP_OPEN_WC_SYSFS_FALLBACK, maps sysfs resourceN_wc instead).
	 */
	ret = vfiomap_map(dev, index, WC_OFFSET, WC_SIZE, &wc_opts, &wc);
	if (ret) {
		fprintf(stderr, "WC map: %s\n", vfiomap_last_error());
		goto out;
	}
	/* 4. The uncached range: the region's own offset, as always. */
	ret = vfiomap_map(dev, index, UC_OFFSET, UC_SIZE, NULL, &uc);
	if (ret) {
		fprintf(stderr, "UC map: %s\n", vfiomap_last_error());
		goto out;
	}
	printf("WC cookie 0x%" PRIx64 " mapped at %p (BAR%u+0x%x, 0x%x bytes)\n",
	       vfiomap_mapping_cookie(wc), vfiomap_mapping_addr(wc), index,
	       WC_OFFSET, WC_SIZE);
	printf("UC region offset 0x%" PRIx64 " mapped at %p\n", bar->offset + UC_OFFSET,
	       vfiomap_mapping_addr(uc));

	/*
	 * 5. Doorbell pattern.  Fill the "descriptor" with plain stores
	 * through the WC mapping (they may be merged and reordered), fence,
	 * then ring the doorbell with one uncached 32-bit store.
	 */
	volatile uint8_t *ring = vfiomap_mapping_addr(wc);
	volatile uint32_t *doorbell = vfiomap_mapping_addr(uc);
	const char msg[] = MESSAGE;

	for (size_t i = 0; i < sizeof(msg); i++)
		ring[i] = (uint8_t)msg[i];
	wc_flush();		/* descriptor visible before the doorbell */
	doorbell[0] = (uint32_t)sizeof(msg);

	printf("wrote %zu bytes through the WC mapping, doorbell = %u\n", sizeof(msg),
	       doorbell[0]);

	/* 6. What the kernel made of it: the PAT memory types (x86, debugfs). */
	example_print_memtypes(bdf, index);

out:
	/* 7. Unmap (destroys the cookie), close. */
	vfiomap_unmap(wc);
	vfiomap_unmap(uc);
	vfiomap_device_close(dev);
	return ret ? 1 : 0;
}
