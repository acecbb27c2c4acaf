// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vfiomap_region_attr_areas(): where a region's cookies may carry which
 * attributes, from the series v3 capability (version 2: the areas; version
 * 1: the whole region); vfiomap_last_refusal(): why they were refused.
 * Against the fake kernel.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <pthread.h>
#include <string.h>

#include <libvfiomap/libvfiomap.h>
#include "fake_vfio.h"
#include "ck_run.h"

static void put(uint32_t index, size_t at, const void *v, size_t len)
{
	memcpy(fake.regions[index].caps + at, v, len);
	if (at + len > fake.regions[index].caps_len)
		fake.regions[index].caps_len = at + len;
}

/* version 2 capability with @n areas {offset, size, attrs} */
static void set_cap_v2(uint32_t index, uint32_t n, const uint64_t *areas)
{
	struct vfio_info_cap_header h = {
		.id = VFIO_REGION_INFO_CAP_MMAP_ATTRS, .version = 2,
	};
	uint64_t attrs = 0;
	uint32_t zero = 0;

	for (uint32_t i = 0; i < n; i++)
		attrs |= areas[3 * i + 2];
	fake.regions[index].caps_len = 0;
	put(index, 0, &h, sizeof(h));
	put(index, 8, &attrs, 8);
	put(index, 16, &n, 4);
	put(index, 20, &zero, 4);
	put(index, 24, areas, n * 24);
}

static void setup(void)
{
	fake_reset();
}

/*
 * A BAR with its MSI-X table page in the middle: three areas, the middle
 * one without WC.  A short array gets the first ones and the count.
 */
START_TEST(areas_of_a_v2_capability)
{
	const uint64_t a[] = {
		0, 0x8000, VFIO_MMAP_ATTR_WC,
		0x8000, 0x1000, 0,
		0x9000, 0x1f7000, VFIO_MMAP_ATTR_WC,
	};
	struct vfiomap_attr_area out[4];
	struct vfiomap_device *dev;
	uint64_t before;

	set_cap_v2(2, 3, a);
	dev = fake_adopt();
	ck_assert_int_eq(vfiomap_region_attr_areas(dev, 2, out, 4), 3);
	ck_assert_uint_eq(out[0].offset, 0);
	ck_assert_uint_eq(out[0].size, 0x8000);
	ck_assert_uint_eq(out[0].attrs, VFIOMAP_ATTR_WC);
	ck_assert_uint_eq(out[1].offset, 0x8000);
	ck_assert_uint_eq(out[1].attrs, 0);
	ck_assert_uint_eq(out[2].offset, 0x9000);
	ck_assert_uint_eq(out[2].size, 0x1f7000);
	ck_assert_uint_eq(out[2].attrs, VFIOMAP_ATTR_WC);
	/* cached with the region info: no ioctl the second time */
	before = vfiomap_device_ioctl_count(dev);
	memset(out, 0xff, sizeof(out));
	ck_assert_int_eq(vfiomap_region_attr_areas(dev, 2, out, 1), 3);
	ck_assert_uint_eq(out[0].size, 0x8000);
	ck_assert_uint_eq(out[1].offset, ~0ULL);	/* untouched */
	ck_assert_int_eq(vfiomap_region_attr_areas(dev, 2, NULL, 0), 3);
	ck_assert_uint_eq(vfiomap_device_ioctl_count(dev), before);
	vfiomap_device_close(dev);
}
END_TEST

/* A version 1 capability (series v2 kernel): one area, the whole region */
START_TEST(version_1_is_the_whole_region)
{
	struct vfio_info_cap_header h = {
		.id = VFIO_REGION_INFO_CAP_MMAP_ATTRS, .version = 1,
	};
	uint64_t attrs = VFIO_MMAP_ATTR_WC;
	struct vfiomap_attr_area out[2];
	struct vfiomap_device *dev;

	fake.regions[2].caps_len = 0;
	put(2, 0, &h, sizeof(h));
	put(2, 8, &attrs, 8);
	dev = fake_adopt();
	ck_assert_int_eq(vfiomap_region_attr_areas(dev, 2, out, 2), 1);
	ck_assert_uint_eq(out[0].offset, 0);
	ck_assert_uint_eq(out[0].size, fake.regions[2].size);
	ck_assert_uint_eq(out[0].attrs, VFIOMAP_ATTR_WC);
	vfiomap_device_close(dev);
}
END_TEST

/* No capability (stock kernel), a foreign one with our number, bad input */
START_TEST(no_capability_no_areas)
{
	struct vfio_info_cap_header h = {
		.id = VFIO_REGION_INFO_CAP_MMAP_ATTRS, .version = 0,
	};
	uint64_t attrs = VFIO_MMAP_ATTR_WC;
	struct vfiomap_attr_area out[2];
	struct vfiomap_device *dev = fake_adopt();

	ck_assert_int_eq(vfiomap_region_attr_areas(dev, 0, out, 2), -ENODATA);
	ck_assert_ptr_nonnull(strstr(vfiomap_last_error(), "mmap-attrs"));
	/* the 0.1 name says the same */
	ck_assert_str_eq(vfiomap_strerror(), vfiomap_last_error());
	ck_assert_int_eq(vfiomap_region_attr_areas(dev, 2, NULL, 1), -EINVAL);
	ck_assert_int_eq(vfiomap_region_attr_areas(NULL, 2, out, 2), -EINVAL);
	ck_assert_int_eq(vfiomap_region_attr_areas(dev, 99, out, 2), -EINVAL);
	vfiomap_device_close(dev);

	fake.regions[2].caps_len = 0;
	put(2, 0, &h, sizeof(h));
	put(2, 8, &attrs, 8);
	dev = fake_adopt();
	ck_assert_int_eq(vfiomap_region_attr_areas(dev, 2, out, 2), -ENODATA);
	vfiomap_device_close(dev);
}
END_TEST

/*
 * Why the attributes were refused, as a value: each errno of the v3
 * kernel's table, a stock kernel, the library's own check of the BAR
 * register; a success or a refusal that is not about the attributes
 * leaves NONE.
 */
START_TEST(refusal_reasons)
{
	static const struct { int err; enum vfiomap_refusal why; } t[] = {
		{ EOPNOTSUPP, VFIOMAP_REFUSAL_UNKNOWN_ATTR },
		{ ENODEV, VFIOMAP_REFUSAL_NO_HOST_WC },
		{ EPERM, VFIOMAP_REFUSAL_NOT_PREFETCHABLE },
		{ EACCES, VFIOMAP_REFUSAL_MSIX },
		{ EEXIST, VFIOMAP_REFUSAL_IOEVENTFD },
		{ EBUSY, VFIOMAP_REFUSAL_CONFLICT },
		{ ENOSPC, VFIOMAP_REFUSAL_NONE },
	};
	struct vfiomap_device *dev = fake_adopt();
	struct vfiomap_mapping *m;
	uint64_t c;

	ck_assert_int_eq(vfiomap_last_refusal(), VFIOMAP_REFUSAL_NONE);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		fake.cookie_err = t[i].err;
		ck_assert_int_eq(vfiomap_cookie_create(dev, 2, 0, 0x1000, VFIOMAP_ATTR_WC, &c),
				 -t[i].err);
		ck_assert_int_eq(vfiomap_last_refusal(), t[i].why);
		ck_assert_int_eq(vfiomap_map_range(dev, 2, 0, 0x1000, VFIOMAP_ATTR_WC, 0, &m),
				 -t[i].err);
		ck_assert_int_eq(vfiomap_last_refusal(), t[i].why);
		/* no attributes asked: nothing about them was refused */
		ck_assert_int_eq(vfiomap_cookie_create(dev, 2, 0, 0x1000, 0, &c), -t[i].err);
		ck_assert_int_eq(vfiomap_last_refusal(), VFIOMAP_REFUSAL_NONE);
	}
	fake.cookie_err = EACCES;
	ck_assert_int_eq(vfiomap_cookie_create(dev, 2, 0, 0x1000, VFIOMAP_ATTR_WC, &c), -EACCES);
	fake.cookie_err = 0;
	ck_assert_int_eq(vfiomap_cookie_create(dev, 2, 0, 0x1000, VFIOMAP_ATTR_WC, &c), 0);
	ck_assert_int_eq(vfiomap_last_refusal(), VFIOMAP_REFUSAL_NONE);
	ck_assert_int_eq(vfiomap_cookie_destroy(dev, c), 0);
	/* BAR0 is not prefetchable: the library's own refusal, same reason */
	ck_assert_int_eq(vfiomap_cookie_create(dev, 0, 0, 0x1000, VFIOMAP_ATTR_WC, &c),
			 -EOPNOTSUPP);
	ck_assert_int_eq(vfiomap_last_refusal(), VFIOMAP_REFUSAL_NOT_PREFETCHABLE);
	/* a stock kernel */
	fake.cookie_uapi = false;
	ck_assert_int_eq(vfiomap_cookie_create(dev, 2, 0, 0x1000, VFIOMAP_ATTR_WC, &c),
			 -EOPNOTSUPP);
	ck_assert_int_eq(vfiomap_last_refusal(), VFIOMAP_REFUSAL_NO_UAPI);
	ck_assert_str_eq(vfiomap_refusal_name(VFIOMAP_REFUSAL_NO_UAPI),
			 "no mmap-cookie uAPI in this kernel");
	ck_assert_str_eq(vfiomap_refusal_name((enum vfiomap_refusal)99), "unknown");
	vfiomap_device_close(dev);
}
END_TEST

/* The reason is the calling thread's own */
static void *other_thread(void *arg)
{
	*(int *)arg = vfiomap_last_refusal();
	return NULL;
}

START_TEST(refusal_is_per_thread)
{
	struct vfiomap_device *dev = fake_adopt();
	pthread_t t;
	uint64_t c;
	int seen = -1;

	fake.cookie_err = EACCES;
	ck_assert_int_eq(vfiomap_cookie_create(dev, 2, 0, 0x1000, VFIOMAP_ATTR_WC, &c), -EACCES);
	ck_assert_int_eq(pthread_create(&t, NULL, other_thread, &seen), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(seen, VFIOMAP_REFUSAL_NONE);
	ck_assert_int_eq(vfiomap_last_refusal(), VFIOMAP_REFUSAL_MSIX);
	vfiomap_device_close(dev);
}
END_TEST

/* The file offset /proc/self/maps gives for the mapping holding @addr */
static uint64_t maps_offset(const void *addr)
{
	char line[512];
	unsigned long lo, hi;
	unsigned long long off;
	uint64_t ret = ~0ULL;
	FILE *f = fopen("/proc/self/maps", "re");

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx %*s %llx", &lo, &hi, &off) == 3 &&
		    (uintptr_t)addr >= lo && (uintptr_t)addr < hi)
			ret = off + ((uintptr_t)addr - lo);
	fclose(f);
	return ret;
}

static uint64_t fake_refs(void)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < fake.nr_cookies; i++)
		n += fake.cookies[i].refs;
	return n;
}

/*
 * VFIOMAP_MAP_WC_WHERE_ALLOWED over a BAR whose MSI-X table page sits
 * between two WC areas: one contiguous mapping, WC cookies for the two
 * areas, the region's own offset for the table page; unmap drops both.
 */
START_TEST(wc_where_allowed_splits_around_msix)
{
	const uint64_t a[] = {
		0, 0x8000, VFIO_MMAP_ATTR_WC,
		0x8000, 0x1000, 0,
		0x9000, 0x1f7000, VFIO_MMAP_ATTR_WC,
	};
	struct vfiomap_map_opts o = { .size = sizeof(o),
				      .flags = VFIOMAP_MAP_WC_WHERE_ALLOWED };
	const struct vfiomap_region *r;
	struct vfiomap_device *dev;
	struct vfiomap_mapping *m;
	uint8_t *p;

	set_cap_v2(2, 3, a);
	dev = fake_adopt();
	ck_assert_int_eq(vfiomap_region_get(dev, 2, &r), 0);
	ck_assert_int_eq(vfiomap_map(dev, 2, 0, 0, &o, &m), 0);
	p = vfiomap_mapping_addr(m);
	ck_assert_uint_eq(vfiomap_mapping_size(m), 0x200000);
	ck_assert_uint_eq(vfiomap_mapping_wc_size(m), 0x200000 - 0x1000);
	ck_assert_uint_eq(vfiomap_mapping_attrs(m), VFIOMAP_ATTR_WC);
	ck_assert_int_eq(vfiomap_last_refusal(), VFIOMAP_REFUSAL_NONE);
	ck_assert_uint_eq(fake.nr_cookies, 2);
	ck_assert_uint_eq(fake.cookies[0].offset, 0);
	ck_assert_uint_eq(fake.cookies[0].size, 0x8000);
	ck_assert_uint_eq(fake.cookies[1].offset, 0x9000);
	ck_assert_uint_eq(fake.cookies[1].size, 0x1f7000);
	/* what each page maps: the cookies' offsets, the region's for MSI-X */
	ck_assert_uint_eq(maps_offset(p), fake.cookies[0].cookie);
	ck_assert_uint_eq(maps_offset(p + 0x7000), fake.cookies[0].cookie + 0x7000);
	ck_assert_uint_eq(maps_offset(p + 0x8000), r->offset + 0x8000);
	ck_assert_uint_eq(maps_offset(p + 0x9000), fake.cookies[1].cookie);
	ck_assert_uint_eq(maps_offset(p + 0x1ff000), fake.cookies[1].cookie + 0x1f6000);
	ck_assert_int_eq(vfiomap_unmap(m), 0);
	ck_assert_uint_eq(fake_refs(), 0);

	/* a range inside the table page: no cookie, all uncached */
	ck_assert_int_eq(vfiomap_map(dev, 2, 0x8000, 0x1000, &o, &m), 0);
	ck_assert_uint_eq(vfiomap_mapping_wc_size(m), 0);
	ck_assert_uint_eq(fake.nr_cookies, 0);
	ck_assert_uint_eq(maps_offset(vfiomap_mapping_addr(m)), r->offset + 0x8000);
	ck_assert_int_eq(vfiomap_unmap(m), 0);
	vfiomap_device_close(dev);
}
END_TEST

/*
 * Where the kernel gives no WC (a stock kernel, no WC on the host), the
 * whole range is mapped uncached, the call succeeds and says why; an error
 * that is not a refusal fails the call and leaves nothing behind.
 */
START_TEST(wc_where_allowed_falls_back_uncached)
{
	const uint64_t a[] = { 0, 0x200000, VFIO_MMAP_ATTR_WC };
	struct vfiomap_map_opts o = { .size = sizeof(o),
				      .flags = VFIOMAP_MAP_WC_WHERE_ALLOWED };
	struct vfiomap_device *dev;
	struct vfiomap_mapping *m;

	/* stock: no capability */
	dev = fake_adopt();
	ck_assert_int_eq(vfiomap_map(dev, 2, 0, 0x10000, &o, &m), 0);
	ck_assert_uint_eq(vfiomap_mapping_wc_size(m), 0);
	ck_assert_int_eq(vfiomap_last_refusal(), VFIOMAP_REFUSAL_NO_UAPI);
	ck_assert_int_eq(vfiomap_unmap(m), 0);
	vfiomap_device_close(dev);

	set_cap_v2(2, 1, a);
	dev = fake_adopt();
	fake.cookie_err = ENODEV;
	ck_assert_int_eq(vfiomap_map(dev, 2, 0, 0x10000, &o, &m), 0);
	ck_assert_uint_eq(vfiomap_mapping_wc_size(m), 0);
	ck_assert_int_eq(vfiomap_last_refusal(), VFIOMAP_REFUSAL_NO_HOST_WC);
	ck_assert_int_eq(vfiomap_unmap(m), 0);
	fake.cookie_err = ENOSPC;
	ck_assert_int_eq(vfiomap_map(dev, 2, 0, 0x10000, &o, &m), -ENOSPC);
	ck_assert_ptr_null(m);
	fake.cookie_err = 0;
	ck_assert_uint_eq(fake_refs(), 0);
	/* not with attrs or a cookie to map */
	o.attrs = VFIOMAP_ATTR_WC;
	ck_assert_int_eq(vfiomap_map(dev, 2, 0, 0x10000, &o, &m), -EINVAL);
	o.attrs = 0;
	o.flags |= VFIOMAP_MAP_COOKIE;
	ck_assert_int_eq(vfiomap_map(dev, 2, 0, 0x10000, &o, &m), -EINVAL);
	vfiomap_device_close(dev);
}
END_TEST

/* A kernel whose feature 14 is something else: PROBE says yes, QUERY not ENOENT */
static int foreign_feature(unsigned long req, void *arg)
{
	struct {
		struct vfio_device_feature hdr;
		struct vfio_device_feature_mmap_cookie mc;
	} *f = arg;

	if (req == VFIO_DEVICE_FEATURE && (f->hdr.flags & VFIO_DEVICE_FEATURE_GET))
		return -EINVAL;
	return 0;
}

START_TEST(probe_is_specific)
{
	struct vfiomap_device *dev = fake_adopt();

	ck_assert_int_eq(vfiomap_cookie_supported(dev), 1);
	fake.hook = foreign_feature;
	ck_assert_int_eq(vfiomap_cookie_supported(dev), 0);
	fake.hook = NULL;
	fake.cookie_uapi = false;
	ck_assert_int_eq(vfiomap_cookie_supported(dev), 0);
	vfiomap_device_close(dev);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("attr-areas");
	TCase *tc = tcase_create("areas");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, areas_of_a_v2_capability);
	tcase_add_test(tc, version_1_is_the_whole_region);
	tcase_add_test(tc, no_capability_no_areas);
	tcase_add_test(tc, refusal_reasons);
	tcase_add_test(tc, refusal_is_per_thread);
	tcase_add_test(tc, wc_where_allowed_splits_around_msix);
	tcase_add_test(tc, wc_where_allowed_falls_back_uncached);
	tcase_add_test(tc, probe_is_specific);
	suite_add_tcase(s, tc);
	return ck_run(s);
}
