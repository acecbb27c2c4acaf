// SPDX-License-Identifier: LGPL-2.1-or-later
/* Pure alignment and range helpers. */
#include <errno.h>
#include <stdatomic.h>
#include <unistd.h>

#include "internal.h"

static _Atomic uint64_t page_size;

uint64_t vfm__page_size(void)
{
	uint64_t p = atomic_load_explicit(&page_size, memory_order_relaxed);

	if (!p) {
		long v = sysconf(_SC_PAGESIZE);

		p = v > 0 ? (uint64_t)v : 4096;
		atomic_store_explicit(&page_size, p, memory_order_relaxed);
	}
	return p;
}

void vfm__set_page_size(uint64_t size)
{
	atomic_store_explicit(&page_size, size, memory_order_relaxed);
}

/* Up to a page multiple (saturating at the last page). */
uint64_t vfm__page_round_up(uint64_t v)
{
	uint64_t p = vfm__page_size();

	return v > UINT64_MAX - (p - 1) ? UINT64_MAX & ~(p - 1) : (v + p - 1) & ~(p - 1);
}

bool vfm__is_page_aligned(uint64_t v)
{
	return (v & (vfm__page_size() - 1)) == 0;
}

/* Largest power of two dividing v (2^63 for v == 0). */
uint64_t vfm__ctz_align(uint64_t v)
{
	return v ? v & -v : 1ULL << 63;
}

/*
 * [offset, offset + size) inside [0, limit)?  0, -EINVAL (zero size),
 * -EOVERFLOW (wraps) or -ERANGE (past the limit).
 */
int vfm__check_range(uint64_t offset, uint64_t size, uint64_t limit)
{
	if (!size)
		return -EINVAL;
	if (offset + size < offset)
		return -EOVERFLOW;
	if (offset + size > limit)
		return -ERANGE;
	return 0;
}

/* Index of the area holding [offset, offset + size), or -ERANGE. */
int vfm__area_containing(const struct vfiomap_area *areas, uint32_t n,
			    uint64_t offset, uint64_t size)
{
	for (uint32_t i = 0; i < n; i++) {
		uint64_t end = areas[i].offset + areas[i].size;

		if (offset >= areas[i].offset && offset + size >= offset &&
		    offset + size <= end)
			return (int)i;
	}
	return -ERANGE;
}

VFIOMAP_EXPORT uint64_t vfiomap_huge_align(uint64_t size, uint64_t offset)
{
	uint64_t a = vfm__ctz_align(size);
	uint64_t o = vfm__ctz_align(offset);

	if (a > VFM_GIB)
		a = VFM_GIB;
	if (o < a)
		a = o;
	if (a < vfm__page_size())
		a = vfm__page_size();
	return a;
}
