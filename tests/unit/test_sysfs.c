// SPDX-License-Identifier: LGPL-2.1-or-later
/* sysfs discovery against the fixture tree in tests/unit/fixtures. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "ck_run.h"

static const char *root = FIXTURES "/sysfs";
static const char *devroot = FIXTURES "/dev";

START_TEST(parse_bdf)
{
	char out[VFM_BDF_LEN];

	ck_assert_int_eq(vfm__parse_bdf("0000:00:04.0", out), 0);
	ck_assert_str_eq(out, "0000:00:04.0");
	ck_assert_int_eq(vfm__parse_bdf("00:04.0", out), 0);
	ck_assert_str_eq(out, "0000:00:04.0");
	ck_assert_int_eq(vfm__parse_bdf("ABCD:EF:1f.7", out), 0);
	ck_assert_str_eq(out, "abcd:ef:1f.7");
	ck_assert_int_eq(vfm__parse_bdf(NULL, out), -EINVAL);
	ck_assert_int_eq(vfm__parse_bdf("", out), -EINVAL);
	ck_assert_int_eq(vfm__parse_bdf("0000:00:20.0", out), -EINVAL);	/* dev > 31 */
	ck_assert_int_eq(vfm__parse_bdf("0000:00:04.8", out), -EINVAL);	/* fn > 7 */
	ck_assert_int_eq(vfm__parse_bdf("0000:100:04.0", out), -EINVAL);
	ck_assert_int_eq(vfm__parse_bdf("0000:00:04.0x", out), -EINVAL);
	ck_assert_int_eq(vfm__parse_bdf("../../etc", out), -EINVAL);
	ck_assert_int_eq(vfm__parse_bdf("0000:00:04.0/../x", out), -EINVAL);
	ck_assert_int_eq(vfm__parse_bdf("0:0:0:0.0", out), -EINVAL);
	ck_assert_int_eq(vfm__parse_bdf("0000:00:04.", out), -EINVAL);
	ck_assert_int_eq(vfm__parse_bdf("0000::04.0", out), -EINVAL);
	ck_assert_int_eq(vfm__parse_bdf("-1:00:04.0", out), -EINVAL);
	ck_assert_int_eq(vfm__parse_bdf(" 0:00:04.0", out), -EINVAL);
	ck_assert_int_eq(vfm__parse_bdf("0000:00:04.00", out), -EINVAL);
}
END_TEST

/* Domains above 0xffff (VMD puts its devices at 10000 and up). */
START_TEST(parse_bdf_wide_domains)
{
	char out[VFM_BDF_LEN];

	ck_assert_int_eq(vfm__parse_bdf("10000:00:00.0", out), 0);
	ck_assert_str_eq(out, "10000:00:00.0");
	ck_assert_int_eq(vfm__parse_bdf("1000f:e1:1f.7", out), 0);
	ck_assert_str_eq(out, "1000f:e1:1f.7");
	ck_assert_int_eq(vfm__parse_bdf("ffffffff:ff:1f.7", out), 0);
	ck_assert_str_eq(out, "ffffffff:ff:1f.7");
	ck_assert_int_eq(vfm__parse_bdf("1:02:03.4", out), 0);
	ck_assert_str_eq(out, "0001:02:03.4");
	ck_assert_int_eq(vfm__parse_bdf("100000000:00:00.0", out), -EINVAL);
	ck_assert_int_eq(vfm__parse_bdf("fffffffff:00:00.0", out), -EINVAL);
}
END_TEST

/* No-IOMMU devices have "noiommu-vfioN" cdevs. */
START_TEST(noiommu_cdev_name)
{
	char s[64];

	ck_assert_int_eq(vfm__sysfs_cdev(root, "0000:00:08.0", s, sizeof(s)), 0);
	ck_assert_str_eq(s, "noiommu-vfio1");
}
END_TEST

START_TEST(driver_group_cdev)
{
	char s[64];

	ck_assert_int_eq(vfm__sysfs_driver(root, "0000:00:04.0", s, sizeof(s)), 0);
	ck_assert_str_eq(s, "vfio-pci");
	ck_assert_int_eq(vfm__sysfs_group(root, "0000:00:04.0", s, sizeof(s)), 0);
	ck_assert_str_eq(s, "3");
	ck_assert_int_eq(vfm__sysfs_cdev(root, "0000:00:04.0", s, sizeof(s)), 0);
	ck_assert_str_eq(s, "vfio0");

	ck_assert_int_eq(vfm__sysfs_driver(root, "0000:00:05.0", s, sizeof(s)), 0);
	ck_assert_str_eq(s, "e1000e");
	ck_assert_int_eq(vfm__sysfs_cdev(root, "0000:00:05.0", s, sizeof(s)), -ENOENT);

	/* unbound: empty driver, no group */
	ck_assert_int_eq(vfm__sysfs_driver(root, "0000:00:06.0", s, sizeof(s)), 0);
	ck_assert_str_eq(s, "");
	ck_assert_int_eq(vfm__sysfs_group(root, "0000:00:06.0", s, sizeof(s)), -ENOENT);

	/* missing device */
	ck_assert_int_eq(vfm__sysfs_driver(root, "0000:00:1f.0", s, sizeof(s)), -ENODEV);
	/* too small output */
	ck_assert_int_eq(vfm__sysfs_driver(root, "0000:00:04.0", s, 4), -ENAMETOOLONG);
}
END_TEST

START_TEST(read_ids)
{
	unsigned int v = 0;

	ck_assert_int_eq(vfm__sysfs_read_hex(root, "0000:00:04.0", "vendor", &v), 0);
	ck_assert_uint_eq(v, 0x1af4);
	ck_assert_int_eq(vfm__sysfs_read_hex(root, "0000:00:04.0", "nope", &v), -ENOENT);
}
END_TEST

/* Options of @mode; the library's test hooks point at the fixture tree. */
static struct vfiomap_open_opts opts(enum vfiomap_mode mode)
{
	struct vfiomap_open_opts o = { .size = sizeof(o), .mode = mode };

	setenv("VFIOMAP_SYSFS_ROOT", root, 1);
	setenv("VFIOMAP_DEV_ROOT", devroot, 1);
	return o;
}

START_TEST(open_errors)
{
	struct vfiomap_device *dev = (void *)1;
	struct vfiomap_open_opts o = opts(VFIOMAP_MODE_AUTO);

	ck_assert_int_eq(vfiomap_device_open("0000:00:1f.0", &o, &dev), -ENODEV);
	ck_assert_ptr_null(dev);
	ck_assert_ptr_nonnull(strstr(vfiomap_strerror(), "no PCI device"));

	/* bound to another driver: the message says how to bind it */
	ck_assert_int_eq(vfiomap_device_open("0000:00:05.0", &o, &dev), -ENODEV);
	ck_assert_ptr_nonnull(strstr(vfiomap_strerror(), "e1000e"));
	ck_assert_ptr_nonnull(strstr(vfiomap_strerror(), "driver_override"));

	ck_assert_int_eq(vfiomap_device_open("0000:00:06.0", &o, &dev), -ENODEV);
	ck_assert_ptr_nonnull(strstr(vfiomap_strerror(), "not bound"));

	/* vfio-pci without a group: no-IOMMU mode not enabled */
	ck_assert_int_eq(vfiomap_device_open("0000:00:07.0", &o, &dev), -ENOENT);
	ck_assert_ptr_nonnull(strstr(vfiomap_strerror(), "enable_unsafe_noiommu_mode"));

	o = opts(VFIOMAP_MODE_NOIOMMU);
	ck_assert_int_eq(vfiomap_device_open("0000:00:04.0", &o, &dev), -ENOENT);
	ck_assert_ptr_nonnull(strstr(vfiomap_strerror(), "noiommu"));
}
END_TEST

START_TEST(open_fake_nodes_fail_cleanly)
{
	struct vfiomap_device *dev = NULL;
	struct vfiomap_open_opts o = opts(VFIOMAP_MODE_GROUP);

	/* the fixture's /dev/vfio/3 is a plain file: the first ioctl fails */
	ck_assert_int_eq(vfiomap_device_open("0000:00:04.0", &o, &dev), -ENOTTY);
	ck_assert_ptr_null(dev);
	ck_assert_ptr_nonnull(strstr(vfiomap_strerror(), "VFIO_GROUP_GET_STATUS"));

	o = opts(VFIOMAP_MODE_CDEV);
	ck_assert_int_lt(vfiomap_device_open("0000:00:04.0", &o, &dev), 0);
	ck_assert_ptr_null(dev);

	/* AUTO tries the cdev, then the group, and reports the group's error */
	o = opts(VFIOMAP_MODE_AUTO);
	ck_assert_int_eq(vfiomap_device_open("0000:00:04.0", &o, &dev), -ENOTTY);
}
END_TEST

/*
 * The test hooks of 0.2, now reserved fields: still honoured (a 0.2
 * program passes them), and before the environment's.
 */
START_TEST(reserved_roots_of_0_2)
{
	struct vfiomap_device *dev = NULL;
	struct vfiomap_open_opts o = opts(VFIOMAP_MODE_GROUP);

	setenv("VFIOMAP_SYSFS_ROOT", "/nonexistent-sysfs", 1);
	setenv("VFIOMAP_DEV_ROOT", "/nonexistent-dev", 1);
	ck_assert_int_eq(vfiomap_device_open("0000:00:04.0", &o, &dev), -ENODEV);
	o.reserved_sysfs_root = root;
	ck_assert_int_eq(vfiomap_device_open("0000:00:04.0", &o, &dev), -ENOENT);
	ck_assert_ptr_nonnull(strstr(vfiomap_strerror(), "/nonexistent-dev/vfio/3"));
	o.reserved_dev_root = devroot;
	ck_assert_int_eq(vfiomap_device_open("0000:00:04.0", &o, &dev), -ENOTTY);
	ck_assert_ptr_nonnull(strstr(vfiomap_strerror(), "VFIO_GROUP_GET_STATUS"));
	ck_assert_ptr_null(dev);
	unsetenv("VFIOMAP_SYSFS_ROOT");
	unsetenv("VFIOMAP_DEV_ROOT");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sysfs");
	TCase *tc = tcase_create("discovery");

	tcase_add_test(tc, parse_bdf);
	tcase_add_test(tc, parse_bdf_wide_domains);
	tcase_add_test(tc, noiommu_cdev_name);
	tcase_add_test(tc, driver_group_cdev);
	tcase_add_test(tc, read_ids);
	tcase_add_test(tc, open_errors);
	tcase_add_test(tc, open_fake_nodes_fail_cleanly);
	tcase_add_test(tc, reserved_roots_of_0_2);
	suite_add_tcase(s, tc);
	return ck_run(s);
}
