// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Concurrent stress of the cookie uAPI on one device, bounded in time
 * (vmtest.stress=SECONDS on the kernel command line, default 10):
 *  - 4 workers: create a cookie (WC or not) on their own pages of BAR2,
 *    mmap it, write through it, read back through the legacy mapping of
 *    the same pages, munmap, destroy (half the time destroy before the
 *    munmap, so that the mapping's close frees the cookie);
 *  - 1 toggler: clears and sets PCI_COMMAND_MEMORY through the config
 *    region; accesses may raise SIGBUS only while memory is disabled
 *    (checked with a generation counter);
 *  - 1 reopener (group modes): opens a second device fd, creates and maps
 *    a cookie on it, closes it;
 * and, on the debug kernel with vmtest.failslab=1, the same calls while the
 * kernel's slab and page allocations for the task fail at random.
 * Afterwards every cookie must be gone: a reopened device can create the
 * full per-device limit.  Operation counts are printed.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/pci_regs.h>
#include "vfio_mmap_cookie.h"
#include "vmtest.h"
#include "ck_run.h"

#define PG 4096UL
#define WORKERS 4
#define PAGES_PER_WORKER 32
#define BASE_PAGE 4096		/* 16 MiB into BAR2: clear of other tests' checks */

static int fd;
static uint64_t bar_off, cfg_off;
static volatile uint32_t *legacy;	/* BAR2 [0, 1 MiB) */
static atomic_bool stop;
static atomic_uint gen;			/* odd: memory disabled window */
static atomic_ulong n_create, n_map, n_destroy, n_verify, n_sigbus, n_bad_sigbus,
	n_mismatch, n_toggle, n_reopen, n_errors;
static char bdf[32];
static enum vmt_mode mode;

static _Thread_local sigjmp_buf jb;
static _Thread_local unsigned int gen_before;

static void on_sigbus(int sig)
{
	(void)sig;
	atomic_fetch_add(&n_sigbus, 1);
	if (!(gen_before & 1) && atomic_load(&gen) == gen_before)
		atomic_fetch_add(&n_bad_sigbus, 1);
	siglongjmp(jb, 1);
}

static int cookie(uint32_t flags, struct vfio_device_feature_mmap_cookie *mc, int dfd)
{
	struct {
		struct vfio_device_feature h;
		struct vfio_device_feature_mmap_cookie mc;
	} f = { .h = { .argsz = sizeof(f), .flags = flags | VFIO_DEVICE_FEATURE_MMAP_COOKIE } };

	f.mc = *mc;
	if (ioctl(dfd, VFIO_DEVICE_FEATURE, &f))
		return -errno;
	*mc = f.mc;
	return 0;
}

/* Access with SIGBUS recovery; returns false if it faulted. */
static bool guarded_rw(volatile uint32_t *w, uint32_t val, volatile uint32_t *r, uint32_t *out)
{
	gen_before = atomic_load(&gen);
	if (sigsetjmp(jb, 1))
		return false;
	*w = val;
	__asm__ __volatile__("sfence" ::: "memory");
	*out = *r;
	return true;
}

static void destroy(struct vfio_device_feature_mmap_cookie *d)
{
	if (cookie(VFIO_DEVICE_FEATURE_SET, d, fd))
		atomic_fetch_add(&n_errors, 1);
	else
		atomic_fetch_add(&n_destroy, 1);
}

static void *worker(void *arg)
{
	unsigned int id = (unsigned int)(uintptr_t)arg, seed = id * 7919 + 1;

	while (!atomic_load(&stop)) {
		unsigned int first = BASE_PAGE + id * PAGES_PER_WORKER +
				     rand_r(&seed) % (PAGES_PER_WORKER - 4);
		unsigned int npages = 1 + rand_r(&seed) % 4;
		struct vfio_device_feature_mmap_cookie mc = {
			.region_index = 2, .attrs = rand_r(&seed) % 2 ? VFIO_MMAP_ATTR_WC : 0,
			.region_offset = first * PG, .size = npages * PG,
		};
		/* half the time destroy first: the munmap then frees the cookie */
		bool destroy_first = rand_r(&seed) % 2;
		struct vfio_device_feature_mmap_cookie d = { 0 };
		volatile uint32_t *p;
		uint32_t got;

		int ret = cookie(VFIO_DEVICE_FEATURE_GET, &mc, fd);

		if (ret) {
			atomic_fetch_add(&n_errors, 1);
			fprintf(stderr, "create: %s\n", strerror(-ret));
			continue;
		}
		atomic_fetch_add(&n_create, 1);
		d.cookie = mc.cookie;
		p = mmap(NULL, mc.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)mc.cookie);
		if (p != MAP_FAILED && destroy_first)
			destroy(&d);
		if (p == MAP_FAILED) {
			atomic_fetch_add(&n_errors, 1);
		} else {
			atomic_fetch_add(&n_map, 1);
			for (unsigned int i = 0; i < npages; i++) {
				uint32_t val = rand_r(&seed);
				unsigned int word = (first - BASE_PAGE + i) * (PG / 4) + id;

				if (guarded_rw(p + i * (PG / 4) + id, val, legacy + word, &got)) {
					atomic_fetch_add(&n_verify, 1);
					if (got != val)
						atomic_fetch_add(&n_mismatch, 1);
				}
			}
			munmap((void *)p, mc.size);
		}
		if (p == MAP_FAILED || !destroy_first)
			destroy(&d);
	}
	return NULL;
}

static void set_mem(bool on)
{
	uint16_t cmd;

	if (pread(fd, &cmd, 2, cfg_off + PCI_COMMAND) != 2)
		return;
	cmd = on ? cmd | PCI_COMMAND_MEMORY : cmd & ~PCI_COMMAND_MEMORY;
	if (pwrite(fd, &cmd, 2, cfg_off + PCI_COMMAND) != 2)
		atomic_fetch_add(&n_errors, 1);
}

static void *toggler(void *arg)
{
	struct timespec ts = { 0, 2 * 1000 * 1000 };

	(void)arg;
	while (!atomic_load(&stop)) {
		nanosleep(&ts, NULL);
		atomic_fetch_add(&gen, 1);	/* odd: disabled */
		set_mem(false);
		nanosleep(&ts, NULL);
		set_mem(true);
		atomic_fetch_add(&gen, 1);
		atomic_fetch_add(&n_toggle, 1);
	}
	return NULL;
}

static void *reopener(void *arg)
{
	struct vmt_dev *d = arg;

	while (!atomic_load(&stop)) {
		int f2 = ioctl(d->group, VFIO_GROUP_GET_DEVICE_FD, bdf);
		struct vfio_device_feature_mmap_cookie mc = {
			.region_index = 2, .region_offset = (BASE_PAGE + 200) * PG, .size = PG,
		};

		if (f2 < 0) {
			atomic_fetch_add(&n_errors, 1);
			fprintf(stderr, "reopen: %s\n", strerror(errno));
			continue;
		}
		if (!cookie(VFIO_DEVICE_FEATURE_GET, &mc, f2)) {
			void *p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, f2,
				       (off_t)mc.cookie);

			if (p != MAP_FAILED)
				munmap(p, PG);
			/*
			 * Cookies belong to the file that made them: close(f2)
			 * would free this one too; destroy it explicitly so that
			 * both paths run.
			 */
			struct vfio_device_feature_mmap_cookie d = { .cookie = mc.cookie };

			if (cookie(VFIO_DEVICE_FEATURE_SET, &d, f2))
				atomic_fetch_add(&n_errors, 1);
		}
		close(f2);
		atomic_fetch_add(&n_reopen, 1);
	}
	return NULL;
}

/* The ivshmem device and the first open mode of the machine */
static void pick_device(void)
{
	enum vmt_mode m[3];

	ck_assert_int_eq(vmt_find_device(0x1af4, 0x1110, bdf), 0);
	ck_assert_int_gt(vmt_modes_available(m), 0);
	mode = m[0];
}

/*
 * Every cookie went with the device's last close: a reopened device can
 * create the whole default limit (1024) again.
 */
static void full_limit_is_free(void)
{
	struct vmt_dev d;

	ck_assert_int_eq(vmt_open(bdf, mode, &d), 0);
	for (int i = 0; i < 1024; i++) {
		/* distinct ranges: identical ones would share a cookie */
		struct vfio_device_feature_mmap_cookie mc = {
			.region_index = 2, .region_offset = i * PG, .size = PG,
		};

		ck_assert_int_eq(cookie(VFIO_DEVICE_FEATURE_GET, &mc, d.fd), 0);
	}
	vmt_close(&d);
}

START_TEST(concurrent_stress)
{
	struct vmt_dev d;
	struct vfio_region_info *ri;
	struct sigaction sa = { .sa_handler = on_sigbus };
	pthread_t th[WORKERS + 2];
	int nth = 0, secs = 10;
	char cmdline[4096] = "";
	FILE *f = fopen("/proc/cmdline", "r");

	if (f) {
		if (fgets(cmdline, sizeof(cmdline), f) && strstr(cmdline, "vmtest.stress="))
			secs = atoi(strstr(cmdline, "vmtest.stress=") + 14);
		fclose(f);
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
	pick_device();
	ck_assert_int_eq(vmt_open(bdf, mode, &d), 0);
	fd = d.fd;
	ck_assert_int_eq(vmt_region_info(fd, 2, &ri), 0);
	bar_off = ri->offset;
	free(ri);
	ck_assert_int_eq(vmt_region_info(fd, VFIO_PCI_CONFIG_REGION_INDEX, &ri), 0);
	cfg_off = ri->offset;
	free(ri);
	legacy = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		      (off_t)(bar_off + BASE_PAGE * PG));
	ck_assert(legacy != MAP_FAILED);

	for (int i = 0; i < WORKERS; i++)
		pthread_create(&th[nth++], NULL, worker, (void *)(uintptr_t)i);
	pthread_create(&th[nth++], NULL, toggler, NULL);
	if (d.group >= 0)
		pthread_create(&th[nth++], NULL, reopener, &d);
	sleep(secs);
	atomic_store(&stop, true);
	for (int i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	set_mem(true);
	munmap((void *)legacy, 1 << 20);

	printf("stress (%s, %d s): %lu creates, %lu maps, %lu destroys, %lu verified accesses, "
	       "%lu SIGBUS (%lu outside a memory-disabled window), %lu mismatches, %lu toggles, "
	       "%lu reopens, %lu errors\n", vmt_mode_name(mode), secs,
	       atomic_load(&n_create), atomic_load(&n_map), atomic_load(&n_destroy),
	       atomic_load(&n_verify), atomic_load(&n_sigbus), atomic_load(&n_bad_sigbus),
	       atomic_load(&n_mismatch), atomic_load(&n_toggle), atomic_load(&n_reopen),
	       atomic_load(&n_errors));
	fflush(stdout);
	ck_assert_uint_gt(atomic_load(&n_create), 100);
	ck_assert_uint_gt(atomic_load(&n_toggle), 10);
	ck_assert_uint_eq(atomic_load(&n_bad_sigbus), 0);
	ck_assert_uint_eq(atomic_load(&n_mismatch), 0);
	ck_assert_uint_eq(atomic_load(&n_errors), 0);
	ck_assert_uint_eq(atomic_load(&n_create), atomic_load(&n_destroy));
	vmt_close(&d);

	full_limit_is_free();
}
END_TEST

/* ---- allocation failures (debug kernel, vmtest.failslab=1) ---- */

static int write_str(const char *path, const char *v)
{
	FILE *f = fopen(path, "w");
	int ret;

	if (!f)
		return -errno;
	ret = fputs(v, f) < 0 ? -EIO : 0;
	if (fclose(f))
		ret = -errno;
	return ret;
}

static bool failslab_requested(void)
{
	char cmdline[4096] = "";
	FILE *f = fopen("/proc/cmdline", "r");

	if (f) {
		if (!fgets(cmdline, sizeof(cmdline), f))
			cmdline[0] = 0;
		fclose(f);
	}
	return strstr(cmdline, "vmtest.failslab=1") != NULL;
}

/* Make this thread's slab and page allocations fail at random (or stop). */
static void inject(bool on)
{
	static const char *const dirs[] = { "/sys/kernel/debug/failslab",
					     "/sys/kernel/debug/fail_page_alloc" };
	char path[128];
	int tries = 0;

	if (!on) {
		/* first stop failing this task; the write itself may fail */
		while (write_str("/proc/thread-self/make-it-fail", "0") && ++tries < 10000)
			;
		ck_assert_int_lt(tries, 10000);
	}
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/probability", dirs[i]);
		ck_assert_int_eq(write_str(path, on ? "10" : "0"), 0);
		if (!on)
			continue;
		snprintf(path, sizeof(path), "%s/interval", dirs[i]);
		ck_assert_int_eq(write_str(path, "1"), 0);
		snprintf(path, sizeof(path), "%s/times", dirs[i]);
		ck_assert_int_eq(write_str(path, "-1"), 0);
		snprintf(path, sizeof(path), "%s/task-filter", dirs[i]);
		ck_assert_int_eq(write_str(path, "Y"), 0);
		snprintf(path, sizeof(path), "%s/verbose", dirs[i]);
		ck_assert_int_eq(write_str(path, "0"), 0);
		/* GFP_KERNEL allocations fail too (page allocations of order 1 and up) */
		snprintf(path, sizeof(path), "%s/ignore-gfp-wait", dirs[i]);
		ck_assert_int_eq(write_str(path, "N"), 0);
	}
	if (on)
		ck_assert_int_eq(write_str("/proc/thread-self/make-it-fail", "1"), 0);
}

/*
 * Create, map and destroy cookies (WC and not) while the kernel's
 * allocations for this task fail at random: every call either works or
 * fails with ENOMEM and changes nothing, a destroy that failed can be
 * repeated, and KASAN/kmemleak (judged on the console) see no bad access
 * and no leak.  Afterwards the whole limit is free again.
 */
START_TEST(allocation_failures)
{
	enum { SLOTS = 48, ROUNDS = 3000 };
	struct vmt_dev d;
	uint64_t live[SLOTS] = { 0 };
	unsigned long enomem = 0, created = 0, destroyed = 0, mapped = 0;
	unsigned int seed = 12345;

	pick_device();
	ck_assert_int_eq(vmt_open(bdf, mode, &d), 0);
	inject(true);
	for (int r = 0; r < ROUNDS; r++) {
		int k = rand_r(&seed) % SLOTS;
		int ret;

		if (!live[k]) {
			struct vfio_device_feature_mmap_cookie mc = {
				.region_index = 2,
				.attrs = k % 2 ? VFIO_MMAP_ATTR_WC : 0,
				.region_offset = (uint64_t)(BASE_PAGE + 512 + k * 4) * PG,
				.size = (uint64_t)(1 + k % 3) * PG,
			};

			ret = cookie(VFIO_DEVICE_FEATURE_GET, &mc, d.fd);
			if (ret == -ENOMEM) {
				enomem++;
				continue;
			}
			ck_assert_msg(!ret, "create: %s", strerror(-ret));
			live[k] = mc.cookie;
			created++;
			void *p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED,
				       d.fd, (off_t)mc.cookie);

			if (p == MAP_FAILED) {
				ck_assert_int_eq(errno, ENOMEM);
				enomem++;
			} else {
				mapped++;
				/*
				 * munmap() can fail with ENOMEM here too; a
				 * mapping left behind would keep the device open
				 */
				while (munmap(p, PG))
					ck_assert_int_eq(errno, ENOMEM);
			}
		} else {
			struct vfio_device_feature_mmap_cookie mc = { .cookie = live[k] };

			ret = cookie(VFIO_DEVICE_FEATURE_SET, &mc, d.fd);
			if (ret == -ENOMEM) {
				enomem++;
				continue;
			}
			ck_assert_msg(!ret, "destroy: %s", strerror(-ret));
			live[k] = 0;
			destroyed++;
		}
	}
	inject(false);
	for (int k = 0; k < SLOTS; k++) {
		struct vfio_device_feature_mmap_cookie mc = { .cookie = live[k] };

		if (!live[k])
			continue;
		ck_assert_int_eq(cookie(VFIO_DEVICE_FEATURE_SET, &mc, d.fd), 0);
		destroyed++;
	}
	printf("allocation failures (%s): %lu creates, %lu maps, %lu destroys, %lu ENOMEM\n",
	       vmt_mode_name(mode), created, mapped, destroyed, enomem);
	fflush(stdout);
	ck_assert_uint_gt(enomem, 10);	/* the injection really happened */
	ck_assert_uint_gt(created, 100);
	ck_assert_uint_eq(created, destroyed);
	vmt_close(&d);
	full_limit_is_free();
}
END_TEST

int main(void)
{
	const char *k = getenv("VMTEST_KERNEL");
	Suite *s = suite_create("stress");
	TCase *tc = tcase_create("stress");

	if (k && !strcmp(k, "stock")) {
		printf("stress: needs the cookie uAPI; nothing to do on the stock kernel\n");
		return 0;
	}
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, concurrent_stress);
	/* only where the kernel can inject failures (the debug kernel) */
	if (failslab_requested())
		tcase_add_test(tc, allocation_failures);
	suite_add_tcase(s, tc);
	return ck_run(s);
}
