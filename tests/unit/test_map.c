// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Region lookups, mapping, cookies and close against the fake VFIO kernel
 * (tests/unit/fake_vfio.c): the map paths run for real on a memfd.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fake_vfio.h"
#include "ck_run.h"

/* Permissions of the mapping holding @p in /proc/self/maps ("" if none). */
static const char *perms_at(const void *p)
{
	static char perms[8];
	char line[512];
	FILE *f = fopen("/proc/self/maps", "re");
	unsigned long lo, hi;

	perms[0] = 0;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3 &&
		    (uintptr_t)p >= lo && (uintptr_t)p < hi)
			break;
		else
			perms[0] = 0;
	if (f)
		fclose(f);
	return perms;
}

/* The inaccessible (---p) areas of the process, [lo, hi) pairs. */
struct none_areas {
	unsigned long (*a)[2];
	size_t n;
};

static void none_areas(struct none_areas *s)
{
	char line[512], perms[8];
	FILE *f = fopen("/proc/self/maps", "re");
	unsigned long lo, hi;
	size_t cap = 0;

	ck_assert_ptr_nonnull(f);
	s->a = NULL;
	s->n = 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) != 3 || strcmp(perms, "---p"))
			continue;
		if (s->n == cap) {
			cap = cap ? 2 * cap : 256;
			s->a = realloc(s->a, cap * sizeof(*s->a));
			ck_assert_ptr_nonnull(s->a);
		}
		s->a[s->n][0] = lo;
		s->a[s->n][1] = hi;
		s->n++;
	}
	fclose(f);
}

/*
 * A ---p area overlapping [addr - align, addr + size + align) that is not
 * one of @before: what an untrimmed reservation of the mapping at @addr
 * leaves (the library reserves size + align bytes, then unmaps the
 * unaligned head and the tail).  Only that window is looked at, and only
 * areas the snapshot does not have, so this works the same under
 * AddressSanitizer, whose own PROT_NONE space (elsewhere) changes as the
 * test allocates.  Returns the area's start (its end in *@end), or 0.
 */
static unsigned long leftover_near(const struct none_areas *before, const void *addr,
				   uint64_t size, uint64_t align, unsigned long *end)
{
	uintptr_t wlo = (uintptr_t)addr - align, whi = (uintptr_t)addr + size + align;
	unsigned long found = 0;
	struct none_areas now;

	none_areas(&now);
	for (size_t i = 0; i < now.n && !found; i++) {
		bool old = false;

		if (now.a[i][1] <= wlo || now.a[i][0] >= whi)
			continue;
		for (size_t j = 0; j < before->n && !old; j++)
			old = before->a[j][0] == now.a[i][0] && before->a[j][1] == now.a[i][1];
		if (!old) {
			found = now.a[i][0];
			*end = now.a[i][1];
		}
	}
	free(now.a);
	return found;
}

/* Nothing inaccessible appeared around the mapping @p (@size, @align). */
#define ck_assert_no_leftover(before, p, size, align) do {				\
	unsigned long _end = 0, _lo = leftover_near(before, p, size, align, &_end);	\
											\
	ck_assert_msg(!_lo, "PROT_NONE 0x%lx-0x%lx left around the mapping %p+0x%llx",	\
		      _lo, _end, (void *)(p), (unsigned long long)(size));		\
} while (0)

static void setup(void)
{
	fake_reset();
	vfm__set_page_size(0);
}

START_TEST(region_info_cached)
{
	struct vfiomap_device *dev = fake_adopt();
	const struct vfiomap_region *r, *r2;
	uint64_t before;

	ck_assert_int_eq(vfiomap_region_get(dev, 2, &r), 0);
	ck_assert_uint_eq(r->offset, 2ULL << FAKE_REGION_SHIFT);
	ck_assert_uint_eq(r->size, 2 << 20);
	before = vfiomap_device_ioctl_count(dev);
	ck_assert_int_eq(vfiomap_region_get(dev, 2, &r2), 0);
	ck_assert_ptr_eq(r, r2);
	ck_assert_uint_eq(vfiomap_device_ioctl_count(dev), before);
	ck_assert_int_eq(vfiomap_region_get(dev, 99, &r2), -EINVAL);
	vfiomap_device_close(dev);
}
END_TEST

START_TEST(map_region_reaches_the_device)
{
	struct vfiomap_device *dev = fake_adopt();
	struct vfiomap_mapping *m;
	volatile uint32_t *p;
	uint32_t v = 0;

	ck_assert_int_eq(vfiomap_map_region(dev, 2, 0, &m), 0);
	p = vfiomap_mapping_addr(m);
	ck_assert_uint_eq(vfiomap_mapping_size(m), 2 << 20);
	ck_assert_uint_eq((uintptr_t)p % (2 << 20), 0);		/* huge-aligned */
	ck_assert_uint_eq(vfiomap_mapping_cookie(m), 0);
	p[0x1000 / 4] = 0xc0ffee;
	ck_assert_int_eq(fake_pread(2, 0x1000, &v, 4), 0);
	ck_assert_uint_eq(v, 0xc0ffee);
	ck_assert_int_eq(vfiomap_unmap(m), 0);
	ck_assert_str_eq(perms_at((const void *)p), "");
	vfiomap_device_close(dev);
}
END_TEST

START_TEST(map_range_through_a_cookie)
{
	struct vfiomap_device *dev = fake_adopt();
	struct vfiomap_mapping *m;
	volatile uint8_t *p;
	uint8_t b = 0;

	ck_assert_int_eq(vfiomap_map_range(dev, 2, 0x10000, 0x10000, VFIOMAP_ATTR_WC, 0, &m), 0);
	ck_assert_uint_eq(fake.nr_cookies, 1);
	ck_assert_uint_eq(fake.cookies[0].region, 2);
	ck_assert_uint_eq(fake.cookies[0].offset, 0x10000);
	ck_assert_uint_eq(fake.cookies[0].size, 0x10000);
	ck_assert_uint_eq(fake.cookies[0].attrs, VFIO_MMAP_ATTR_WC);
	ck_assert_uint_eq(vfiomap_mapping_cookie(m), fake.cookies[0].cookie);
	p = vfiomap_mapping_addr(m);
	ck_assert_uint_eq((uintptr_t)p % 0x10000, 0);
	p[5] = 0x5a;
	ck_assert_int_eq(pread(fake.memfd, &b, 1, (off_t)fake.cookies[0].cookie + 5), 1);
	ck_assert_uint_eq(b, 0x5a);
	ck_assert_int_eq(vfiomap_unmap(m), 0);
	ck_assert_uint_eq(fake.nr_cookies, 0);		/* the cookie went with it */
	vfiomap_device_close(dev);
}
END_TEST

START_TEST(close_unmaps_and_destroys_leftovers)
{
	struct vfiomap_device *dev = fake_adopt();
	struct vfiomap_mapping *m[3];
	void *addr[3];
	uint64_t c;

	ck_assert_int_eq(vfiomap_map_region(dev, 0, 0, &m[0]), 0);
	ck_assert_int_eq(vfiomap_map_range(dev, 2, 0, 0x1000, 0, 0, &m[1]), 0);
	ck_assert_int_eq(vfiomap_map_range(dev, 2, 0x2000, 0x2000, VFIOMAP_ATTR_WC, 0, &m[2]), 0);
	ck_assert_int_eq(vfiomap_cookie_create(dev, 2, 0x4000, 0x1000, 0, &c), 0);
	ck_assert_uint_eq(fake.nr_cookies, 2);
	for (int i = 0; i < 3; i++) {
		addr[i] = vfiomap_mapping_addr(m[i]);
		ck_assert_str_eq(perms_at(addr[i]), "rw-s");
	}
	vfiomap_device_close(dev);
	ck_assert_uint_eq(fake.nr_cookies, 0);
	for (int i = 0; i < 3; i++)
		ck_assert_str_eq(perms_at(addr[i]), "");
}
END_TEST

/* Many mappings, unmapped out of order, then the rest by close. */
START_TEST(many_mappings_any_order)
{
	struct vfiomap_device *dev = fake_adopt();
	struct vfiomap_mapping *m[64];
	void *addr[64];

	for (int i = 0; i < 64; i++) {
		ck_assert_int_eq(vfiomap_map_range(dev, 2, (uint64_t)i << 12, 0x1000, 0, 0, &m[i]), 0);
		addr[i] = vfiomap_mapping_addr(m[i]);
	}
	for (int i = 0; i < 64; i += 3)		/* first, middle and last of the list */
		ck_assert_int_eq(vfiomap_unmap(m[i]), 0);
	for (int i = 0; i < 64; i++)
		ck_assert_str_eq(perms_at(addr[i]), i % 3 ? "rw-s" : "");
	vfiomap_device_close(dev);
	for (int i = 0; i < 64; i++)
		ck_assert_str_eq(perms_at(addr[i]), "");
}
END_TEST

/* The over-sized reservation is trimmed to the mapping: nothing is left. */
START_TEST(reservation_trimmed)
{
	struct vfiomap_device *dev = fake_adopt();
	struct vfiomap_mapping *m;
	struct none_areas before;
	void *p, *q;

	none_areas(&before);
	ck_assert_uint_eq(vfiomap_huge_align(1 << 20, 1 << 20), 1 << 20);
	ck_assert_int_eq(vfiomap_map_range(dev, 2, 1 << 20, 1 << 20, 0, 0, &m), 0);
	p = vfiomap_mapping_addr(m);
	ck_assert_uint_eq((uintptr_t)p % (1 << 20), 0);
	ck_assert_no_leftover(&before, p, 1 << 20, 1 << 20);
	ck_assert_int_eq(vfiomap_unmap(m), 0);
	ck_assert_no_leftover(&before, p, 1 << 20, 1 << 20);
	/* BAR0: 16 KiB, 16 KiB aligned */
	ck_assert_int_eq(vfiomap_map_region(dev, 0, 0, &m), 0);
	q = vfiomap_mapping_addr(m);
	ck_assert_uint_eq(vfiomap_mapping_size(m), 16 << 10);
	ck_assert_no_leftover(&before, q, 16 << 10, 16 << 10);
	vfiomap_device_close(dev);
	ck_assert_no_leftover(&before, p, 1 << 20, 1 << 20);
	ck_assert_no_leftover(&before, q, 16 << 10, 16 << 10);
	free(before.a);
}
END_TEST

/*
 * The page size is the system's, asked in one place: pretend 64 KiB (an
 * arm64 kernel) and every check and alignment follows.
 */
START_TEST(page_size_from_the_system)
{
	struct vfiomap_device *dev = fake_adopt();
	struct vfiomap_mapping *m;
	struct none_areas before;
	uint64_t c;
	void *p, *q;

	none_areas(&before);
	ck_assert_uint_eq(vfm__page_size(), (uint64_t)sysconf(_SC_PAGESIZE));
	vfm__set_page_size(64 << 10);
	ck_assert_uint_eq(vfiomap_huge_align(4096, 0), 64 << 10);
	ck_assert_int_eq(vfiomap_map_range(dev, 2, 0x1000, 0x1000, 0, 0, &m), -EINVAL);
	ck_assert_int_eq(vfiomap_cookie_create(dev, 2, 0, 0x1000, 0, &c), -EINVAL);
	ck_assert_int_eq(vfiomap_map_range(dev, 2, 0x10000, 0x10000, 0, 0, &m), 0);
	p = vfiomap_mapping_addr(m);
	ck_assert_uint_eq((uintptr_t)p % (64 << 10), 0);
	ck_assert_no_leftover(&before, p, 64 << 10, 64 << 10);
	ck_assert_int_eq(vfiomap_unmap(m), 0);
	ck_assert_no_leftover(&before, p, 64 << 10, 64 << 10);
	/* BAR0 is 16 KiB: its span is one 64 KiB page */
	ck_assert_int_eq(vfiomap_map_region(dev, 0, 0, &m), 0);
	q = vfiomap_mapping_addr(m);
	ck_assert_uint_eq(vfiomap_mapping_size(m), 64 << 10);
	ck_assert_uint_eq((uintptr_t)q % (64 << 10), 0);
	ck_assert_no_leftover(&before, q, 64 << 10, 64 << 10);
	vfiomap_device_close(dev);
	ck_assert_no_leftover(&before, q, 64 << 10, 64 << 10);
	free(before.a);
}
END_TEST

/* Sparse areas: only they are mapped, the holes stay inaccessible. */
START_TEST(sparse_areas)
{
	static const uint64_t areas[] = { 0, 0x4000, 0x10000, 0x8000 };
	struct vfiomap_device *dev = fake_adopt();
	const struct vfiomap_region *r;
	struct vfiomap_mapping *m;
	uint8_t *p;

	fake_set_sparse(2, 2, areas);
	ck_assert_int_eq(vfiomap_region_get(dev, 2, &r), 0);
	ck_assert_uint_eq(r->nr_sparse, 2);
	ck_assert_int_eq(vfiomap_map_region(dev, 2, 0, &m), 0);
	p = vfiomap_mapping_addr(m);
	ck_assert_str_eq(perms_at(p), "rw-s");
	ck_assert_str_eq(perms_at(p + 0x4000), "---p");		/* hole */
	ck_assert_str_eq(perms_at(p + 0x10000), "rw-s");
	ck_assert_str_eq(perms_at(p + 0x18000), "---p");	/* after the last area */
	ck_assert_int_eq(vfiomap_unmap(m), 0);
	/* a range must lie inside one area */
	ck_assert_int_eq(vfiomap_map_range(dev, 2, 0x10000, 0x8000, 0, 0, &m), 0);
	ck_assert_int_eq(vfiomap_unmap(m), 0);
	ck_assert_int_eq(vfiomap_map_range(dev, 2, 0x2000, 0x4000, 0, 0, &m), -EINVAL);
	vfiomap_device_close(dev);
}
END_TEST

/* A sparse capability with no areas means nothing is mappable (QEMU's reading). */
START_TEST(sparse_without_areas_maps_nothing)
{
	struct vfiomap_device *dev = fake_adopt();
	struct vfiomap_mapping *m = NULL;

	fake_set_sparse(2, 0, NULL);
	ck_assert_int_eq(vfiomap_map_region(dev, 2, 0, &m), -EINVAL);
	ck_assert_ptr_nonnull(strstr(vfiomap_strerror(), "no areas"));
	ck_assert_int_eq(vfiomap_map_range(dev, 2, 0, 0x1000, 0, 0, &m), -EINVAL);
	ck_assert_int_eq(vfiomap_map_range(dev, 2, 0, 0x1000, VFIOMAP_ATTR_WC, 0, &m), -EINVAL);
	ck_assert_ptr_null(m);
	vfiomap_device_close(dev);
}
END_TEST

/* Kinds from the BAR registers; 64-bit BAR2 leaves BAR3 empty. */
START_TEST(region_kinds)
{
	static const struct {
		uint32_t index;
		enum vfiomap_region_kind kind;
		bool prefetchable, mem64;
	} want[] = {
		{ VFIOMAP_REGION_BAR0, VFIOMAP_REGION_KIND_MEMORY, false, false },
		{ VFIOMAP_REGION_BAR1, VFIOMAP_REGION_KIND_NONE, false, false },
		{ VFIOMAP_REGION_BAR2, VFIOMAP_REGION_KIND_MEMORY, true, true },
		{ VFIOMAP_REGION_BAR3, VFIOMAP_REGION_KIND_NONE, false, false },
		{ VFIOMAP_REGION_BAR4, VFIOMAP_REGION_KIND_IO, false, false },
		{ VFIOMAP_REGION_ROM, VFIOMAP_REGION_KIND_ROM, false, false },
		{ VFIOMAP_REGION_CONFIG, VFIOMAP_REGION_KIND_CONFIG, false, false },
		{ VFIOMAP_REGION_VGA, VFIOMAP_REGION_KIND_NONE, false, false },
	};
	struct vfiomap_device *dev = fake_adopt();
	const struct vfiomap_region *r;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ck_assert_int_eq(vfiomap_region_get(dev, want[i].index, &r), 0);
		ck_assert_msg(r->kind == want[i].kind, "region %u: kind %d", want[i].index, r->kind);
		ck_assert_int_eq(r->prefetchable, want[i].prefetchable);
		ck_assert_int_eq(r->mem64, want[i].mem64);
	}
	ck_assert_uint_eq(r->index, VFIO_PCI_VGA_REGION_INDEX);
	vfiomap_device_close(dev);
}
END_TEST

/* WC on a non-prefetchable BAR whose info is cached: refused, no ioctl. */
START_TEST(wc_refused_early_on_non_prefetchable_bar)
{
	struct vfiomap_device *dev = fake_adopt();
	const struct vfiomap_region *r;
	struct vfiomap_mapping *m;
	uint64_t c, before;

	ck_assert_int_eq(vfiomap_region_get(dev, 0, &r), 0);
	before = vfiomap_device_ioctl_count(dev);
	ck_assert_int_eq(vfiomap_cookie_create(dev, 0, 0, 0x1000, VFIOMAP_ATTR_WC, &c), -EOPNOTSUPP);
	ck_assert_str_eq(vfiomap_strerror(),
			 "BAR 0 does not accept write-combining (not prefetchable)");
	ck_assert_int_eq(vfiomap_map_range(dev, 0, 0, 0x1000, VFIOMAP_ATTR_WC, 0, &m), -EOPNOTSUPP);
	ck_assert_str_eq(vfiomap_strerror(),
			 "BAR 0 does not accept write-combining (not prefetchable)");
	ck_assert_uint_eq(vfiomap_device_ioctl_count(dev), before);
	/* an uncached cookie of the same BAR is fine */
	ck_assert_int_eq(vfiomap_cookie_create(dev, 0, 0, 0x1000, 0, &c), 0);
	vfiomap_device_close(dev);
}
END_TEST

/* The protection comes from the region's READ/WRITE flags. */
START_TEST(prot_from_region_flags)
{
	struct vfiomap_device *dev;
	struct vfiomap_map_opts o = { .size = sizeof(o), .prot = PROT_READ | PROT_WRITE };
	struct vfiomap_mapping *m;

	fake.regions[1] = (struct fake_region){ .size = 64 << 10,
		.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_MMAP };
	dev = fake_adopt();
	ck_assert_int_eq(vfiomap_map_region(dev, 1, 0, &m), 0);
	ck_assert_str_eq(perms_at(vfiomap_mapping_addr(m)), "r--s");
	ck_assert_int_eq(vfiomap_unmap(m), 0);
	ck_assert_int_eq(vfiomap_map_range(dev, 1, 0, 0x1000, 0, 0, &m), 0);
	ck_assert_str_eq(perms_at(vfiomap_mapping_addr(m)), "r--s");
	ck_assert_int_eq(vfiomap_unmap(m), 0);
	/* asking for more than the region allows is refused */
	ck_assert_int_eq(vfiomap_map(dev, 1, 0, 0x1000, &o, &m), -EACCES);
	ck_assert_ptr_nonnull(strstr(vfiomap_strerror(), "not writable"));
	/* less is fine: a read-only view of a writable BAR */
	o.prot = PROT_READ;
	ck_assert_int_eq(vfiomap_map(dev, 2, 0, 0x1000, &o, &m), 0);
	ck_assert_str_eq(perms_at(vfiomap_mapping_addr(m)), "r--s");
	vfiomap_device_close(dev);
}
END_TEST

/* MAP_FIXED into a caller's reservation; unmap restores the reservation. */
START_TEST(map_fixed_into_a_reservation)
{
	struct vfiomap_device *dev = fake_adopt();
	struct vfiomap_map_opts o = { .size = sizeof(o), .flags = VFIOMAP_MAP_FIXED };
	struct vfiomap_mapping *m;
	uint8_t *res, *at;
	uint32_t v = 0;

	res = mmap(NULL, 4 << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ck_assert_ptr_ne(res, MAP_FAILED);
	at = res + 0x101000;		/* page aligned, not huge aligned: the caller's choice */
	o.addr = at;
	ck_assert_int_eq(vfiomap_map(dev, 2, 0x10000, 0x10000, &o, &m), 0);
	ck_assert_ptr_eq(vfiomap_mapping_addr(m), at);
	ck_assert_str_eq(perms_at(at), "rw-s");
	ck_assert_str_eq(perms_at(at - 1), "---p");
	*(volatile uint32_t *)(at + 8) = 0xfeed;
	ck_assert_int_eq(fake_pread(2, 0x10008, &v, 4), 0);
	ck_assert_uint_eq(v, 0xfeed);
	ck_assert_int_eq(vfiomap_unmap(m), 0);
	ck_assert_str_eq(perms_at(at), "---p");		/* still reserved */

	/* sparse: holes inside the fixed range are inaccessible too */
	static const uint64_t areas[] = { 0, 0x4000, 0x8000, 0x4000 };

	vfiomap_device_close(dev);
	fake_set_sparse(2, 2, areas);
	dev = fake_adopt();
	ck_assert_int_eq(vfiomap_map(dev, 2, 0, 0x10000, &o, &m), 0);
	ck_assert_uint_eq(vfiomap_mapping_size(m), 0x10000);
	ck_assert_str_eq(perms_at(at), "rw-s");
	ck_assert_str_eq(perms_at(at + 0x4000), "---p");
	ck_assert_str_eq(perms_at(at + 0x8000), "rw-s");
	vfiomap_device_close(dev);
	ck_assert_str_eq(perms_at(at), "---p");
	ck_assert_str_eq(perms_at(at + 0x8000), "---p");

	o.addr = at + 1;
	dev = fake_adopt();
	ck_assert_int_eq(vfiomap_map(dev, 2, 0, 0x1000, &o, &m), -EINVAL);
	o.addr = NULL;
	ck_assert_int_eq(vfiomap_map(dev, 2, 0, 0x1000, &o, &m), -EINVAL);
	vfiomap_device_close(dev);
	munmap(res, 4 << 20);
}
END_TEST

/* A newer, larger options struct is accepted if what we do not know is zero. */
START_TEST(map_opts_size)
{
	struct {
		struct vfiomap_map_opts o;
		uint64_t future[2];
	} big = { .o = { .size = sizeof(big) } };
	struct vfiomap_map_opts small = { .size = offsetof(struct vfiomap_map_opts, prot) };
	struct vfiomap_device *dev = fake_adopt();
	struct vfiomap_mapping *m;

	ck_assert_int_eq(vfiomap_map(dev, 2, 0, 0x1000, &big.o, &m), 0);
	ck_assert_int_eq(vfiomap_unmap(m), 0);
	big.future[1] = 1;
	ck_assert_int_eq(vfiomap_map(dev, 2, 0, 0x1000, &big.o, &m), -EINVAL);
	ck_assert_ptr_nonnull(strstr(vfiomap_strerror(), "unknown non-zero option"));
	ck_assert_int_eq(vfiomap_map(dev, 2, 0, 0x1000, &small, &m), -EINVAL);
	big.future[1] = 0;
	big.o.flags = 1u << 30;
	ck_assert_int_eq(vfiomap_map(dev, 2, 0, 0x1000, &big.o, &m), -EINVAL);
	vfiomap_device_close(dev);
}
END_TEST

/* Getters; size 0 maps to the end of the region. */
START_TEST(mapping_getters)
{
	struct vfiomap_device *dev = fake_adopt();
	struct vfiomap_mapping *m;

	ck_assert_int_eq(vfiomap_map_range(dev, 2, 0x30000, 0x10000, VFIOMAP_ATTR_WC, 0, &m), 0);
	ck_assert_int_eq(vfiomap_mapping_region(m), 2);
	ck_assert_uint_eq(vfiomap_mapping_offset(m), 0x30000);
	ck_assert_uint_eq(vfiomap_mapping_attrs(m), VFIOMAP_ATTR_WC);
	ck_assert_int_eq(vfiomap_unmap(m), 0);
	ck_assert_int_eq(vfiomap_map(dev, 2, 0x100000, 0, NULL, &m), 0);
	ck_assert_uint_eq(vfiomap_mapping_size(m), 0x100000);
	ck_assert_uint_eq(vfiomap_mapping_attrs(m), 0);
	ck_assert_uint_eq(vfiomap_mapping_cookie(m), 0);
	ck_assert_int_eq(vfiomap_mapping_region(NULL), -EINVAL);
	vfiomap_device_close(dev);
}
END_TEST

/* Part of an existing cookie, ours or made through the same file by another. */
START_TEST(map_an_existing_cookie)
{
	struct vfiomap_device *dev = fake_adopt(), *other = fake_adopt();
	struct vfiomap_map_opts o = { .size = sizeof(o), .flags = VFIOMAP_MAP_COOKIE };
	struct vfiomap_mapping *m;
	uint8_t b = 0;

	ck_assert_int_eq(vfiomap_cookie_create(dev, 2, 0x20000, 0x10000, VFIOMAP_ATTR_WC,
					       &o.cookie), 0);
	ck_assert_int_eq(vfiomap_map(dev, 2, 0x28000, 0x8000, &o, &m), 0);
	ck_assert_uint_eq(vfiomap_mapping_cookie(m), o.cookie);
	ck_assert_uint_eq(vfiomap_mapping_attrs(m), VFIOMAP_ATTR_WC);
	ck_assert_uint_eq(vfiomap_mapping_offset(m), 0x28000);
	((volatile uint8_t *)vfiomap_mapping_addr(m))[3] = 0x77;
	ck_assert_int_eq(pread(fake.memfd, &b, 1, (off_t)(o.cookie + 0x8000 + 3)), 1);
	ck_assert_uint_eq(b, 0x77);
	ck_assert_int_eq(vfiomap_unmap(m), 0);
	ck_assert_uint_eq(fake.nr_cookies, 1);		/* not ours to destroy */
	ck_assert_int_eq(vfiomap_map(dev, 2, 0x18000, 0x10000, &o, &m), -ERANGE);
	ck_assert_int_eq(vfiomap_map(dev, 0, 0, 0x1000, &o, &m), -ERANGE);
	/*
	 * A cookie made through the same file by another component (other is
	 * a dup of dev's fd: the same file, as a VMM's fd handed to us is):
	 * mapped after QUERY says what it is (0.3; before, -ENOENT), and not
	 * destroyed with the mapping.  A value that is no live cookie: -ENOENT.
	 */
	ck_assert_int_eq(vfiomap_map(other, 2, 0x20000, 0x1000, &o, &m), 0);
	ck_assert_uint_eq(vfiomap_mapping_attrs(m), VFIOMAP_ATTR_WC);
	ck_assert_uint_eq(vfiomap_mapping_cookie(m), o.cookie);
	ck_assert_int_eq(vfiomap_unmap(m), 0);
	ck_assert_uint_eq(fake.nr_cookies, 1);
	ck_assert_int_eq(vfiomap_map(other, 2, 0x30000, 0x1000, &o, &m), -ERANGE);
	o.cookie += 1ULL << 40;
	ck_assert_int_eq(vfiomap_map(other, 2, 0x20000, 0x1000, &o, &m), -ENOENT);
	ck_assert_ptr_nonnull(strstr(vfiomap_last_error(), "no such live cookie"));
	o.cookie -= 1ULL << 40;
	o.attrs = VFIOMAP_ATTR_WC;
	ck_assert_int_eq(vfiomap_map(dev, 2, 0x20000, 0x1000, &o, &m), -EINVAL);
	vfiomap_device_close(other);
	vfiomap_device_close(dev);
}
END_TEST

/* MADV_DONTFORK: a child does not get the mapping. */
START_TEST(map_dontfork)
{
	struct vfiomap_device *dev = fake_adopt();
	struct vfiomap_map_opts o = { .size = sizeof(o), .flags = VFIOMAP_MAP_DONTFORK };
	struct vfiomap_mapping *m, *plain;
	int status;
	pid_t pid;

	ck_assert_int_eq(vfiomap_map(dev, 2, 0, 0x1000, &o, &m), 0);
	ck_assert_int_eq(vfiomap_map(dev, 2, 0x1000, 0x1000, NULL, &plain), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid)
		_exit(!strcmp(perms_at(vfiomap_mapping_addr(m)), "") &&
		      !strcmp(perms_at(vfiomap_mapping_addr(plain)), "rw-s") ? 0 : 1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	vfiomap_device_close(dev);
}
END_TEST

/*
 * Two devices whose cookies have the same value (here: one fake kernel
 * de-duplicating, as two real devices both start at 0x1000000000000):
 * a handle is checked against its device, a raw value is dropped only by
 * the device that created it, without asking the kernel.
 */
START_TEST(cookie_handles_are_per_device)
{
	struct vfiomap_device *a = fake_adopt(), *b = fake_adopt();
	struct vfiomap_map_opts o = { .size = sizeof(o), .flags = VFIOMAP_MAP_COOKIE };
	struct vfiomap_cookie *ha, *hb;
	struct vfiomap_cookie_info info = { .struct_size = sizeof(info) };
	struct vfiomap_mapping *m = NULL;
	unsigned int before;
	uint64_t raw;

	ck_assert_int_eq(vfiomap_cookie_get(a, 2, 0x10000, 0x2000, VFIOMAP_ATTR_WC, &ha), 0);
	ck_assert_int_eq(vfiomap_cookie_get(b, 2, 0x10000, 0x2000, VFIOMAP_ATTR_WC, &hb), 0);
	ck_assert_uint_eq(vfiomap_cookie_offset(ha), vfiomap_cookie_offset(hb));
	ck_assert_ptr_eq(vfiomap_cookie_device(ha), a);
	ck_assert_uint_eq(fake.nr_cookies, 1);
	ck_assert_uint_eq(fake.cookies[0].refs, 2);
	ck_assert_int_eq(vfiomap_cookie_info(ha, &info), 0);
	ck_assert_uint_eq(info.region, 2);
	ck_assert_uint_eq(info.offset, 0x10000);
	ck_assert_uint_eq(info.size, 0x2000);
	ck_assert_uint_eq(info.attrs, VFIOMAP_ATTR_WC);
	/* a's handle on b: refused */
	o.cookie_handle = ha;
	ck_assert_int_eq(vfiomap_map(b, 2, 0x10000, 0x1000, &o, &m), -EXDEV);
	ck_assert_ptr_null(m);
	ck_assert_int_eq(vfiomap_map(a, 2, 0x11000, 0x1000, &o, &m), 0);
	ck_assert_uint_eq(vfiomap_mapping_cookie(m), vfiomap_cookie_offset(ha));
	ck_assert_uint_eq(vfiomap_mapping_attrs(m), VFIOMAP_ATTR_WC);
	ck_assert_int_eq(vfiomap_unmap(m), 0);
	ck_assert_uint_eq(fake.cookies[0].refs, 2);	/* mapping a handle takes none */
	o.cookie = 1;					/* handle and value: ambiguous */
	ck_assert_int_eq(vfiomap_map(a, 2, 0x10000, 0x1000, &o, &m), -EINVAL);
	/* raw values: only the creating device drops its reference */
	ck_assert_int_eq(vfiomap_cookie_create(a, 2, 0x40000, 0x1000, 0, &raw), 0);
	before = fake.nr_ioctls;
	ck_assert_int_eq(vfiomap_cookie_destroy(b, raw), -ENOENT);
	ck_assert_ptr_nonnull(strstr(vfiomap_strerror(), "another device"));
	/* nor a handle's reference by its value */
	ck_assert_int_eq(vfiomap_cookie_destroy(a, vfiomap_cookie_offset(ha)), -ENOENT);
	ck_assert_uint_eq(fake.nr_ioctls, before);	/* the kernel was not asked */
	ck_assert_uint_eq(fake.nr_cookies, 2);
	ck_assert_int_eq(vfiomap_cookie_destroy(a, raw), 0);
	ck_assert_uint_eq(fake.nr_cookies, 1);
	ck_assert_int_eq(vfiomap_cookie_put(hb), 0);
	ck_assert_uint_eq(fake.cookies[0].refs, 1);
	ck_assert_int_eq(vfiomap_cookie_put(ha), 0);
	ck_assert_uint_eq(fake.nr_cookies, 0);
	ck_assert_int_eq(vfiomap_cookie_put(NULL), 0);
	/* a handle left at close is dropped with the device */
	ck_assert_int_eq(vfiomap_cookie_get(b, 2, 0, 0x1000, 0, &hb), 0);
	vfiomap_device_close(b);
	ck_assert_uint_eq(fake.nr_cookies, 0);
	vfiomap_device_close(a);
}
END_TEST

/* Doorbell pages: identical WC mappings share one cookie, one reference each. */
START_TEST(identical_mappings_share_a_cookie)
{
	struct vfiomap_device *dev = fake_adopt();
	struct vfiomap_mapping *m1, *m2;

	ck_assert_int_eq(vfiomap_map_range(dev, 2, 0x3000, 0x1000, VFIOMAP_ATTR_WC, 0, &m1), 0);
	ck_assert_int_eq(vfiomap_map_range(dev, 2, 0x3000, 0x1000, VFIOMAP_ATTR_WC, 0, &m2), 0);
	ck_assert_uint_eq(vfiomap_mapping_cookie(m1), vfiomap_mapping_cookie(m2));
	ck_assert_uint_eq(fake.nr_cookies, 1);
	ck_assert_uint_eq(fake.cookies[0].refs, 2);
	ck_assert_int_eq(vfiomap_unmap(m1), 0);
	ck_assert_uint_eq(fake.nr_cookies, 1);		/* m2 still holds it */
	((volatile uint8_t *)vfiomap_mapping_addr(m2))[0] = 1;
	ck_assert_int_eq(vfiomap_unmap(m2), 0);
	ck_assert_uint_eq(fake.nr_cookies, 0);
	vfiomap_device_close(dev);
}
END_TEST

/* QUERY: what a cookie value maps, for a device whose cookies someone else made. */
START_TEST(cookie_query)
{
	struct vfiomap_device *vmm = fake_adopt(), *dev = fake_adopt();
	struct vfiomap_cookie_info info;
	uint64_t c;

	ck_assert_int_eq(vfiomap_cookie_create(vmm, 2, 0x8000, 0x4000, VFIOMAP_ATTR_WC, &c), 0);
	memset(&info, 0xff, sizeof(info));
	info.struct_size = sizeof(info);
	ck_assert_int_eq(vfiomap_cookie_query(dev, c, &info), 0);
	ck_assert_uint_eq(info.region, 2);
	ck_assert_uint_eq(info.offset, 0x8000);
	ck_assert_uint_eq(info.size, 0x4000);
	ck_assert_uint_eq(info.attrs, VFIOMAP_ATTR_WC);
	ck_assert_int_eq(vfiomap_cookie_query(dev, c + 0x1000, &info), -ENOENT);
	ck_assert_int_eq(vfiomap_cookie_query(dev, c, NULL), -EINVAL);
	fake.cookie_uapi = false;
	ck_assert_int_eq(vfiomap_cookie_query(dev, c, &info), -EOPNOTSUPP);
	ck_assert_ptr_nonnull(strstr(vfiomap_strerror(), "no mmap-cookie uAPI"));
	fake.cookie_uapi = true;
	vfiomap_device_close(dev);
	vfiomap_device_close(vmm);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("map");
	TCase *tc = tcase_create("fake-kernel");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, region_info_cached);
	tcase_add_test(tc, map_region_reaches_the_device);
	tcase_add_test(tc, map_range_through_a_cookie);
	tcase_add_test(tc, close_unmaps_and_destroys_leftovers);
	tcase_add_test(tc, many_mappings_any_order);
	tcase_add_test(tc, reservation_trimmed);
	tcase_add_test(tc, page_size_from_the_system);
	tcase_add_test(tc, sparse_areas);
	tcase_add_test(tc, sparse_without_areas_maps_nothing);
	tcase_add_test(tc, region_kinds);
	tcase_add_test(tc, wc_refused_early_on_non_prefetchable_bar);
	tcase_add_test(tc, prot_from_region_flags);
	tcase_add_test(tc, map_fixed_into_a_reservation);
	tcase_add_test(tc, map_opts_size);
	tcase_add_test(tc, mapping_getters);
	tcase_add_test(tc, map_an_existing_cookie);
	tcase_add_test(tc, cookie_handles_are_per_device);
	tcase_add_test(tc, identical_mappings_share_a_cookie);
	tcase_add_test(tc, cookie_query);
	tcase_add_test(tc, map_dontfork);
	suite_add_tcase(s, tc);
	return ck_run(s);
}
