// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Device-level behaviour against the fake VFIO kernel (fake_vfio.c):
 * error messages, logging, opening through sysfs and /dev trees.
 */
#include <check.h>
#include <dirent.h>
#include <stddef.h>
#include <unistd.h>
#include <errno.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
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
	/* the tree: fake_tree_create() set VFIOMAP_SYSFS_ROOT, VFIOMAP_DEV_ROOT */
	struct vfiomap_open_opts o = { .size = sizeof(o), .mode = mode, .flags = flags };

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

/* vfiomap_set_logger() (0.3): ordered severities and a threshold */
static unsigned int sev_count[4];
static void sev_cb(enum vfiomap_severity sev, const char *msg, void *ctx)
{
	(void)msg;
	(void)ctx;
	if ((unsigned int)sev < 4)
		sev_count[sev]++;
}

START_TEST(logger_threshold)
{
	struct vfiomap_device *dev = NULL;
	struct vfiomap_open_opts o;

	fake_tree_create(&tree, "0000:00:04.0", "vfio0", false);
	o = tree_opts(VFIOMAP_MODE_AUTO, 0);
	/* everything: AUTO's failed cdev try (DEBUG), its fallback (INFO) */
	memset(sev_count, 0, sizeof(sev_count));
	ck_assert_int_eq(vfiomap_set_logger(sev_cb, NULL, VFIOMAP_SEV_DEBUG), 0);
	ck_assert_int_eq(vfiomap_device_open("0000:00:04.0", &o, &dev), 0);
	vfiomap_device_close(dev);
	ck_assert_uint_ge(sev_count[VFIOMAP_SEV_DEBUG], 1);
	ck_assert_uint_ge(sev_count[VFIOMAP_SEV_INFO], 1);
	ck_assert_uint_eq(sev_count[VFIOMAP_SEV_ERROR], 0);
	/* errors only: the same open delivers nothing, a failure one ERROR */
	memset(sev_count, 0, sizeof(sev_count));
	ck_assert_int_eq(vfiomap_set_logger(sev_cb, NULL, VFIOMAP_SEV_ERROR), 0);
	ck_assert_int_eq(vfiomap_device_open("0000:00:04.0", &o, &dev), 0);
	vfiomap_device_close(dev);
	ck_assert_int_eq(vfiomap_device_open("0000:00:09.0", &o, &dev), -ENODEV);
	ck_assert_uint_eq(sev_count[VFIOMAP_SEV_DEBUG] + sev_count[VFIOMAP_SEV_INFO], 0);
	ck_assert_uint_eq(sev_count[VFIOMAP_SEV_ERROR], 1);
	/* a bad threshold changes nothing (its own failure is logged) */
	ck_assert_int_eq(vfiomap_set_logger(sev_cb, NULL, (enum vfiomap_severity)7), -EINVAL);
	ck_assert_uint_eq(sev_count[VFIOMAP_SEV_ERROR], 2);
	ck_assert_int_eq(vfiomap_device_open("0000:00:04.0", &o, &dev), 0);
	vfiomap_device_close(dev);
	ck_assert_uint_eq(sev_count[VFIOMAP_SEV_DEBUG] + sev_count[VFIOMAP_SEV_INFO], 0);
	/* the 0.1 callback replaces it */
	log_to_cb(NULL);
	ck_assert_int_eq(vfiomap_device_open("0000:00:09.0", &o, &dev), -ENODEV);
	ck_assert_uint_eq(sev_count[VFIOMAP_SEV_ERROR], 2);
	vfiomap_set_logger(NULL, NULL, VFIOMAP_SEV_ERROR);
}
END_TEST

/*
 * vfiomap_device_set_logger() (0.3): a device's own sink takes the
 * messages of the calls on that device, its mappings and its cookies
 * (queued ones under the device lock included); everything else goes to
 * the process-wide sink.  Before 0.3 there was only that one.
 */
struct sink_rec {
	int n[4];
	char last[512];
};

static void rec_cb(enum vfiomap_severity sev, const char *msg, void *ctx)
{
	struct sink_rec *r = ctx;

	if ((unsigned int)sev < 4)
		r->n[sev]++;
	snprintf(r->last, sizeof(r->last), "%s", msg);
}

START_TEST(device_logger_takes_its_devices_messages)
{
	struct vfiomap_device *a = fake_adopt(), *b = fake_adopt();
	struct vfiomap_map_opts bad = { .size = sizeof(bad), .flags = 1u << 30 };
	struct sink_rec all = { 0 }, ra = { 0 }, rb = { 0 };
	const struct vfiomap_region *r;
	struct vfiomap_mapping *m;

	ck_assert_int_eq(vfiomap_set_logger(rec_cb, &all, VFIOMAP_SEV_DEBUG), 0);
	ck_assert_int_eq(vfiomap_device_set_logger(a, rec_cb, &ra, VFIOMAP_SEV_ERROR), 0);
	ck_assert_int_eq(vfiomap_device_set_logger(b, rec_cb, &rb, VFIOMAP_SEV_DEBUG), 0);
	/* found under a's lock, delivered after it: to a's sink */
	fake.regions[2].err = EIO;
	ck_assert_int_eq(vfiomap_region_get(a, 2, &r), -EIO);
	ck_assert_int_eq(ra.n[VFIOMAP_SEV_ERROR], 1);
	ck_assert_str_eq(ra.last, vfiomap_last_error());
	ck_assert_int_eq(rb.n[VFIOMAP_SEV_ERROR] + all.n[VFIOMAP_SEV_ERROR], 0);
	ck_assert_int_eq(vfiomap_region_get(b, 2, &r), -EIO);
	ck_assert_int_eq(rb.n[VFIOMAP_SEV_ERROR], 1);
	ck_assert_int_eq(ra.n[VFIOMAP_SEV_ERROR] + all.n[VFIOMAP_SEV_ERROR], 1);
	fake.regions[2].err = 0;
	/* an argument error of a map call on b */
	ck_assert_int_eq(vfiomap_map(b, 2, 0, 4096, &bad, &m), -EINVAL);
	ck_assert_int_eq(rb.n[VFIOMAP_SEV_ERROR], 2);
	/* a mapping's call logs to its device's sink */
	ck_assert_int_eq(vfiomap_map(a, 2, 0, 4096, NULL, &m), 0);
	ck_assert_int_eq(vfiomap_unmap(m), 0);
	/* not about a device: the process-wide sink */
	ck_assert_int_eq(vfiomap_device_fd(NULL), -EINVAL);
	ck_assert_int_eq(all.n[VFIOMAP_SEV_ERROR], 1);
	ck_assert_int_eq(ra.n[VFIOMAP_SEV_ERROR], 1);
	ck_assert_int_eq(rb.n[VFIOMAP_SEV_ERROR], 2);
	/* bad arguments change nothing */
	ck_assert_int_eq(vfiomap_device_set_logger(NULL, rec_cb, &ra, VFIOMAP_SEV_ERROR), -EINVAL);
	ck_assert_int_eq(vfiomap_device_set_logger(a, rec_cb, &rb, (enum vfiomap_severity)9),
			 -EINVAL);
	ck_assert_int_eq(all.n[VFIOMAP_SEV_ERROR], 3);
	fake.regions[3].err = EIO;
	ck_assert_int_eq(vfiomap_region_get(a, 3, &r), -EIO);
	ck_assert_int_eq(ra.n[VFIOMAP_SEV_ERROR], 2);
	/* NULL: a's messages go to the process-wide sink again */
	ck_assert_int_eq(vfiomap_device_set_logger(a, NULL, NULL, VFIOMAP_SEV_ERROR), 0);
	ck_assert_int_eq(vfiomap_region_get(a, 3, &r), -EIO);
	ck_assert_int_eq(ra.n[VFIOMAP_SEV_ERROR], 2);
	ck_assert_int_eq(all.n[VFIOMAP_SEV_ERROR], 4);
	/* closed: b's sink is never called again */
	vfiomap_device_close(b);
	ck_assert_int_eq(vfiomap_device_fd(NULL), -EINVAL);
	ck_assert_int_eq(rb.n[VFIOMAP_SEV_ERROR], 2);
	ck_assert_int_eq(all.n[VFIOMAP_SEV_ERROR], 5);
	fake.regions[3].err = 0;
	vfiomap_device_close(a);
	vfiomap_set_logger(NULL, NULL, VFIOMAP_SEV_ERROR);
}
END_TEST

/* Replacing a device's sink waits for a delivery running in another thread. */
struct slow_sink {
	atomic_int entered, done;
};

static void slow_sink_cb(enum vfiomap_severity sev, const char *msg, void *ctx)
{
	struct slow_sink *s = ctx;

	(void)sev;
	(void)msg;
	atomic_store(&s->entered, 1);
	usleep(200 * 1000);
	atomic_store(&s->done, 1);
}

static void *fail_on(void *arg)
{
	const struct vfiomap_region *r;

	vfiomap_region_get(arg, 2, &r);
	return NULL;
}

START_TEST(device_logger_unset_waits_for_deliveries)
{
	struct vfiomap_device *a = fake_adopt();
	struct slow_sink *s = calloc(1, sizeof(*s));
	pthread_t t;

	ck_assert_ptr_nonnull(s);
	fake.regions[2].err = EIO;
	ck_assert_int_eq(vfiomap_device_set_logger(a, slow_sink_cb, s, VFIOMAP_SEV_ERROR), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, fail_on, a), 0);
	while (!atomic_load(&s->entered))
		usleep(1000);
	ck_assert_int_eq(vfiomap_device_set_logger(a, NULL, NULL, VFIOMAP_SEV_ERROR), 0);
	ck_assert_msg(atomic_load(&s->done),
		      "vfiomap_device_set_logger(NULL) returned during a delivery");
	free(s);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	fake.regions[2].err = 0;
	vfiomap_device_close(a);
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

/* The PAT list of a stock kernel where resource2_wc really came out WC */
#define PAT_WC "PAT: [mem 0x00000000fe000000-0x00000000fe004000] uncached-minus\n" \
	       "PAT: [mem 0x00000000fd000000-0x00000000fd001000] write-combining\n"
/* ... and where vfio-pci's UC- ioremap of the BAR came first */
#define PAT_UC "PAT: [mem 0x00000000fd000000-0x00000000fd200000] uncached-minus\n" \
	       "PAT: [mem 0x00000000fd000000-0x00000000fd001000] uncached-minus\n"

/* Stock kernel + sysfs WC fallback: the map works, no ERROR line. */
START_TEST(wc_fallback_success_logs_no_error)
{
	struct vfiomap_device *dev = NULL;
	struct vfiomap_mapping *m;
	struct vfiomap_open_opts o;

	fake_tree_create(&tree, "0000:00:04.0", NULL, false);
	fake_tree_pat(&tree, PAT_WC);
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
	struct fake_file *f;
	char iommu[256];
	uint32_t ioas = 1234;
	unsigned int nr_iommufds = 0;
	int fd;

	fake_tree_create(&tree, "0000:00:04.0", "noiommu-vfio1", true);
	o = tree_opts(VFIOMAP_MODE_CDEV, 0);
	ck_assert_int_eq(vfiomap_device_open("0000:00:04.0", &o, &dev), 0);
	ck_assert_int_eq(vfiomap_device_mode(dev), VFIOMAP_MODE_CDEV);
	/* bound once, to the library's own /dev/iommu: the one it hands out */
	ck_assert_uint_eq(fake.nr_bind, 1);
	fd = vfiomap_device_iommufd(dev, &ioas);
	ck_assert_int_ge(fd, 0);
	f = fake_file_of(fd);
	ck_assert_ptr_nonnull(f);
	snprintf(iommu, sizeof(iommu), "%s/iommu", tree.dev);
	ck_assert_str_eq(f->path, iommu);
	ck_assert_int_eq(f->kind, FAKE_IOMMUFD);
	ck_assert_int_eq(fake.bind_iommufd, fake_id_of(fd));
	for (unsigned int i = 0; i < fake.nr_files; i++)
		nr_iommufds += fake.files[i].kind == FAKE_IOMMUFD;
	ck_assert_uint_eq(nr_iommufds, 1);
	/* no IOAS: none allocated in it, none attached, none reported */
	ck_assert_uint_eq(f->nr_ioas, 0);
	ck_assert_uint_eq(fake.nr_ioas_alloc, 0);
	ck_assert_uint_eq(fake.nr_attach, 0);
	ck_assert_uint_eq(fake.attach_pt, 0);
	ck_assert_uint_eq(ioas, 0);
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
	struct vfiomap_pci_ids ids = { .size = sizeof(ids) };
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

/* ---- IOMMU contexts: shared containers, IOAS, groups, VF tokens ---- */

static int nr_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static struct vfiomap_device *open_ok(const char *bdf, const struct vfiomap_open_opts *o)
{
	struct vfiomap_device *dev = NULL;
	int ret = vfiomap_device_open(bdf, o, &dev);

	ck_assert_msg(ret == 0, "open %s: %d %s", bdf, ret, vfiomap_strerror());
	return dev;
}

/* The fake's group record of IOMMU group @grp (its last open). */
static struct fake_file *group_file(const char *grp)
{
	char suffix[32];
	struct fake_file *f = NULL;

	snprintf(suffix, sizeof(suffix), "/vfio/%s", grp);
	for (unsigned int i = 0; i < fake.nr_files; i++) {
		size_t l = strlen(fake.files[i].path), n = strlen(suffix);

		if (l >= n && !strcmp(fake.files[i].path + l - n, suffix))
			f = &fake.files[i];
	}
	ck_assert_ptr_nonnull(f);
	return f;
}

/* Two devices of one group: one group open, one container, either closes first. */
START_TEST(two_devices_of_one_group)
{
	struct vfiomap_device *a, *b;
	struct vfiomap_open_opts o;
	const struct vfiomap_region *r;
	int fds;

	fake_tree_create(&tree, "0000:00:04.0", NULL, false);
	fake_tree_add(&tree, "0000:00:05.0", "7", NULL);
	fds = nr_open_fds();
	o = tree_opts(VFIOMAP_MODE_GROUP, 0);
	a = open_ok("0000:00:04.0", &o);
	b = open_ok("0000:00:05.0", &o);	/* the group is open: shared */
	ck_assert_uint_eq(fake.nr_group_opens, 1);
	ck_assert_uint_eq(fake.nr_set_container, 1);
	ck_assert_uint_eq(fake.nr_set_iommu, 1);
	ck_assert_str_eq(fake.device_name, "0000:00:05.0");
	ck_assert_int_ge(vfiomap_device_container_fd(a), 0);
	ck_assert_int_eq(vfiomap_device_container_fd(a), vfiomap_device_container_fd(b));
	vfiomap_device_close(a);
	/* b keeps the group and the container */
	ck_assert_int_ge(fcntl(b->group, F_GETFD), 0);
	ck_assert_int_ge(fcntl(vfiomap_device_container_fd(b), F_GETFD), 0);
	ck_assert_int_eq(vfiomap_region_get(b, 2, &r), 0);
	vfiomap_device_close(b);
	ck_assert_int_eq(nr_open_fds(), fds);		/* group and container closed */
	/* and the group opens again afterwards */
	a = open_ok("0000:00:04.0", &o);
	ck_assert_uint_eq(fake.nr_group_opens, 2);
	vfiomap_device_close(a);
}
END_TEST

/*
 * fork(): the child inherits the parent's open group and container (fds
 * and the library's list), but opening a device of that group in the
 * child must not silently join them: the child gets a group open and a
 * container of its own (the real kernel answers EBUSY to that group open;
 * the fake lets it through, so the test sees which context was used).
 * Before 0.3 the child found the parent's group in the list and joined
 * its container.
 */
START_TEST(fork_child_does_not_join_parent_context)
{
	struct vfiomap_device *a;
	struct vfiomap_open_opts o;
	char verdict = 0;
	int p[2];
	pid_t pid;

	fake_tree_create(&tree, "0000:00:04.0", NULL, false);
	fake_tree_add(&tree, "0000:00:05.0", "7", NULL);
	o = tree_opts(VFIOMAP_MODE_GROUP, 0);
	a = open_ok("0000:00:04.0", &o);
	ck_assert_uint_eq(fake.nr_group_opens, 1);
	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct vfiomap_device *b = NULL;
		int ret = vfiomap_device_open("0000:00:05.0", &o, &b);
		/* either refused, or a context of its own: never a's */
		char v = ret == 0 && (fake.nr_group_opens != 2 ||
				      vfiomap_device_container_fd(b) ==
				      vfiomap_device_container_fd(a)) ? 'J' : 'K';

		/* the verdict goes through a pipe: valgrind owns the exit code */
		if (write(p[1], &v, 1) != 1)
			_exit(2);
		vfiomap_device_close(b);
		_exit(0);
	}
	close(p[1]);
	ck_assert_int_eq(read(p[0], &verdict, 1), 1);
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	ck_assert_msg(verdict == 'K', "the child joined the parent's group and container");
	vfiomap_device_close(a);
}
END_TEST

/* A fake ioctl that holds the library's context lock for a while */
static volatile int slow_entered;
static int slow_group_status(unsigned long req, void *arg)
{
	(void)arg;
	if (req == VFIO_GROUP_GET_STATUS && !slow_entered) {
		slow_entered = 1;
		usleep(300 * 1000);
	}
	return 0;
}

static void *open_in_thread(void *arg)
{
	struct vfiomap_device *dev = NULL;

	if (!vfiomap_device_open("0000:00:04.0", arg, &dev))
		vfiomap_device_close(dev);
	return NULL;
}

/*
 * A fork() while another thread is inside vfiomap_device_open() (holding
 * the library's context lock): the child must be able to open devices.
 * Without the pthread_atfork() handlers it inherited the lock held by a
 * thread that does not exist in it, and hung (killed by the alarm here).
 */
START_TEST(fork_during_open_does_not_deadlock_the_child)
{
	struct vfiomap_open_opts o;
	char verdict = 0;
	pthread_t t;
	int p[2];
	pid_t pid;

	fake_tree_create(&tree, "0000:00:04.0", NULL, false);
	fake_tree_add(&tree, "0000:00:05.0", "8", NULL);
	ck_assert_int_eq(pipe(p), 0);
	o = tree_opts(VFIOMAP_MODE_GROUP, 0);
	slow_entered = 0;
	fake.hook = slow_group_status;
	ck_assert_int_eq(pthread_create(&t, NULL, open_in_thread, &o), 0);
	while (!slow_entered)
		usleep(1000);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct vfiomap_device *b = NULL;
		char v;

		alarm(2);	/* a hang ends the child: no verdict */
		fake.hook = NULL;
		v = vfiomap_device_open("0000:00:05.0", &o, &b) ? 'F' : 'K';
		vfiomap_device_close(b);
		/* the verdict goes through a pipe: valgrind owns the exit code */
		if (write(p[1], &v, 1) != 1)
			_exit(2);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &verdict, 1) != 1)
		verdict = 'H';
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	fake.hook = NULL;
	ck_assert_msg(verdict == 'K', "child: %s",
		      verdict == 'H' ? "hung (killed by the alarm)" : "the open failed");
}
END_TEST

/* Device enumeration through the public API (0.3), as the CLI lists */
START_TEST(pci_functions_from_sysfs)
{
	struct vfiomap_pci_function f[3];
	struct {
		struct vfiomap_pci_function f;
		uint64_t newer;
	} big[2];

	fake_tree_create(&tree, "0000:00:05.0", "vfio1", true);
	fake_tree_add(&tree, "0000:00:04.0", "9", NULL);
	/* fake_tree_create() set VFIOMAP_SYSFS_ROOT */
	ck_assert_int_eq(vfiomap_pci_functions("vfio-pci", NULL, sizeof(f[0]), 0), 2);
	memset(f, 0xff, sizeof(f));
	ck_assert_int_eq(vfiomap_pci_functions("vfio-pci", f, sizeof(f[0]), 3), 2);
	/* sorted by address */
	ck_assert_str_eq(f[0].bdf, "0000:00:04.0");
	ck_assert_str_eq(f[0].iommu_group, "9");
	ck_assert_str_eq(f[0].cdev, "");
	ck_assert_str_eq(f[1].bdf, "0000:00:05.0");
	ck_assert_str_eq(f[1].driver, "vfio-pci");
	ck_assert_str_eq(f[1].cdev, "vfio1");
	ck_assert_uint_eq(f[1].vendor, 0x1af4);
	ck_assert_uint_eq(f[1].device, 0x1110);
	ck_assert_uint_eq(f[1].bar_start[2], 0xfd000000);
	ck_assert_uint_eq(f[1].bar_end[2], 0xfd1fffff);
	ck_assert_uint_eq(f[1].bar_end[1], 0);
	ck_assert_uint_eq(f[1].size, sizeof(f[1]));
	ck_assert_uint_eq(f[2].vendor, 0xffff);		/* untouched */
	/* only as many as asked for; a newer struct's tail is not the library's */
	memset(big, 0xff, sizeof(big));
	ck_assert_int_eq(vfiomap_pci_functions("vfio-pci", big, sizeof(big[0]), 1), 2);
	ck_assert_str_eq(big[0].f.bdf, "0000:00:04.0");
	ck_assert_uint_eq(big[0].f.size, sizeof(big[0].f));
	ck_assert_uint_eq(big[0].newer, ~0ULL);
	ck_assert_uint_eq(big[1].f.size, (size_t)-1);
	ck_assert_uint_eq(big[1].newer, ~0ULL);
	/*
	 * an older, smaller struct gets the members that fit whole: here all
	 * but the last (bar_flags), and nothing is written past each element
	 */
	{
		size_t small = offsetof(struct vfiomap_pci_function, bar_flags) + 8;
		unsigned char *buf = malloc(2 * small);
		struct vfiomap_pci_function e;

		ck_assert_ptr_nonnull(buf);
		memset(buf, 0xff, 2 * small);
		ck_assert_int_eq(vfiomap_pci_functions("vfio-pci", buf, small, 2), 2);
		memcpy(&e, buf + small, offsetof(struct vfiomap_pci_function, bar_flags));
		ck_assert_str_eq(e.bdf, "0000:00:05.0");
		ck_assert_uint_eq(e.device, 0x1110);
		ck_assert_uint_eq(e.bar_end[2], 0xfd1fffff);
		for (size_t i = offsetof(struct vfiomap_pci_function, bar_flags); i < small; i++)
			ck_assert_uint_eq(buf[small + i], 0xff);
		/* the least: the size and the address */
		small = offsetof(struct vfiomap_pci_function, bdf) + sizeof(e.bdf);
		memset(buf, 0xff, 2 * small);
		ck_assert_int_eq(vfiomap_pci_functions("vfio-pci", buf, small, 2), 2);
		ck_assert_str_eq((char *)buf + small + offsetof(struct vfiomap_pci_function, bdf),
				 "0000:00:05.0");
		ck_assert_int_eq(vfiomap_pci_functions("vfio-pci", buf, small - 1, 2), -EINVAL);
		ck_assert_int_eq(vfiomap_pci_functions("vfio-pci", buf, 0, 2), -EINVAL);
		free(buf);
	}
	/* bad input; a driver that is not loaded has no functions */
	ck_assert_int_eq(vfiomap_pci_functions("vfio-pci", NULL, sizeof(f[0]), 3), -EINVAL);
	ck_assert_int_eq(vfiomap_pci_functions("../x", f, sizeof(f[0]), 3), -EINVAL);
	ck_assert_int_eq(vfiomap_pci_functions(NULL, f, sizeof(f[0]), 3), -EINVAL);
	ck_assert_int_eq(vfiomap_pci_functions("e1000e", f, sizeof(f[0]), 3), 0);
	/* more than the first listing's room (64): all of them, in order */
	for (int i = 0; i < 70; i++) {
		char bdf[16], grp[8];

		snprintf(bdf, sizeof(bdf), "0000:%02x:00.%d", 0x10 + i / 8, i % 8);
		snprintf(grp, sizeof(grp), "%d", 100 + i);
		fake_tree_add(&tree, bdf, grp, NULL);
	}
	{
		struct vfiomap_pci_function many[80];

		ck_assert_int_eq(vfiomap_pci_functions("vfio-pci", many, sizeof(many[0]), 80), 72);
		ck_assert_str_eq(many[1].bdf, "0000:00:05.0");
		ck_assert_str_eq(many[2].bdf, "0000:10:00.0");
		ck_assert_str_eq(many[71].bdf, "0000:18:00.5");
		for (int i = 1; i < 72; i++)
			ck_assert_int_lt(strcmp(many[i - 1].bdf, many[i].bdf), 0);
	}
}
END_TEST

/* Two groups in the container of the first device: the IOMMU is set once. */
START_TEST(two_groups_one_container)
{
	struct vfiomap_device *a, *b;
	struct vfiomap_open_opts o;
	int fds;

	fake_tree_create(&tree, "0000:00:04.0", NULL, false);
	fake_tree_add(&tree, "0000:00:05.0", "8", NULL);
	fds = nr_open_fds();
	o = tree_opts(VFIOMAP_MODE_AUTO, 0);
	a = open_ok("0000:00:04.0", &o);
	o.flags = VFIOMAP_OPEN_CONTAINER;
	o.container_fd = vfiomap_device_container_fd(a);
	b = open_ok("0000:00:05.0", &o);
	ck_assert_int_eq(vfiomap_device_mode(b), VFIOMAP_MODE_GROUP);
	ck_assert_uint_eq(fake.nr_group_opens, 2);
	ck_assert_uint_eq(fake.nr_set_container, 2);
	ck_assert_uint_eq(fake.nr_set_iommu, 1);
	ck_assert_int_eq(group_file("7")->container, group_file("8")->container);
	ck_assert_int_eq(group_file("7")->container,
			 fake_id_of(vfiomap_device_container_fd(a)));
	ck_assert_int_eq(vfiomap_device_container_fd(b), vfiomap_device_container_fd(a));
	vfiomap_device_close(a);
	ck_assert_int_ge(fcntl(vfiomap_device_container_fd(b), F_GETFD), 0);
	vfiomap_device_close(b);
	ck_assert_int_eq(nr_open_fds(), fds);
}
END_TEST

/* The caller's container: duplicated, so the caller may close its copy. */
START_TEST(callers_container)
{
	struct vfiomap_device *a, *b, *c;
	struct vfiomap_open_opts o;
	char path[256];
	int mine, other, fds;

	fake_tree_create(&tree, "0000:00:04.0", NULL, false);
	fake_tree_add(&tree, "0000:00:05.0", "8", NULL);
	fake_tree_add(&tree, "0000:00:06.0", "9", NULL);
	fds = nr_open_fds();
	snprintf(path, sizeof(path), "%s/vfio/vfio", tree.dev);
	mine = vfm__open_node(path);
	ck_assert_int_ge(mine, 0);
	o = tree_opts(VFIOMAP_MODE_AUTO, VFIOMAP_OPEN_CONTAINER);
	o.container_fd = mine;
	a = open_ok("0000:00:04.0", &o);
	ck_assert_int_ne(vfiomap_device_container_fd(a), mine);
	ck_assert_int_eq(fake_id_of(vfiomap_device_container_fd(a)), fake_id_of(mine));
	ck_assert_uint_eq(fake.nr_set_iommu, 1);
	/* the caller's own number again: the same context */
	b = open_ok("0000:00:05.0", &o);
	ck_assert_int_eq(vfiomap_device_container_fd(b), vfiomap_device_container_fd(a));
	ck_assert_uint_eq(fake.nr_set_iommu, 1);
	/* another fd of the same container, its IOMMU already set: taken as set */
	other = dup(mine);
	close(mine);
	o.container_fd = other;
	c = open_ok("0000:00:06.0", &o);
	ck_assert_int_eq(group_file("9")->container, group_file("7")->container);
	ck_assert_uint_eq(fake.nr_set_iommu, 1);
	close(other);
	vfiomap_device_close(a);
	vfiomap_device_close(c);
	vfiomap_device_close(b);
	ck_assert_int_eq(nr_open_fds(), fds);
}
END_TEST

/*
 * The caller closes the fd it passed and gets the number back for another
 * container: a device opened with it must go to the new container.
 */
START_TEST(callers_fd_number_reused)
{
	struct vfiomap_device *a, *b;
	struct vfiomap_open_opts o;
	char path[256];
	int first, second;

	fake_tree_create(&tree, "0000:00:04.0", NULL, false);
	fake_tree_add(&tree, "0000:00:05.0", "8", NULL);
	snprintf(path, sizeof(path), "%s/vfio/vfio", tree.dev);
	first = vfm__open_node(path);
	o = tree_opts(VFIOMAP_MODE_GROUP, VFIOMAP_OPEN_CONTAINER);
	o.container_fd = first;
	a = open_ok("0000:00:04.0", &o);
	close(first);
	second = vfm__open_node(path);
	ck_assert_int_eq(second, first);		/* the same number */
	b = open_ok("0000:00:05.0", &o);
	ck_assert_int_ne(group_file("8")->container, group_file("7")->container);
	ck_assert_int_eq(group_file("8")->container, fake_id_of(second));
	ck_assert_uint_eq(fake.nr_set_iommu, 2);
	close(second);
	vfiomap_device_close(b);
	vfiomap_device_close(a);
}
END_TEST

/* A container whose IOMMU its owner set already: VFIO_SET_IOMMU is not needed. */
START_TEST(callers_container_with_iommu_set)
{
	struct vfiomap_device *dev;
	struct vfiomap_open_opts o;
	struct fake_file *f;
	char path[256];
	int mine;

	fake_tree_create(&tree, "0000:00:04.0", NULL, false);
	snprintf(path, sizeof(path), "%s/vfio/vfio", tree.dev);
	mine = vfm__open_node(path);
	f = fake_file_of(mine);
	f->nr_groups = 1;			/* the VMM's own group is in it */
	f->iommu_set = true;
	o = tree_opts(VFIOMAP_MODE_AUTO, VFIOMAP_OPEN_CONTAINER);
	o.container_fd = mine;
	dev = open_ok("0000:00:04.0", &o);
	ck_assert_uint_eq(fake.nr_set_iommu, 0);	/* the kernel refused: taken as set */
	ck_assert_int_eq(group_file("7")->container, fake_id_of(mine));
	vfiomap_device_close(dev);
	close(mine);
}
END_TEST

/* An open group cannot join a second container. */
START_TEST(open_group_in_another_container_is_busy)
{
	struct vfiomap_device *a, *b = NULL;
	struct vfiomap_open_opts o;
	char path[256];
	int other;

	fake_tree_create(&tree, "0000:00:04.0", NULL, false);
	fake_tree_add(&tree, "0000:00:05.0", "7", NULL);
	o = tree_opts(VFIOMAP_MODE_GROUP, 0);
	a = open_ok("0000:00:04.0", &o);
	snprintf(path, sizeof(path), "%s/vfio/vfio", tree.dev);
	other = vfm__open_node(path);
	o.flags = VFIOMAP_OPEN_CONTAINER;
	o.container_fd = other;
	ck_assert_int_eq(vfiomap_device_open("0000:00:05.0", &o, &b), -EBUSY);
	ck_assert_ptr_null(b);
	ck_assert_msg(strstr(vfiomap_strerror(), "already attached to another container"),
		      "%s", vfiomap_strerror());
	ck_assert_uint_eq(fake.nr_group_opens, 1);
	close(other);
	vfiomap_device_close(a);
}
END_TEST

/*
 * An IOAS the library allocates in a caller's iommufd is the library's:
 * it is destroyed when its last device closes, so open/close cycles leave
 * none behind; an IOAS the caller names stays the caller's.  Before 0.3
 * five cycles left five live IOAS (with whatever was mapped in them).
 */
START_TEST(ioas_in_callers_iommufd_is_destroyed)
{
	struct vfiomap_open_opts o;
	struct vfiomap_device *dev;
	struct fake_file *f;
	uint32_t mine_ioas;
	char path[256];
	int mine;

	fake_tree_create(&tree, "0000:00:04.0", "vfio0", true);
	snprintf(path, sizeof(path), "%s/iommu", tree.dev);
	mine = vfm__open_node(path);
	ck_assert_int_ge(mine, 0);
	f = fake_file_of(mine);
	o = tree_opts(VFIOMAP_MODE_CDEV, VFIOMAP_OPEN_IOMMUFD);
	o.iommufd = mine;
	for (int i = 0; i < 5; i++) {
		dev = open_ok("0000:00:04.0", &o);
		ck_assert_uint_eq(f->nr_ioas, 1);
		vfiomap_device_close(dev);
		ck_assert_msg(f->nr_ioas == 0, "cycle %d: %u IOAS left in the caller's iommufd",
			      i, f->nr_ioas);
	}
	ck_assert_uint_eq(fake.nr_destroy, 5);
	/* the caller's own IOAS: used, never destroyed */
	mine_ioas = fake_ioas_alloc(mine);
	o.ioas_id = mine_ioas;
	dev = open_ok("0000:00:04.0", &o);
	vfiomap_device_close(dev);
	ck_assert_uint_eq(f->nr_ioas, 1);
	ck_assert_uint_eq(fake.nr_destroy, 5);
	close(mine);
}
END_TEST

/* cdev: the IOAS of the first device, then the caller's own IOAS. */
START_TEST(iommufd_shared_ioas)
{
	struct vfiomap_device *a, *b, *c, *d = NULL;
	struct vfiomap_open_opts o;
	uint32_t ioas = 0, ioas_b = 0, mine_ioas;
	char path[256];
	int fd, mine, fds;

	fake_tree_create(&tree, "0000:00:04.0", "vfio0", true);
	fake_tree_add(&tree, "0000:00:05.0", "8", "vfio1");
	fake_tree_add(&tree, "0000:00:06.0", "9", "vfio2");
	fds = nr_open_fds();
	o = tree_opts(VFIOMAP_MODE_CDEV, 0);
	a = open_ok("0000:00:04.0", &o);
	fd = vfiomap_device_iommufd(a, &ioas);
	ck_assert_int_ge(fd, 0);
	ck_assert_uint_eq(ioas, fake.attach_pt);
	ck_assert_uint_eq(fake.nr_ioas_alloc, 1);
	o = tree_opts(VFIOMAP_MODE_AUTO, VFIOMAP_OPEN_IOMMUFD);
	o.iommufd = fd;
	o.ioas_id = ioas;
	b = open_ok("0000:00:05.0", &o);
	ck_assert_int_eq(vfiomap_device_mode(b), VFIOMAP_MODE_CDEV);
	ck_assert_uint_eq(fake.nr_ioas_alloc, 1);
	ck_assert_uint_eq(fake.attach_pt, ioas);
	ck_assert_int_eq(vfiomap_device_iommufd(b, &ioas_b), fd);
	ck_assert_uint_eq(ioas_b, ioas);
	/* a VMM's iommufd and IOAS; it closes its fd after the open */
	snprintf(path, sizeof(path), "%s/iommu", tree.dev);
	mine = vfm__open_node(path);
	mine_ioas = fake_ioas_alloc(mine);
	o.iommufd = mine;
	o.ioas_id = mine_ioas;
	c = open_ok("0000:00:06.0", &o);
	ck_assert_uint_eq(fake.nr_ioas_alloc, 1);
	ck_assert_uint_eq(fake.attach_pt, mine_ioas);
	ck_assert_int_eq(fake.bind_iommufd, fake_id_of(mine));
	close(mine);
	ck_assert_int_eq(fake_id_of(vfiomap_device_iommufd(c, &ioas_b)), fake.bind_iommufd);
	ck_assert_uint_eq(ioas_b, mine_ioas);
	vfiomap_device_close(c);
	/* an IOAS the iommufd does not have: the kernel's ENOENT */
	o.iommufd = fd;
	o.ioas_id = 999;
	vfiomap_device_close(b);
	ck_assert_int_eq(vfiomap_device_open("0000:00:05.0", &o, &d), -ENOENT);
	ck_assert_ptr_nonnull(strstr(vfiomap_strerror(), "IOAS 999"));
	/* the getters say which kind a device has */
	ck_assert_int_eq(vfiomap_device_container_fd(a), -ENOENT);
	ck_assert_ptr_nonnull(strstr(vfiomap_strerror(), "vfiomap_device_iommufd"));
	vfiomap_device_close(a);
	ck_assert_int_eq(nr_open_fds(), fds);
}
END_TEST

static const char *token = "12345678-9abc-def0-1234-56789ABCDEF0";

/* The VF token: "vf_token=" in the group's device name, the bind flag in cdev mode. */
START_TEST(vf_token_group_and_cdev)
{
	static const uint8_t bytes[16] = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
					   0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0 };
	struct vfiomap_device *dev = NULL;
	struct vfiomap_open_opts o;

	fake_tree_create(&tree, "0000:00:04.0", "vfio0", true);
	o = tree_opts(VFIOMAP_MODE_GROUP, 0);
	o.vf_token = token;
	dev = open_ok("0000:00:04.0", &o);
	ck_assert_str_eq(fake.device_name, "0000:00:04.0 vf_token=12345678-9abc-def0-1234-56789ABCDEF0");
	vfiomap_device_close(dev);
	o.mode = VFIOMAP_MODE_CDEV;
	dev = open_ok("0000:00:04.0", &o);
	ck_assert_uint_eq(fake.bind_flags, 1);
	ck_assert_mem_eq(fake.bind_token, bytes, 16);
	vfiomap_device_close(dev);
	o.vf_token = NULL;
	dev = open_ok("0000:00:04.0", &o);
	ck_assert_uint_eq(fake.bind_flags, 0);
	vfiomap_device_close(dev);
	/* not a UUID: refused before the kernel is asked */
	fake.nr_ioctls = 0;
	o.vf_token = "12345678-9abc-def0-1234-56789abcdef";
	ck_assert_int_eq(vfiomap_device_open("0000:00:04.0", &o, &dev), -EINVAL);
	o.vf_token = "12345678-9abc-def0-1234x56789abcdef0";
	ck_assert_int_eq(vfiomap_device_open("0000:00:04.0", &o, &dev), -EINVAL);
	ck_assert_ptr_nonnull(strstr(vfiomap_strerror(), "not a UUID"));
	ck_assert_uint_eq(fake.nr_ioctls, 0);
}
END_TEST

START_TEST(context_options_checked)
{
	struct vfiomap_device *dev = NULL;
	struct {
		struct vfiomap_open_opts o;
		uint64_t newer;
	} big;
	struct vfiomap_open_opts o;

	fake_tree_create(&tree, "0000:00:04.0", "vfio0", true);
	o = tree_opts(VFIOMAP_MODE_CDEV, VFIOMAP_OPEN_CONTAINER);
	o.container_fd = 0;
	ck_assert_int_eq(vfiomap_device_open("0000:00:04.0", &o, &dev), -EINVAL);
	o = tree_opts(VFIOMAP_MODE_GROUP, VFIOMAP_OPEN_IOMMUFD);
	ck_assert_int_eq(vfiomap_device_open("0000:00:04.0", &o, &dev), -EINVAL);
	o = tree_opts(VFIOMAP_MODE_AUTO, VFIOMAP_OPEN_IOMMUFD | VFIOMAP_OPEN_CONTAINER);
	ck_assert_int_eq(vfiomap_device_open("0000:00:04.0", &o, &dev), -EINVAL);
	o = tree_opts(VFIOMAP_MODE_AUTO, VFIOMAP_OPEN_CONTAINER);
	o.container_fd = -1;
	ck_assert_int_eq(vfiomap_device_open("0000:00:04.0", &o, &dev), -EBADF);
	o.container_fd = 1000;		/* not open */
	ck_assert_int_eq(vfiomap_device_open("0000:00:04.0", &o, &dev), -EBADF);
	o = tree_opts(VFIOMAP_MODE_AUTO, 0);
	o.container_fd = 5;		/* without its flag */
	ck_assert_int_eq(vfiomap_device_open("0000:00:04.0", &o, &dev), -EINVAL);
	ck_assert_ptr_null(dev);
	/* a 0.1-sized struct still opens; a newer one with a set tail does not */
	o = tree_opts(VFIOMAP_MODE_GROUP, 0);
	o.size = offsetof(struct vfiomap_open_opts, container_fd);
	dev = open_ok("0000:00:04.0", &o);
	ck_assert_int_ge(vfiomap_device_container_fd(dev), 0);
	ck_assert_int_eq(vfiomap_device_iommufd(dev, NULL), -ENOENT);
	vfiomap_device_close(dev);
	memset(&big, 0, sizeof(big));
	big.o = tree_opts(VFIOMAP_MODE_GROUP, 0);
	big.o.size = sizeof(big);
	dev = open_ok("0000:00:04.0", &big.o);
	vfiomap_device_close(dev);
	big.newer = 1;
	ck_assert_int_eq(vfiomap_device_open("0000:00:04.0", &big.o, &dev), -EINVAL);
	/* an adopted device has no context of the library's */
	dev = fake_adopt();
	ck_assert_int_eq(vfiomap_device_container_fd(dev), -ENOENT);
	ck_assert_int_eq(vfiomap_device_iommufd(dev, NULL), -ENOENT);
	vfiomap_device_close(dev);
}
END_TEST

/* ---- adopt: the library works on its own duplicate of the fd ---- */

/* A VMM opens the device, adopts it, closes its copy: the library still works. */
START_TEST(adopt_duplicates_the_fd)
{
	struct vfiomap_device *dev = NULL;
	struct vfiomap_mapping *m;
	const struct vfiomap_region *r;
	uint32_t v = 0x5a5aa5a5;
	int vmm = fcntl(fake.memfd, F_DUPFD_CLOEXEC, 0);

	ck_assert_int_eq(vfiomap_device_adopt_opts(vmm, NULL, &dev), 0);
	ck_assert_int_ne(vfiomap_device_fd(dev), vmm);
	ck_assert_int_ne(fcntl(vfiomap_device_fd(dev), F_GETFD) & FD_CLOEXEC, 0);
	close(vmm);
	ck_assert_int_eq(vfiomap_region_get(dev, 2, &r), 0);
	ck_assert_int_eq(vfiomap_map_region(dev, 2, 0, &m), 0);
	ck_assert_int_eq(vfiomap_region_write(dev, 2, 0x100, &v, 4), 4);
	ck_assert_uint_eq(((volatile uint32_t *)vfiomap_mapping_addr(m))[0x40], v);
	vfiomap_device_close(dev);

	/* the reverse: the library closes, the VMM's fd still works */
	vmm = fcntl(fake.memfd, F_DUPFD_CLOEXEC, 0);
	ck_assert_int_eq(vfiomap_device_adopt_opts(vmm, NULL, &dev), 0);
	vfiomap_device_close(dev);
	ck_assert_int_ge(fcntl(vmm, F_GETFD), 0);
	v = 0;
	ck_assert_int_eq(pread(vmm, &v, 4, (2LL << FAKE_REGION_SHIFT) + 0x100), 4);
	ck_assert_uint_eq(v, 0x5a5aa5a5);
	close(vmm);
}
END_TEST

/*
 * 0.3: an adopted fd reports how it was opened.  The fake's device fds are
 * not character devices, so they are group device fds: type1, or no-IOMMU
 * when the group is a /dev/vfio/noiommu-N; unknown (AUTO) without the
 * address.  (A cdev, a character device, is checked in the VM: lib-vm's
 * adopt_vmm_fd.)  Before: AUTO in every case.
 */
START_TEST(adopted_fd_reports_its_mode)
{
	struct vfiomap_adopt_opts o = { .size = sizeof(o), .bdf = "0000:00:04.0" };
	struct vfiomap_device *dev;
	char path[256];
	int vmm = fcntl(fake.memfd, F_DUPFD_CLOEXEC, 0), fd;

	fake_tree_create(&tree, "0000:00:04.0", NULL, false);
	ck_assert_int_eq(vfiomap_device_adopt_opts(vmm, NULL, &dev), 0);
	ck_assert_int_eq(vfiomap_device_mode(dev), VFIOMAP_MODE_AUTO);
	vfiomap_device_close(dev);
	ck_assert_int_eq(vfiomap_device_adopt_opts(vmm, &o, &dev), 0);
	ck_assert_int_eq(vfiomap_device_mode(dev), VFIOMAP_MODE_GROUP);
	vfiomap_device_close(dev);

	snprintf(path, sizeof(path), "%s/vfio/noiommu-7", tree.dev);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(vfiomap_device_adopt_opts(vmm, &o, &dev), 0);
	ck_assert_int_eq(vfiomap_device_mode(dev), VFIOMAP_MODE_NOIOMMU);
	vfiomap_device_close(dev);
	unlink(path);
	close(vmm);
}
END_TEST

/* The 0.1 call: without OWN_FD a duplicate too; with it the fd is handed over. */
START_TEST(adopt_old_interface)
{
	struct vfiomap_device *dev = NULL;
	int vmm = fcntl(fake.memfd, F_DUPFD_CLOEXEC, 0);

	ck_assert_int_eq(vfiomap_device_adopt(vmm, 0, &dev), 0);
	ck_assert_int_ne(vfiomap_device_fd(dev), vmm);
	vfiomap_device_close(dev);
	ck_assert_int_ge(fcntl(vmm, F_GETFD), 0);
	ck_assert_int_eq(vfiomap_device_adopt(vmm, VFIOMAP_ADOPT_OWN_FD, &dev), 0);
	ck_assert_int_eq(vfiomap_device_fd(dev), vmm);
	vfiomap_device_close(dev);
	ck_assert_int_lt(fcntl(vmm, F_GETFD), 0);	/* closed with the device */
	ck_assert_int_eq(vfiomap_device_adopt(vmm, 0, &dev), -EBADF);
	ck_assert_ptr_null(dev);
}
END_TEST

START_TEST(adopt_options)
{
	struct vfiomap_adopt_opts o = { .size = sizeof(o) };
	struct vfiomap_device *dev = NULL;
	int vmm = fcntl(fake.memfd, F_DUPFD_CLOEXEC, 0), fds;

	fake_tree_create(&tree, "0000:00:04.0", NULL, false);
	fds = nr_open_fds();
	/* its own flag namespace: an unknown flag is refused */
	o.flags = 1u << 7;
	ck_assert_int_eq(vfiomap_device_adopt_opts(vmm, &o, &dev), -EINVAL);
	/* since 0.3 the one adopt call hands the fd over, too */
	{
		int own = fcntl(fake.memfd, F_DUPFD_CLOEXEC, 0);

		o.flags = VFIOMAP_ADOPT_OWN_FD;
		ck_assert_int_eq(vfiomap_device_adopt_opts(own, &o, &dev), 0);
		ck_assert_int_eq(vfiomap_device_fd(dev), own);	/* not a duplicate */
		vfiomap_device_close(dev);
		ck_assert_int_eq(fcntl(own, F_GETFD), -1);	/* closed with the device */
		ck_assert_int_eq(nr_open_fds(), fds);
		dev = NULL;
	}
	o.flags = VFIOMAP_ADOPT_WC_SYSFS_FALLBACK;	/* needs the address */
	ck_assert_int_eq(vfiomap_device_adopt_opts(vmm, &o, &dev), -EINVAL);
	o.bdf = "0000:00:05.0";				/* not in sysfs */
	ck_assert_int_eq(vfiomap_device_adopt_opts(vmm, &o, &dev), -ENODEV);
	o.bdf = "00:04";
	ck_assert_int_eq(vfiomap_device_adopt_opts(vmm, &o, &dev), -EINVAL);
	ck_assert_int_eq(nr_open_fds(), fds);		/* failures leak nothing */
	o.bdf = "00:04.0";
	ck_assert_int_eq(vfiomap_device_adopt_opts(vmm, &o, &dev), 0);
	ck_assert_str_eq(vfiomap_device_bdf(dev), "0000:00:04.0");
	ck_assert_uint_eq(dev->flags, VFIOMAP_OPEN_WC_SYSFS_FALLBACK);
	vfiomap_device_close(dev);
	/* an address whose IDs are not the fd's device */
	fake_tree_add(&tree, "0000:00:06.0", "9", NULL);
	{
		char p[512];
		FILE *f;

		snprintf(p, sizeof(p), "%s/bus/pci/devices/0000:00:06.0/device", tree.sysfs);
		f = fopen(p, "w");
		fputs("0x11e8\n", f);
		fclose(f);
	}
	o.bdf = "0000:00:06.0";
	ck_assert_int_eq(vfiomap_device_adopt_opts(vmm, &o, &dev), -EINVAL);
	ck_assert_msg(strstr(vfiomap_strerror(), "wrong address"), "%s", vfiomap_strerror());
	close(vmm);
}
END_TEST

static bool resource_wc_mapped(void)
{
	char line[512];
	bool found = false;
	FILE *f = fopen("/proc/self/maps", "re");

	while (f && fgets(line, sizeof(line), f))
		found |= strstr(line, "resource2_wc") != NULL;
	if (f)
		fclose(f);
	return found;
}

/*
 * Stock vfio-pci mapped the BAR UC- first: the resource2_wc mapping came
 * out UC- (PAT) and is refused, with the reason, and not left mapped.
 */
START_TEST(sysfs_wc_that_came_out_uc_is_refused)
{
	struct vfiomap_device *dev = NULL;
	struct vfiomap_mapping *m = NULL;
	struct vfiomap_open_opts o;

	fake_tree_create(&tree, "0000:00:04.0", NULL, false);
	fake_tree_pat(&tree, PAT_UC);
	o = tree_opts(VFIOMAP_MODE_GROUP, VFIOMAP_OPEN_WC_SYSFS_FALLBACK);
	fake.cookie_uapi = false;
	ck_assert_int_eq(vfiomap_device_open("0000:00:04.0", &o, &dev), 0);
	ck_assert_int_eq(vfiomap_map_range(dev, 2, 0, 0x1000, VFIOMAP_ATTR_WC, 0, &m), -EOPNOTSUPP);
	ck_assert_ptr_null(m);
	ck_assert_msg(strstr(vfiomap_strerror(), "came out uncached-minus") &&
		      strstr(vfiomap_strerror(), "one memory type per page"),
		      "%s", vfiomap_strerror());
	ck_assert(!resource_wc_mapped());
	/* WC for another part of the BAR: no PAT entry at all there */
	fake_tree_pat(&tree, PAT_WC);
	ck_assert_int_eq(vfiomap_map_range(dev, 2, 0x100000, 0x1000, VFIOMAP_ATTR_WC, 0, &m),
			 -EOPNOTSUPP);
	ck_assert_ptr_nonnull(strstr(vfiomap_strerror(), "no write-combining PAT entry"));
	ck_assert_int_eq(vfiomap_map_range(dev, 2, 0, 0x1000, VFIOMAP_ATTR_WC, 0, &m), 0);
	ck_assert(resource_wc_mapped());
	vfiomap_device_close(dev);
	ck_assert(!resource_wc_mapped());
}
END_TEST

/* Without the PAT list the memory type cannot be checked: refused, with why. */
START_TEST(sysfs_wc_unverifiable_is_refused)
{
	struct vfiomap_device *dev = NULL;
	struct vfiomap_mapping *m = NULL;
	struct vfiomap_open_opts o;

	fake_tree_create(&tree, "0000:00:04.0", NULL, false);
	o = tree_opts(VFIOMAP_MODE_GROUP, VFIOMAP_OPEN_WC_SYSFS_FALLBACK);
	fake.cookie_uapi = false;
	ck_assert_int_eq(vfiomap_device_open("0000:00:04.0", &o, &dev), 0);
	ck_assert_int_eq(vfiomap_map_range(dev, 2, 0, 0x1000, VFIOMAP_ATTR_WC, 0, &m), -EOPNOTSUPP);
	ck_assert_msg(strstr(vfiomap_strerror(), "pat_memtype_list") &&
		      strstr(vfiomap_strerror(), "silently comes out UC-"),
		      "%s", vfiomap_strerror());
	ck_assert(!resource_wc_mapped());
	vfiomap_device_close(dev);
}
END_TEST

/* The fallback is for WC alone; an adopted fd needs its address for it. */
START_TEST(sysfs_wc_adopted_with_address)
{
	struct vfiomap_adopt_opts ao = { .size = sizeof(ao),
					 .flags = VFIOMAP_ADOPT_WC_SYSFS_FALLBACK,
					 .bdf = "0000:00:04.0" };
	struct vfiomap_device *dev = NULL;
	struct vfiomap_mapping *m = NULL;
	int vmm = fcntl(fake.memfd, F_DUPFD_CLOEXEC, 0);

	fake_tree_create(&tree, "0000:00:04.0", NULL, false);
	fake_tree_pat(&tree, PAT_WC);
	fake.cookie_uapi = false;
	ck_assert_int_eq(vfiomap_device_adopt_opts(vmm, &ao, &dev), 0);
	close(vmm);
	ck_assert_int_eq(vfiomap_map_range(dev, 2, 0, 0x1000, VFIOMAP_ATTR_WC, 0, &m), 0);
	ck_assert(vfiomap_mapping_is_sysfs_wc(m));
	ck_assert_uint_eq(vfiomap_mapping_attrs(m), VFIOMAP_ATTR_WC);
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
	tcase_add_test(tc, two_devices_of_one_group);
	tcase_add_test(tc, two_groups_one_container);
	tcase_add_test(tc, callers_container);
	tcase_add_test(tc, callers_fd_number_reused);
	tcase_add_test(tc, callers_container_with_iommu_set);
	tcase_add_test(tc, open_group_in_another_container_is_busy);
	tcase_add_test(tc, iommufd_shared_ioas);
	tcase_add_test(tc, vf_token_group_and_cdev);
	tcase_add_test(tc, context_options_checked);
	tcase_add_test(tc, adopt_duplicates_the_fd);
	tcase_add_test(tc, adopt_old_interface);
	tcase_add_test(tc, adopted_fd_reports_its_mode);
	tcase_add_test(tc, adopt_options);
	tcase_add_test(tc, sysfs_wc_that_came_out_uc_is_refused);
	tcase_add_test(tc, sysfs_wc_unverifiable_is_refused);
	tcase_add_test(tc, sysfs_wc_adopted_with_address);
	tcase_add_test(tc, fork_child_does_not_join_parent_context);
	tcase_add_test(tc, ioas_in_callers_iommufd_is_destroyed);
	tcase_add_test(tc, pci_functions_from_sysfs);
	tcase_add_test(tc, logger_threshold);
	tcase_add_test(tc, device_logger_takes_its_devices_messages);
	tcase_add_test(tc, device_logger_unset_waits_for_deliveries);
	tcase_add_test(tc, fork_during_open_does_not_deadlock_the_child);
	suite_add_tcase(s, tc);
	return ck_run(s);
}
