// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vfiomap_region_attr_areas(): where a region's cookies may carry which
 * attributes, from the series v3 capability (version 2: the areas; version
 * 1: the whole region); vfiomap_last_refusal(): why they were refused.
 * Against the fake kernel.
 */
#include <check.h>
#include <errno.h>
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
	suite_add_tcase(s, tc);
	return ck_run(s);
}
