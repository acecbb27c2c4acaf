// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vfiomap-bench: libvfiomap and the cookie series, measured side by side
 * in one run.  Runs in the VM (patched kernel, ivshmem BAR2 >= 1 GiB).
 * Figures are ratios of two measurements taken in the same run, plus
 * clock-independent counts (faults, ioctls).  Prints a Markdown table and
 * a JSON object between @@BENCH-JSON-BEGIN/END markers.
 *
 *   vfiomap-bench [--short]
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <linux/vfio.h>
#include <libvfiomap/libvfiomap.h>
#include "vfio_mmap_cookie.h"
#include "../lib/testing.h"

#define GIB (1ULL << 30)
#define PG 4096ULL

static bool short_mode;
/*
 * Guest time counted in instructions (-icount, vmtest.icount=1): figures
 * are deterministic, and rows 7 and 8 are held to the series' targets
 */
static bool icount_mode;
static char json[8192];
static size_t json_len;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

static void jadd(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void jadd(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	json_len += vsnprintf(json + json_len, sizeof(json) - json_len, fmt, ap);
	va_end(ap);
}

static void row(const char *what, const char *value, const char *target, bool met)
{
	printf("| %s | %s | %s | %s |\n", what, value, target, met ? "met" : "**missed**");
}

static int find_ivshmem(char bdf[32])
{
	FILE *p = popen("for d in /sys/bus/pci/devices/*; do "
			"[ \"$(cat $d/vendor):$(cat $d/device)\" = 0x1af4:0x1110 ] && basename $d; done",
			"r");
	int ok = p && fgets(bdf, 32, p);

	if (p)
		pclose(p);
	if (!ok)
		return -1;
	bdf[strcspn(bdf, "\n")] = 0;
	return 0;
}

static int feature(int fd, uint32_t flags, struct vfio_device_feature_mmap_cookie *mc)
{
	struct {
		struct vfio_device_feature h;
		struct vfio_device_feature_mmap_cookie mc;
	} f = { .h = { .argsz = sizeof(f), .flags = flags | VFIO_DEVICE_FEATURE_MMAP_COOKIE } };

	f.mc = *mc;
	if (ioctl(fd, VFIO_DEVICE_FEATURE, &f))
		return -errno;
	*mc = f.mc;
	return 0;
}

static uint64_t raw_create(int fd, uint64_t off, uint64_t size, uint32_t attrs)
{
	struct vfio_device_feature_mmap_cookie mc = {
		.region_index = 2, .attrs = attrs, .region_offset = off, .size = size,
	};

	return feature(fd, VFIO_DEVICE_FEATURE_GET, &mc) ? 0 : mc.cookie;
}

static int raw_destroy(int fd, uint64_t c)
{
	struct vfio_device_feature_mmap_cookie mc = { .cookie = c };

	return feature(fd, VFIO_DEVICE_FEATURE_SET, &mc);
}

/* Touch every 4 KiB page; returns minor faults, *secs the time. */
static long touch(volatile uint8_t *p, uint64_t size, double *secs)
{
	long f0 = minflt();
	double t0 = now();

	for (uint64_t o = 0; o < size; o += PG)
		(void)p[o];
	*secs = now() - t0;
	return minflt() - f0;
}

/* A mapping at an address that is 2 MiB + 4 KiB off any 2 MiB boundary. */
static void *map_misaligned(int fd, uint64_t off, uint64_t size)
{
	uint8_t *r = mmap(NULL, size + 4 * (2ULL << 20), PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint8_t *at;

	if (r == MAP_FAILED)
		return MAP_FAILED;
	at = (uint8_t *)(((uintptr_t)r + (2ULL << 20) - 1) & ~((2ULL << 20) - 1)) + PG;
	munmap(r, size + 4 * (2ULL << 20));
	return mmap(at, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, (off_t)off);
}

static unsigned long slab_kb(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	unsigned long v = 0;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Slab: %lu kB", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

static void set_limit(unsigned int v)
{
	FILE *f = fopen("/sys/module/vfio/parameters/max_mmap_cookies", "w");

	if (f) {
		fprintf(f, "%u\n", v);
		fclose(f);
	}
}

/*
 * read()/write() of a BAR at its legacy offset: ns per call for pread and
 * pwrite of 4 and 64 bytes, the best of 5 blocks of @n calls each.
 */
static void rw_bench(int fd, uint64_t off, long n, double out[4])
{
	static const size_t len[2] = { 4, 64 };
	uint8_t buf[64] = { 0 };

	for (int k = 0; k < 4; k++) {
		double best = 1e9;

		for (int b = 0; b < 5; b++) {
			double t0 = now();

			for (long i = 0; i < n; i++) {
				ssize_t r = k % 2 ? pwrite(fd, buf, len[k / 2], (off_t)off) :
						    pread(fd, buf, len[k / 2], (off_t)off);

				if (r != (ssize_t)len[k / 2]) {
					fprintf(stderr, "rw_bench: %s\n", strerror(errno));
					exit(1);
				}
			}
			double t = (now() - t0) / n;

			best = t < best ? t : best;
		}
		out[k] = best * 1e9;
	}
}

static int rw_only(void);

int main(int argc, char **argv)
{
	struct vfiomap_device *dev;
	const struct vfiomap_region *r;
	char bdf[32];
	int fd;

	short_mode = argc > 1 && !strcmp(argv[1], "--short");
	{
		/* in the VM: "vmtest.bench=short" on the kernel command line */
		char cmdline[4096] = "";
		FILE *f = fopen("/proc/cmdline", "r");

		if (f) {
			if (!fgets(cmdline, sizeof(cmdline), f))
				cmdline[0] = 0;
			fclose(f);
		}
		if (strstr(cmdline, "vmtest.bench=short"))
			short_mode = true;
		if (strstr(cmdline, "vmtest.icount=1"))
			icount_mode = true;
		if (strstr(cmdline, "vmtest.benchrw=1"))
			return rw_only();
	}
	if (find_ivshmem(bdf) || vfiomap_device_open(bdf, NULL, &dev)) {
		fprintf(stderr, "no ivshmem device: %s\n", vfiomap_last_error());
		return 1;
	}
	fd = vfiomap_device_fd(dev);
	if (vfiomap_region_get(dev, 2, &r) || r->size < GIB) {
		fprintf(stderr, "BAR2 must be >= 1 GiB\n");
		return 1;
	}
	printf("| measurement | result | target | |\n|---|---|---|---|\n");
	jadd("{\"mode\":\"%s\",\"bar2_bytes\":%" PRIu64, short_mode ? "short" : "full", r->size);

	/* 1. cached lookup vs raw ioctl */
	{
		long n = short_mode ? 100000 : 1000000;
		struct vfio_region_info ri = { .argsz = sizeof(ri), .index = 2 };
		uint64_t ioc0 = vfiomap_device_ioctl_count(dev);
		double t0 = now(), tc, ti;

		for (long i = 0; i < n; i++)
			vfiomap_region_get(dev, 2, &r);
		tc = now() - t0;
		uint64_t extra = vfiomap_device_ioctl_count(dev) - ioc0;
		t0 = now();
		for (long i = 0; i < n; i++)
			ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, &ri);
		ti = now() - t0;
		char v[128];
		snprintf(v, sizeof(v), "%" PRIu64 " ioctls after the first; %.0fx faster (%.1f vs %.1f ns/call)",
			 extra, ti / tc, tc / n * 1e9, ti / n * 1e9);
		row("1. cached region lookup vs ioctl", v, "0 ioctls, >= 50x", !extra && ti / tc >= 50);
		jadd(",\"lookup\":{\"calls\":%ld,\"ioctls_after_first\":%" PRIu64 ",\"speedup\":%.1f}", n, extra, ti / tc);
	}

	/* 2. huge pfnmap: faults to touch 1 GiB */
	{
		const struct vfiomap_map_opts wc = { .size = sizeof(wc), .attrs = VFIOMAP_ATTR_WC };
		struct vfiomap_mapping *m;
		double s_lib, s_plain, s_mis, s_wc, s_sub = 0;
		long f_lib, f_plain, f_mis, f_wc, f_sub = -1;
		void *p;

		vfiomap_map(dev, 2, 0, 0, NULL, &m);
		f_lib = touch(vfiomap_mapping_addr(m), GIB, &s_lib);
		vfiomap_unmap(m);
		p = mmap(NULL, GIB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)r->offset);
		f_plain = touch(p, GIB, &s_plain);
		munmap(p, GIB);
		p = map_misaligned(fd, r->offset, GIB);
		f_mis = touch(p, GIB, &s_mis);
		munmap(p, GIB);
		vfiomap_map(dev, 2, 0, GIB, &wc, &m);
		f_wc = touch(vfiomap_mapping_addr(m), GIB, &s_wc);
		vfiomap_unmap(m);
		if (r->size >= 2 * GIB) {
			vfiomap_map(dev, 2, GIB, GIB, &wc, &m);
			f_sub = touch(vfiomap_mapping_addr(m), GIB, &s_sub);
			vfiomap_unmap(m);
		}
		char v[256];
		snprintf(v, sizeof(v), "library %ld, plain mmap %ld, misaligned %ld faults (%.0fx the library's time)",
			 f_lib, f_plain, f_mis, s_mis / s_lib);
		row("2a. touch 1 GiB BAR: faults", v, "1 per GiB (library)", f_lib == 1);
		snprintf(v, sizeof(v), "whole-BAR WC cookie %ld; 1 GiB-aligned sub-range WC cookie of a %" PRIu64 " GiB BAR %ld",
			 f_wc, (uint64_t)(r->size / GIB), f_sub);
		row("2b. touch 1 GiB through WC cookies: faults", v, "1 per GiB", f_wc == 1 && (f_sub == 1 || f_sub == -1));
		jadd(",\"huge\":{\"faults_library\":%ld,\"faults_plain\":%ld,\"faults_misaligned\":%ld,"
		     "\"faults_wc_cookie\":%ld,\"faults_wc_subrange\":%ld,\"time_misaligned_over_library\":%.1f}",
		     f_lib, f_plain, f_mis, f_wc, f_sub, s_mis / s_lib);
	}

	/* 3. cookie scaling */
	{
		unsigned int ns[] = { 1, 64, 4096, 65536 };
		int nn = short_mode ? 3 : 4, reps = short_mode ? 200 : 2000;
		double per_c[4] = { 0 }, per_d[4] = { 0 };
		uint64_t *live = calloc(65536, sizeof(*live));
		unsigned int have = 0;
		unsigned long slab0 = slab_kb(), slab1 = 0;

		set_limit(65536 + 16);
		for (int k = 0; k < nn; k++) {
			while (have < ns[k] - 1)
				/* distinct ranges: identical ones share a cookie */
				live[have] = raw_create(fd, (uint64_t)have * PG, PG, 0), have++;
			if (ns[k] == 65536 || (short_mode && k == nn - 1))
				slab1 = slab_kb();
			/* with N-1 live, create then destroy one, reps times */
			double tc = 0, td = 0;
			for (int i = 0; i < reps; i++) {
				double t0 = now();
				uint64_t c = raw_create(fd, (uint64_t)(65536 + i % 16) * PG, PG, 0);
				double t1 = now();
				raw_destroy(fd, c);
				tc += t1 - t0;
				td += now() - t1;
			}
			per_c[k] = tc / reps;
			per_d[k] = td / reps;
		}
		for (unsigned int i = 0; i < have; i++)
			raw_destroy(fd, live[i]);
		set_limit(1024);
		char v[256];
		int last = nn - 1;
		snprintf(v, sizeof(v), "create %.2f / %.2f us, destroy %.2f / %.2f us (N=1 / N=%u): ratio %.2f / %.2f",
			 per_c[0] * 1e6, per_c[last] * 1e6, per_d[0] * 1e6, per_d[last] * 1e6, ns[last],
			 per_c[last] / per_c[0], per_d[last] / per_d[0]);
		row("3. cookie create/destroy with N live", v, "<= 2x at 65536",
		    per_c[last] / per_c[0] <= 2 && per_d[last] / per_d[0] <= 2);
		double bytes = have ? (double)(slab1 - slab0) * 1024 / have : 0;
		snprintf(v, sizeof(v), "%.0f bytes/cookie (Slab delta over %u cookies)", bytes, have);
		row("6. kernel memory per live cookie", v, "reported", true);
		jadd(",\"scaling\":{\"n\":[1,64,4096,65536],\"create_us\":[%.3f,%.3f,%.3f,%.3f],"
		     "\"destroy_us\":[%.3f,%.3f,%.3f,%.3f]},\"bytes_per_cookie\":%.0f",
		     per_c[0] * 1e6, per_c[1] * 1e6, per_c[2] * 1e6, per_c[3] * 1e6,
		     per_d[0] * 1e6, per_d[1] * 1e6, per_d[2] * 1e6, per_d[3] * 1e6, bytes);
		free(live);
	}

	/* 4. 4 KiB fault path: cookie vs legacy, same range, misaligned */
	{
		uint64_t size = short_mode ? (64ULL << 20) : (256ULL << 20);
		uint64_t c = raw_create(fd, 0, size, 0);
		double s_leg = 1e9, s_ck = 1e9, s;
		long f_leg = 0, f_ck = 0;

		/*
		 * Interleaved, alternating which goes first; the best of six runs
		 * of each (TCG timings carry outliers from the shared host).
		 */
		for (int rep = 0; rep < 6; rep++) {
			for (int k = 0; k < 2; k++) {
				bool ck = (rep + k) % 2;
				void *p = map_misaligned(fd, ck ? c : r->offset, size);
				long f = touch(p, size, &s);

				munmap(p, size);
				if (ck) {
					f_ck = f;
					s_ck = s < s_ck ? s : s_ck;
				} else {
					f_leg = f;
					s_leg = s < s_leg ? s : s_leg;
				}
			}
		}
		raw_destroy(fd, c);
		char v[160];
		double d = (s_ck - s_leg) / s_leg * 100;
		snprintf(v, sizeof(v), "%ld vs %ld faults; cookie %+.1f%% time", f_ck, f_leg, d);
		row("4. 4 KiB fault path, cookie vs legacy", v, "within 5%", d <= 5 && d >= -5);
		jadd(",\"fault_path\":{\"faults_cookie\":%ld,\"faults_legacy\":%ld,\"cookie_vs_legacy_pct\":%.2f}",
		     f_ck, f_leg, d);
	}

	/* 5. mmap/munmap pairs */
	{
		int n = short_mode ? 2000 : 10000;
		uint64_t c = raw_create(fd, 0, 2 * PG, 0);
		double t0, s_leg, s_ck;

		s_leg = s_ck = 0;
		/* interleaved blocks, alternating which goes first */
		for (int b = 0; b < 20; b++) {
			for (int k = 0; k < 2; k++) {
				bool ck = (b + k) % 2;
				off_t off = (off_t)(ck ? c : r->offset);

				t0 = now();
				for (int i = 0; i < n / 20; i++)
					munmap(mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE,
						    MAP_SHARED, fd, off), 2 * PG);
				if (ck)
					s_ck += now() - t0;
				else
					s_leg += now() - t0;
			}
		}
		raw_destroy(fd, c);
		double d = (s_ck - s_leg) / s_leg * 100;
		char v[160];
		snprintf(v, sizeof(v), "%.2f vs %.2f us per pair; cookie %+.1f%%", s_ck / n * 1e6,
			 s_leg / n * 1e6, d);
		row("5. mmap+munmap, cookie vs legacy offset", v, "within 10%", d <= 10 && d >= -10);
		jadd(",\"mmap\":{\"pairs\":%d,\"cookie_us\":%.3f,\"legacy_us\":%.3f,\"cookie_vs_legacy_pct\":%.2f}",
		     n, s_ck / n * 1e6, s_leg / n * 1e6, d);
	}
	/*
	 * 7. read()/write() at the legacy offset of BAR2 (the path QEMU takes
	 * for trapped guest accesses): no cookie, a WC cookie elsewhere on
	 * the BAR, after it is gone.  The stock kernel's figures come from a
	 * second VM (vmtest.benchrw=1), compared by run-bench.sh.
	 */
	{
		/*
		 * 20000 calls per block in both modes: a block of 2000 can
		 * hold a timer tick in each of its 5 tries (seen under
		 * -icount, +25 instructions per call), and the blocks cost
		 * seconds only
		 */
		long n = 20000;
		double none[4], wc[4], after[4], worst = 0;
		uint64_t c = raw_create(fd, 1 << 20, 1 << 16, VFIO_MMAP_ATTR_WC);

		raw_destroy(fd, c);
		rw_bench(fd, r->offset + 0x1000, n, none);
		c = raw_create(fd, 1 << 20, 1 << 16, VFIO_MMAP_ATTR_WC);
		if (!c) {
			fprintf(stderr, "no WC cookie for the read/write benchmark\n");
			return 1;
		}
		rw_bench(fd, r->offset + 0x1000, n, wc);
		raw_destroy(fd, c);
		rw_bench(fd, r->offset + 0x1000, n, after);
		for (int k = 0; k < 4; k++)
			worst = wc[k] / none[k] > worst ? wc[k] / none[k] : worst;
		char v[256];
		snprintf(v, sizeof(v), "pread/pwrite 4 B %.0f/%.0f ns, 64 B %.0f/%.0f ns; with a WC cookie "
			 "%.0f/%.0f, %.0f/%.0f ns (worst %.3fx); after %.0f/%.0f, %.0f/%.0f ns",
			 none[0], none[1], none[2], none[3], wc[0], wc[1], wc[2], wc[3], worst,
			 after[0], after[1], after[2], after[3]);
		/* host time under TCG is noise at this scale: 1.5x there */
		row("7. read/write at the BAR, WC cookie elsewhere vs none", v,
		    icount_mode ? "<= 1.1x" : "<= 1.5x", worst <= (icount_mode ? 1.1 : 1.5));
		jadd(",\"rw\":{\"calls\":%ld,\"none_ns\":[%.1f,%.1f,%.1f,%.1f],\"wc_ns\":[%.1f,%.1f,%.1f,%.1f],"
		     "\"after_ns\":[%.1f,%.1f,%.1f,%.1f],\"worst_ratio\":%.3f}",
		     n, none[0], none[1], none[2], none[3], wc[0], wc[1], wc[2], wc[3],
		     after[0], after[1], after[2], after[3], worst);
	}
	/*
	 * 9. n single-page WC cookies on alternate pages of BAR2, created one
	 * by one through a second open of the device (its own file), and the
	 * close of that file, which destroys them all: n = 64 and 1024.
	 * Linear growth is 16x; the target leaves 10% for the log n of
	 * the trees a creation goes through (PAT's memtype tree, the BAR's
	 * ranges, the file's maple tree).
	 */
	{
		double tc[2], tx[2];
		int ns[2] = { 64, 1024 };

		for (int k = 0; k < 2; k++) {
			struct vfiomap_device *d2;
			double t0;

			if (vfiomap_device_open(bdf, NULL, &d2)) {
				fprintf(stderr, "second open: %s\n", vfiomap_last_error());
				return 1;
			}
			t0 = now();
			for (int i = 0; i < ns[k]; i++) {
				if (!raw_create(vfiomap_device_fd(d2), (4096 + 2 * (uint64_t)i) * PG, PG,
						VFIO_MMAP_ATTR_WC)) {
					fprintf(stderr, "WC cookie %d of %d refused\n", i, ns[k]);
					return 1;
				}
			}
			tc[k] = now() - t0;
			t0 = now();
			vfiomap_device_close(d2);
			tx[k] = now() - t0;
		}
		char v[256];
		snprintf(v, sizeof(v), "create %.2f / %.2f ms, close %.2f / %.2f ms (64 / 1024 cookies): %.1fx / %.1fx",
			 tc[0] * 1e3, tc[1] * 1e3, tx[0] * 1e3, tx[1] * 1e3, tc[1] / tc[0], tx[1] / tx[0]);
		row("9. WC cookies: create one by one, then close the file, 64 vs 1024", v,
		    "<= 17.6x (linear, 16x, and the trees' log n)",
		    tc[1] / tc[0] <= 17.6 && tx[1] / tx[0] <= 17.6);
		jadd(",\"wc_scale\":{\"n\":[64,1024],\"create_ms\":[%.3f,%.3f],\"close_ms\":[%.3f,%.3f]}",
		     tc[0] * 1e3, tc[1] * 1e3, tx[0] * 1e3, tx[1] * 1e3);
	}
	jadd("}");
	printf("@@BENCH-JSON-BEGIN\n%s\n@@BENCH-JSON-END\n", json);
	vfiomap_device_close(dev);
	return 0;
}

/* The read()/write() figures alone, for the stock kernel's VM */
static int rw_only(void)
{
	struct vfiomap_device *dev;
	const struct vfiomap_region *r;
	char bdf[32];
	double t[4];

	if (find_ivshmem(bdf) || vfiomap_device_open(bdf, NULL, &dev) ||
	    vfiomap_region_get(dev, 2, &r)) {
		fprintf(stderr, "no ivshmem device: %s\n", vfiomap_last_error());
		return 1;
	}
	rw_bench(vfiomap_device_fd(dev), r->offset + 0x1000, 20000, t);
	printf("@@BENCH-JSON-BEGIN\n{\"rw_ns\":[%.1f,%.1f,%.1f,%.1f]}\n@@BENCH-JSON-END\n",
	       t[0], t[1], t[2], t[3]);
	vfiomap_device_close(dev);
	return 0;
}
