// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * lookup-count: the work of a region lookup, for an instruction count
 * under callgrind (bench/count-lookup.sh) instead of a time under TCG.
 * Host-side: the library is linked without lib/ioctl.c and runs against
 * the fake VFIO kernel of tests/unit/fake_vfio.c (ivshmem, 1af4:1110).
 * BAR2 carries the mmap-attrs capability a patched kernel reports, so the
 * first lookup fetches and parses a capability chain as it does there.
 *
 *   cached_loop()     N calls of vfiomap_region_get(dev, 2) on a warm cache
 *   uncached_lookup() the first vfiomap_region_get(dev, 2) of a fresh device
 *                     (device info and the config-region offset already
 *                     known: only the region's own work), called N times
 *
 * Per-call counts are the inclusive Ir of these functions divided by N.
 * vfm__ioctl() is the fake kernel here; the script subtracts its cost so
 * the uncached figure is the library's side only (the real kernel's work
 * in each ioctl is not counted in any case: callgrind sees no kernel).
 *
 *   lookup-count [N]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_vfio.h"
#include "uapi/vfio_mmap_cookie.h"
#include "testing.h"

#define BAR 2

static void fail(const char *what)
{
	fprintf(stderr, "lookup-count: %s\n", what);
	exit(1);
}

__attribute__((noinline)) void cached_loop(struct vfiomap_device *dev, long n)
{
	const struct vfiomap_region *r;

	for (long i = 0; i < n; i++) {
		if (vfiomap_region_get(dev, BAR, &r))
			fail("cached lookup failed");
		__asm__ volatile("" : : "r"(r) : "memory");
	}
}

__attribute__((noinline)) void uncached_lookup(struct vfiomap_device *dev)
{
	const struct vfiomap_region *r;

	if (vfiomap_region_get(dev, BAR, &r) || !r->has_mmap_attrs)
		fail("uncached lookup failed");
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 0) : 100000;
	struct vfio_region_info_cap_mmap_attrs cap = {
		.header = { .id = VFIO_REGION_INFO_CAP_MMAP_ATTRS, .version = 1 },
		.attrs = VFIO_MMAP_ATTR_WC,
	};
	const struct vfiomap_region *r;
	struct vfiomap_device *dev;
	uint64_t ioctls = 0, before;

	if (n <= 0)
		fail("N must be positive");
	fake_reset();
	memcpy(fake.regions[BAR].caps, &cap, sizeof(cap));
	fake.regions[BAR].caps_len = sizeof(cap);

	/* (a) cached: one device, warmed by its first lookup */
	dev = fake_adopt();
	if (vfiomap_region_get(dev, BAR, &r))
		fail("first lookup failed");
	before = vfiomap_device_ioctl_count(dev);
	cached_loop(dev, n);
	if (vfiomap_device_ioctl_count(dev) != before)
		fail("the cached lookup made an ioctl");
	vfiomap_device_close(dev);

	/* (b) uncached: a fresh device each time */
	for (long i = 0; i < n; i++) {
		dev = fake_adopt();
		/* device info and the config offset (region 0's classification) */
		if (vfiomap_region_get(dev, 0, &r))
			fail("warm-up lookup failed");
		before = vfiomap_device_ioctl_count(dev);
		uncached_lookup(dev);
		ioctls += vfiomap_device_ioctl_count(dev) - before;
		vfiomap_device_close(dev);
	}
	printf("calls %ld\n", n);
	printf("cached ioctls/call 0\n");
	printf("uncached ioctls/call %.2f\n", (double)ioctls / (double)n);
	return 0;
}
