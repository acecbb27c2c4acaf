// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Device-level behaviour against the fake VFIO kernel (fake_vfio.c):
 * error messages, logging, opening through sysfs and /dev trees.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_vfio.h"
#include "ck_run.h"

static struct fake_tree tree;

static void setup(void)
{
	fake_reset();
}

static void teardown(void)
{
	vfiomap_set_log_fn(NULL, NULL);
	fake_tree_destroy(&tree);
}

static struct vfiomap_open_opts tree_opts(enum vfiomap_mode mode, uint32_t flags)
{
	struct vfiomap_open_opts o = { .size = sizeof(o), .mode = mode, .flags = flags,
				       .sysfs_root = tree.sysfs, .dev_root = tree.dev };

	return o;
}

/* ---- log callback ---- */

static struct {
	struct vfiomap_device *dev;	/* try its lock and call back into it */
	int errors, infos, debugs, lock_busy, reentry;
	char last_error[512], last_info[512];
} cb;

static void log_cb(enum vfiomap_log_level level, const char *msg, void *ctx)
{
	struct vfiomap_device *dev = cb.dev;
	const struct vfiomap_region *r;

	ck_assert_ptr_eq(ctx, &cb);
	if (level == VFIOMAP_LOG_ERROR) {
		cb.errors++;
		snprintf(cb.last_error, sizeof(cb.last_error), "%s", msg);
	} else if (level == VFIOMAP_LOG_INFO) {
		cb.infos++;
		snprintf(cb.last_info, sizeof(cb.last_info), "%s", msg);
	} else {
		cb.debugs++;
	}
	if (!dev)
		return;
	if (pthread_mutex_trylock(&dev->lock)) {
		cb.lock_busy++;		/* calling back in would deadlock */
		return;
	}
	pthread_mutex_unlock(&dev->lock);
	cb.dev = NULL;
	cb.reentry = vfiomap_region_get(dev, 0, &r);
	cb.dev = dev;
}

static void log_to_cb(struct vfiomap_device *dev)
{
	memset(&cb, 0, sizeof(cb));
	cb.dev = dev;
	vfiomap_set_log_fn(log_cb, &cb);
}

/* A failure found under the device lock is logged after the unlock. */
START_TEST(log_callback_runs_outside_the_device_lock)
{
	struct vfiomap_device *dev = fake_adopt();
	const struct vfiomap_region *r;

	fake.regions[2].err = EIO;
	log_to_cb(dev);
	ck_assert_int_eq(vfiomap_region_get(dev, 2, &r), -EIO);
	ck_assert_int_eq(cb.errors, 1);
	ck_assert_int_eq(cb.lock_busy, 0);
	ck_assert_int_eq(cb.reentry, 0);	/* the callback used the device */
	ck_assert_str_eq(cb.last_error, vfiomap_strerror());
	ck_assert_ptr_nonnull(strstr(vfiomap_strerror(), "GET_REGION_INFO(2)"));
	vfiomap_set_log_fn(NULL, NULL);
	vfiomap_device_close(dev);
}
END_TEST

/* AUTO: the cdev fails (no /dev/iommu), the group works: no ERROR line. */
START_TEST(auto_open_success_logs_no_error)
{
	struct vfiomap_device *dev = NULL;
	struct vfiomap_open_opts o;

	fake_tree_create(&tree, "0000:00:04.0", "vfio0", false);
	o = tree_opts(VFIOMAP_MODE_AUTO, 0);
	log_to_cb(NULL);
	ck_assert_int_eq(vfiomap_device_open("0000:00:04.0", &o, &dev), 0);
	ck_assert_int_eq(vfiomap_device_mode(dev), VFIOMAP_MODE_GROUP);
	ck_assert_msg(cb.errors == 0, "ERROR logged on success: %s", cb.last_error);
	ck_assert_int_ge(cb.debugs, 1);		/* the cdev's failure, as DEBUG */
	ck_assert_ptr_nonnull(strstr(cb.last_info, "trying the group"));
	vfiomap_device_close(dev);
}
END_TEST

static int group_fails(unsigned long req, void *arg)
{
	(void)arg;
	return req == VFIO_GROUP_GET_STATUS ? -EPERM : 0;
}

START_TEST(auto_open_failure_logs_one_error)
{
	struct vfiomap_device *dev = NULL;
	struct vfiomap_open_opts o;

	fake_tree_create(&tree, "0000:00:04.0", "vfio0", false);
	o = tree_opts(VFIOMAP_MODE_AUTO, 0);
	fake.hook = group_fails;
	log_to_cb(NULL);
	ck_assert_int_eq(vfiomap_device_open("0000:00:04.0", &o, &dev), -EPERM);
	ck_assert_int_eq(cb.errors, 1);
	ck_assert_ptr_nonnull(strstr(cb.last_error, "VFIO_GROUP_GET_STATUS"));
	ck_assert_str_eq(cb.last_error, vfiomap_strerror());
}
END_TEST

/* Stock kernel + sysfs WC fallback: the map works, no ERROR line. */
START_TEST(wc_fallback_success_logs_no_error)
{
	struct vfiomap_device *dev = NULL;
	struct vfiomap_mapping *m;
	struct vfiomap_open_opts o;

	fake_tree_create(&tree, "0000:00:04.0", NULL, false);
	o = tree_opts(VFIOMAP_MODE_GROUP, VFIOMAP_OPEN_WC_SYSFS_FALLBACK);
	fake.cookie_uapi = false;
	ck_assert_int_eq(vfiomap_device_open("0000:00:04.0", &o, &dev), 0);
	log_to_cb(dev);
	ck_assert_int_eq(vfiomap_map_range(dev, 2, 0, 0x1000, VFIOMAP_ATTR_WC, 0, &m), 0);
	ck_assert(vfiomap_mapping_is_sysfs_wc(m));
	ck_assert_msg(cb.errors == 0, "ERROR logged on success: %s", cb.last_error);
	ck_assert_ptr_nonnull(strstr(cb.last_info, "resource2_wc"));
	ck_assert_int_eq(cb.lock_busy, 0);
	ck_assert_int_eq(vfiomap_unmap(m), 0);
	vfiomap_device_close(dev);
}
END_TEST

/* The fallback is for a missing uAPI only; other refusals are errors. */
START_TEST(wc_fallback_other_failure_logs_error)
{
	struct vfiomap_device *dev = NULL;
	struct vfiomap_mapping *m;
	struct vfiomap_open_opts o;

	fake_tree_create(&tree, "0000:00:04.0", NULL, false);
	o = tree_opts(VFIOMAP_MODE_GROUP, VFIOMAP_OPEN_WC_SYSFS_FALLBACK);
	fake.cookie_err = EBUSY;
	ck_assert_int_eq(vfiomap_device_open("0000:00:04.0", &o, &dev), 0);
	log_to_cb(NULL);
	ck_assert_int_eq(vfiomap_map_range(dev, 2, 0, 0x1000, VFIOMAP_ATTR_WC, 0, &m), -EBUSY);
	ck_assert_int_eq(cb.errors, 1);
	ck_assert_str_eq(cb.last_error, vfiomap_strerror());
	vfiomap_device_close(dev);
}
END_TEST

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

/*
 * The sysfs fallback is for a kernel without the cookie uAPI only: a
 * kernel (series v2) that has it and refuses WC for the range (MSI-X
 * pages, say) answers EOPNOTSUPP too, and resourceN_wc must not be
 * mapped over its refusal.
 */
START_TEST(wc_fallback_not_taken_when_the_kernel_refuses)
{
	struct vfiomap_device *dev = NULL;
	struct vfiomap_mapping *m = NULL;
	struct vfiomap_open_opts o;

	fake_tree_create(&tree, "0000:00:04.0", NULL, false);
	o = tree_opts(VFIOMAP_MODE_GROUP, VFIOMAP_OPEN_WC_SYSFS_FALLBACK);
	fake.cookie_err = EOPNOTSUPP;
	ck_assert_int_eq(vfiomap_device_open("0000:00:04.0", &o, &dev), 0);
	ck_assert_int_eq(vfiomap_map_range(dev, 2, 0, 0x1000, VFIOMAP_ATTR_WC, 0, &m), -EOPNOTSUPP);
	ck_assert_ptr_null(m);
	ck_assert_ptr_null(strstr(vfiomap_strerror(), "sysfs"));
	/* BAR0 (not prefetchable, refused by the library): no fallback either */
	ck_assert_int_eq(vfiomap_map_range(dev, 0, 0, 0x1000, VFIOMAP_ATTR_WC, 0, &m), -EOPNOTSUPP);
	ck_assert_ptr_nonnull(strstr(vfiomap_strerror(), "not prefetchable"));
	vfiomap_device_close(dev);
}
END_TEST

/* A no-IOMMU cdev: bound to iommufd, nothing attached; AUTO uses the group. */
START_TEST(noiommu_cdev_open)
{
	struct vfiomap_device *dev = NULL;
	struct vfiomap_open_opts o;

	fake_tree_create(&tree, "0000:00:04.0", "noiommu-vfio1", true);
	o = tree_opts(VFIOMAP_MODE_CDEV, 0);
	ck_assert_int_eq(vfiomap_device_open("0000:00:04.0", &o, &dev), 0);
	ck_assert_int_eq(vfiomap_device_mode(dev), VFIOMAP_MODE_CDEV);
	ck_assert_uint_eq(fake.nr_bind, 1);
	ck_assert_int_ge(fake.bind_iommufd, 0);
	ck_assert_uint_eq(fake.nr_ioas_alloc, 0);
	ck_assert_uint_eq(fake.nr_attach, 0);
	vfiomap_device_close(dev);

	fake.nr_bind = 0;
	o = tree_opts(VFIOMAP_MODE_AUTO, 0);
	ck_assert_int_eq(vfiomap_device_open("0000:00:04.0", &o, &dev), 0);
	ck_assert_int_eq(vfiomap_device_mode(dev), VFIOMAP_MODE_GROUP);
	ck_assert_uint_eq(fake.nr_bind, 0);
	vfiomap_device_close(dev);
}
END_TEST

/* A regular cdev: bound, an IOAS allocated and attached. */
START_TEST(cdev_open)
{
	struct vfiomap_device *dev = NULL;
	struct vfiomap_open_opts o;

	fake_tree_create(&tree, "0000:00:04.0", "vfio0", true);
	o = tree_opts(VFIOMAP_MODE_AUTO, 0);
	ck_assert_int_eq(vfiomap_device_open("0000:00:04.0", &o, &dev), 0);
	ck_assert_int_eq(vfiomap_device_mode(dev), VFIOMAP_MODE_CDEV);
	ck_assert_uint_eq(fake.nr_bind, 1);
	ck_assert_uint_eq(fake.nr_ioas_alloc, 1);
	ck_assert_uint_eq(fake.nr_attach, 1);
	vfiomap_device_close(dev);
}
END_TEST

/* A device in PCI domain 10000 (behind VMD) opens like any other. */
START_TEST(open_wide_domain)
{
	struct vfiomap_device *dev = NULL;
	struct vfiomap_open_opts o;

	fake_tree_create(&tree, "10000:e1:00.0", NULL, false);
	o = tree_opts(VFIOMAP_MODE_GROUP, 0);
	ck_assert_int_eq(vfiomap_device_open("10000:e1:00.0", &o, &dev), 0);
	ck_assert_str_eq(vfiomap_device_bdf(dev), "10000:e1:00.0");
	vfiomap_device_close(dev);
}
END_TEST

/* IDs from the config space, also for an adopted fd (no address) */
START_TEST(pci_ids_from_config_space)
{
	struct vfiomap_device *dev = fake_adopt();
	struct vfiomap_pci_ids ids;
	char name[16];

	ck_assert_ptr_null(vfiomap_device_bdf(dev));
	ck_assert_int_eq(vfiomap_device_pci_ids(dev, &ids), 0);
	ck_assert_uint_eq(ids.vendor, 0x1af4);
	ck_assert_uint_eq(ids.device, 0x1110);
	ck_assert_uint_eq(ids.class_code, 0x050000);
	ck_assert_uint_eq(ids.revision, 1);
	ck_assert_uint_eq(ids.subsystem_vendor, 0x1af4);
	ck_assert_uint_eq(ids.subsystem_device, 0x1100);
	ck_assert_int_eq(vfiomap_device_name(dev, name, sizeof(name)), 0);
	ck_assert_str_eq(name, "1af4:1110");
	ck_assert_str_eq(vfiomap_mode_name(VFIOMAP_MODE_CDEV), "iommufd cdev");
	ck_assert_str_eq(vfiomap_mode_name((enum vfiomap_mode)42), "unknown");
	vfiomap_device_close(dev);
}
END_TEST

/* Every fd the library opens is close-on-exec (docs/api.md, fork and exec). */
START_TEST(library_fds_are_cloexec)
{
	struct vfiomap_device *dev = NULL;
	struct vfiomap_open_opts o;

	fake_tree_create(&tree, "0000:00:04.0", "vfio0", true);
	o = tree_opts(VFIOMAP_MODE_GROUP, 0);
	ck_assert_int_eq(vfiomap_device_open("0000:00:04.0", &o, &dev), 0);
	ck_assert_int_ne(fcntl(dev->group, F_GETFD) & FD_CLOEXEC, 0);
	ck_assert_int_ne(fcntl(dev->container, F_GETFD) & FD_CLOEXEC, 0);
	vfiomap_device_close(dev);
	o = tree_opts(VFIOMAP_MODE_CDEV, 0);
	ck_assert_int_eq(vfiomap_device_open("0000:00:04.0", &o, &dev), 0);
	ck_assert_int_ne(fcntl(dev->fd, F_GETFD) & FD_CLOEXEC, 0);
	ck_assert_int_ne(fcntl(dev->container, F_GETFD) & FD_CLOEXEC, 0);
	vfiomap_device_close(dev);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("device");
	TCase *tc = tcase_create("fake-kernel");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, nested_message_not_garbled);
	tcase_add_test(tc, absurd_argsz_reports_the_kernels_value);
	tcase_add_test(tc, log_callback_runs_outside_the_device_lock);
	tcase_add_test(tc, auto_open_success_logs_no_error);
	tcase_add_test(tc, auto_open_failure_logs_one_error);
	tcase_add_test(tc, wc_fallback_success_logs_no_error);
	tcase_add_test(tc, wc_fallback_other_failure_logs_error);
	tcase_add_test(tc, wc_fallback_not_taken_when_the_kernel_refuses);
	tcase_add_test(tc, noiommu_cdev_open);
	tcase_add_test(tc, cdev_open);
	tcase_add_test(tc, open_wide_domain);
	tcase_add_test(tc, pci_ids_from_config_space);
	tcase_add_test(tc, library_fds_are_cloexec);
	suite_add_tcase(s, tc);
	return ck_run(s);
}
