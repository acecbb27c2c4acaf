// SPDX-License-Identifier: LGPL-2.1-or-later
/* Public API misuse: errors, never crashes; per-thread messages; logging. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libvfiomap/libvfiomap.h>
#include "ck_run.h"
#include "../../lib/testing.h"

START_TEST(null_arguments)
{
	struct vfiomap_device *dev = NULL;
	const struct vfiomap_region *r;
	struct vfiomap_mapping *m;
	struct vfiomap_device_info info = { .size = sizeof(info) };
	uint64_t c;
	char buf[8];

	ck_assert_int_eq(vfiomap_device_open(NULL, NULL, &dev), -EINVAL);
	ck_assert_int_eq(vfiomap_device_open("0000:00:04.0", NULL, NULL), -EINVAL);
	ck_assert_int_eq(vfiomap_device_adopt(-1, 0, &dev), -EINVAL);
	ck_assert_int_eq(vfiomap_device_adopt(0, 0, NULL), -EINVAL);
	ck_assert_int_eq(vfiomap_device_fd(NULL), -EINVAL);
	ck_assert_int_eq(vfiomap_device_get_info(NULL, &info), -EINVAL);
	ck_assert_int_eq(vfiomap_region_get(NULL, 0, &r), -EINVAL);
	ck_assert_int_eq(vfiomap_cookie_supported(NULL), -EINVAL);
	ck_assert_int_eq(vfiomap_cookie_create(NULL, 2, 0, 4096, 0, &c), -EINVAL);
	ck_assert_int_eq(vfiomap_cookie_destroy(NULL, 1ULL << 48), -EINVAL);
	ck_assert_int_eq(vfiomap_map_region(NULL, 0, 0, &m), -EINVAL);
	ck_assert_int_eq(vfiomap_map_range(NULL, 0, 0, 4096, 0, 0, &m), -EINVAL);
	ck_assert_int_eq(vfiomap_map_region(NULL, 0, 0, NULL), -EINVAL);
	ck_assert_int_eq(vfiomap_region_read(NULL, 0, 0, buf, 8), -EINVAL);
	ck_assert_int_eq(vfiomap_region_write(NULL, 0, 0, buf, 8), -EINVAL);
	ck_assert_int_eq(vfiomap_device_name(NULL, buf, sizeof(buf)), -EINVAL);
	ck_assert_int_eq(vfiomap_unmap(NULL), 0);
	ck_assert_ptr_null(vfiomap_mapping_addr(NULL));
	ck_assert_uint_eq(vfiomap_mapping_size(NULL), 0);
	ck_assert_uint_eq(vfiomap_mapping_cookie(NULL), 0);
	ck_assert_uint_eq(vfiomap_device_ioctl_count(NULL), 0);
	ck_assert_ptr_null(vfiomap_device_bdf(NULL));
	vfiomap_device_close(NULL);
}
END_TEST

START_TEST(bad_options)
{
	struct vfiomap_device *dev = NULL;
	struct vfiomap_open_opts o = { .size = sizeof(o), .mode = 42 };

	ck_assert_int_eq(vfiomap_device_open("0000:00:04.0", &o, &dev), -EINVAL);
	ck_assert_ptr_nonnull(strstr(vfiomap_strerror(), "mode"));
	o.mode = VFIOMAP_MODE_AUTO;
	o.flags = 0x80;
	ck_assert_int_eq(vfiomap_device_open("0000:00:04.0", &o, &dev), -EINVAL);
	ck_assert_ptr_nonnull(strstr(vfiomap_strerror(), "flags"));
	o.flags = 0;
	o.size = 1;
	ck_assert_int_eq(vfiomap_device_open("0000:00:04.0", &o, &dev), -EINVAL);
	ck_assert_int_eq(vfiomap_device_open("not-a-bdf", NULL, &dev), -EINVAL);
	ck_assert_ptr_nonnull(strstr(vfiomap_strerror(), "not-a-bdf"));
	ck_assert_int_eq(vfiomap_device_adopt(0, 0x100, &dev), -EINVAL);
}
END_TEST

START_TEST(adopt_non_vfio_fd)
{
	struct vfiomap_device *dev = (void *)1;
	int fd = open("/dev/null", O_RDWR);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(vfiomap_device_adopt(fd, VFIOMAP_ADOPT_OWN_FD, &dev), -ENOTTY);
	ck_assert_ptr_null(dev);
	ck_assert_ptr_nonnull(strstr(vfiomap_strerror(), "not a usable VFIO device"));
	/* the library did not close a fd it failed to adopt */
	ck_assert_int_eq(fcntl(fd, F_GETFD), 0);
	close(fd);
}
END_TEST

static void *fail_in_thread(void *arg)
{
	struct vfiomap_device *dev;

	(void)arg;
	vfiomap_device_open("zz:zz.z", NULL, &dev);
	return strdup(vfiomap_strerror());
}

START_TEST(messages_are_per_thread)
{
	struct vfiomap_device *dev;
	pthread_t t;
	char *other;

	ck_assert_int_eq(vfiomap_device_open("not-a-bdf", NULL, &dev), -EINVAL);
	ck_assert_int_eq(pthread_create(&t, NULL, fail_in_thread, NULL), 0);
	ck_assert_int_eq(pthread_join(t, (void **)&other), 0);
	ck_assert_ptr_nonnull(strstr(other, "zz:zz.z"));
	ck_assert_ptr_nonnull(strstr(vfiomap_strerror(), "not-a-bdf"));
	ck_assert_ptr_null(strstr(vfiomap_strerror(), "zz:zz.z"));
	free(other);
}
END_TEST

static int logged;
static char last_log[512];

static void log_fn(enum vfiomap_log_level level, const char *msg, void *ctx)
{
	ck_assert_ptr_eq(ctx, &logged);
	if (level == VFIOMAP_LOG_ERROR) {
		logged++;
		strncpy(last_log, msg, sizeof(last_log) - 1);
	}
}

START_TEST(log_callback)
{
	struct vfiomap_device *dev;

	logged = 0;
	vfiomap_set_log_fn(log_fn, &logged);
	ck_assert_int_eq(vfiomap_device_open("bogus", NULL, &dev), -EINVAL);
	ck_assert_int_eq(logged, 1);
	ck_assert_str_eq(last_log, vfiomap_strerror());
	vfiomap_set_log_fn(NULL, NULL);
	ck_assert_int_eq(vfiomap_device_open("bogus", NULL, &dev), -EINVAL);
	ck_assert_int_eq(logged, 1);
}
END_TEST

START_TEST(huge_align_exported)
{
	ck_assert_uint_eq(vfiomap_huge_align(1ULL << 30, 0), 1ULL << 30);
	ck_assert_uint_eq(vfiomap_huge_align(1ULL << 21, 1ULL << 12), 1ULL << 12);
}
END_TEST

/*
 * Unregistering the log callback waits for deliveries in other threads
 * (0.3): when vfiomap_set_log_fn() returns, the old context may be freed.
 * Before, it returned while another thread was still in the callback with
 * the old context (this test saw done == 0).  A callback that replaces
 * the callback itself does not wait for itself.
 */
struct slow_log {
	atomic_int entered, done;
};

static void slow_cb(enum vfiomap_log_level level, const char *msg, void *ctx)
{
	struct slow_log *l = ctx;

	(void)level;
	(void)msg;
	if (atomic_exchange(&l->entered, 1))
		return;
	usleep(300 * 1000);
	atomic_store(&l->done, 1);
}

static void *fail_once(void *arg)
{
	(void)arg;
	vfiomap_device_fd(NULL);	/* -EINVAL, logged */
	return NULL;
}

static void self_unregistering_cb(enum vfiomap_log_level level, const char *msg, void *ctx)
{
	(void)level;
	(void)msg;
	vfiomap_set_log_fn(NULL, NULL);
	*(int *)ctx = 1;
}

START_TEST(unregistering_waits_for_deliveries)
{
	struct slow_log *l = calloc(1, sizeof(*l));
	pthread_t t;
	int called = 0;

	ck_assert_ptr_nonnull(l);
	vfiomap_set_log_fn(slow_cb, l);
	ck_assert_int_eq(pthread_create(&t, NULL, fail_once, NULL), 0);
	while (!atomic_load(&l->entered))
		usleep(1000);
	vfiomap_set_log_fn(NULL, NULL);
	ck_assert_msg(atomic_load(&l->done), "vfiomap_set_log_fn(NULL) returned during a delivery");
	free(l);
	ck_assert_int_eq(pthread_join(t, NULL), 0);

	vfiomap_set_log_fn(self_unregistering_cb, &called);
	ck_assert_int_eq(vfiomap_device_fd(NULL), -EINVAL);
	ck_assert_int_eq(called, 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("api");
	TCase *tc = tcase_create("misuse");

	tcase_add_test(tc, null_arguments);
	tcase_add_test(tc, bad_options);
	tcase_add_test(tc, adopt_non_vfio_fd);
	tcase_add_test(tc, messages_are_per_thread);
	tcase_add_test(tc, log_callback);
	tcase_add_test(tc, huge_align_exported);
	tcase_add_test(tc, unregistering_waits_for_deliveries);
	suite_add_tcase(s, tc);
	return ck_run(s);
}
