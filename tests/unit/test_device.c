// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Device-level behaviour against the fake VFIO kernel (fake_vfio.c):
 * error messages, logging, opening through sysfs and /dev trees.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_vfio.h"
#include "ck_run.h"

static void setup(void)
{
	fake_reset();
}

/* A capability whose next pointer goes backwards: the parser refuses it. */
static void bad_chain(uint32_t index)
{
	struct vfio_info_cap_header h = { .id = 99, .version = 1, .next = 8 };

	memcpy(fake.regions[index].caps, &h, sizeof(h));
	fake.regions[index].caps_len = 16;
}

/* The parser's message survives, prefixed once with the region. */
START_TEST(nested_message_not_garbled)
{
	struct vfiomap_device *dev = fake_adopt();
	const struct vfiomap_region *r;

	bad_chain(2);
	ck_assert_int_eq(vfiomap_region_get(dev, 2, &r), -EPROTO);
	ck_assert_str_eq(vfiomap_strerror(),
			 "region 2: capability chain: next 8 does not move forward from 32 (cycle)");
	vfiomap_device_close(dev);
}
END_TEST

START_TEST(absurd_argsz_reports_the_kernels_value)
{
	struct vfiomap_device *dev = fake_adopt();
	const struct vfiomap_region *r;

	fake.regions[2].argsz = 2u << 20;
	ck_assert_int_eq(vfiomap_region_get(dev, 2, &r), -EPROTO);
	ck_assert_msg(strstr(vfiomap_strerror(), "argsz 2097152"), "%s", vfiomap_strerror());
	vfiomap_device_close(dev);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("device");
	TCase *tc = tcase_create("fake-kernel");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, nested_message_not_garbled);
	tcase_add_test(tc, absurd_argsz_reports_the_kernels_value);
	suite_add_tcase(s, tc);
	return ck_run(s);
}
