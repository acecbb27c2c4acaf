// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Kernel-level tests of the mmap-cookie uAPI, run inside the VM against
 * the real vfio-pci driver (raw ioctls, no libvfiomap).
 *
 * Devices: ivshmem-plain (1af4:1110; BAR2 = host file, prefetchable) and
 * edu (1234:11e8; BAR0 = device registers, not prefetchable).
 * On the patched kernel (VMTEST_KERNEL=patched) the cookie suite runs; on
 * the stock kernel the suite checks that every cookie call fails cleanly
 * and the legacy interface is unchanged.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>
#include "vfio_mmap_cookie.h"
#include "vmtest.h"
#include "bad_input_table.h"
#include "ck_run.h"

#define PG 4096UL
#define IVSHMEM_VENDOR 0x1af4
#define IVSHMEM_DEVICE 0x1110
#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8

static enum vmt_mode modes[3];
static int nr_modes;

/* ---- small raw-uAPI helpers ---- */

struct feat {
	struct vfio_device_feature hdr;
	uint8_t data[256];
};

/* Issue VFIO_DEVICE_FEATURE with @len payload bytes; returns 0 or -errno. */
static int feature(int fd, uint32_t flags, void *payload, size_t len)
{
	struct feat f;

	memset(&f, 0, sizeof(f));
	ck_assert_uint_le(len, sizeof(f.data));
	f.hdr.argsz = sizeof(f.hdr) + len;
	f.hdr.flags = flags | VFIO_DEVICE_FEATURE_MMAP_COOKIE;
	if (payload)
		memcpy(f.data, payload, len);
	if (ioctl(fd, VFIO_DEVICE_FEATURE, &f))
		return -errno;
	if (payload && (flags & VFIO_DEVICE_FEATURE_GET))
		memcpy(payload, f.data, len);
	return 0;
}

static int cookie_create(int fd, uint32_t index, uint64_t off, uint64_t size,
			 uint64_t attrs, uint64_t *cookie)
{
	struct vfio_device_feature_mmap_cookie mc = {
		.region_index = index, .attrs = attrs,
		.region_offset = off, .size = size,
	};
	int ret = feature(fd, VFIO_DEVICE_FEATURE_GET, &mc, sizeof(mc));

	if (!ret && cookie)
		*cookie = mc.cookie;
	return ret;
}

static int cookie_destroy(int fd, uint64_t cookie)
{
	struct vfio_device_feature_mmap_cookie mc = { .cookie = cookie };

	return feature(fd, VFIO_DEVICE_FEATURE_SET, &mc, sizeof(mc));
}

static struct vfio_region_info *region(int fd, uint32_t index)
{
	struct vfio_region_info *ri = NULL;

	ck_assert_int_eq(vmt_region_info(fd, index, &ri), 0);
	return ri;
}

/* The mmap-attrs capability of a region info, or NULL. */
static const struct vfio_region_info_cap_mmap_attrs *
attrs_cap(const struct vfio_region_info *ri)
{
	uint32_t off;
	int hops = 0;

	if (!(ri->flags & VFIO_REGION_INFO_FLAG_CAPS))
		return NULL;
	for (off = ri->cap_offset; off && hops < 16; hops++) {
		const struct vfio_info_cap_header *h =
			(const void *)((const char *)ri + off);

		ck_assert_uint_le(off + sizeof(*h), ri->argsz);
		if (h->id == VFIO_REGION_INFO_CAP_MMAP_ATTRS)
			return (const void *)h;
		off = h->next;
	}
	return NULL;
}

/*
 * The capability (version 2) lists one area covering @size bytes with
 * @attrs, and fits in the region info.
 */
static void check_one_area(const struct vfio_region_info *ri,
			   const struct vfio_region_info_cap_mmap_attrs *cap,
			   uint64_t size, uint64_t attrs)
{
	size_t off = (size_t)((const char *)cap - (const char *)ri);

	ck_assert_uint_eq(cap->header.version, 2);
	ck_assert_uint_eq(cap->nr_areas, 1);
	ck_assert_uint_eq(cap->__reserved, 0);
	ck_assert_uint_le(off + sizeof(*cap) + sizeof(cap->areas[0]),
			  ri->argsz);
	ck_assert_uint_eq(cap->areas[0].offset, 0);
	ck_assert_uint_eq(cap->areas[0].size, size);
	ck_assert_uint_eq(cap->areas[0].attrs, attrs);
}

/* The running kernel's major version (7 for Linux 7.3) */
static int kernel_major(void)
{
	struct utsname u;

	return uname(&u) ? 0 : atoi(u.release);
}

static bool cmdline_has(const char *word);

/*
 * Why WC on a BAR that is not prefetchable is refused: the first reason
 * in the uAPI's order, "no WC on this host" (ENODEV) under nopat, else
 * "not this region" (EPERM).
 */
static int wc_refused_errno(void)
{
	return cmdline_has("nopat") ? -ENODEV : -EPERM;
}

static void *map_at(int fd, uint64_t off, size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		       (off_t)off);

	ck_assert_msg(p != MAP_FAILED, "mmap(off=0x%llx, size=0x%zx): %s",
		      (unsigned long long)off, size, strerror(errno));
	return p;
}

static int map_errno(int fd, uint64_t off, size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		       (off_t)off);

	if (p != MAP_FAILED) {
		munmap(p, size);
		return 0;
	}
	return errno;
}

struct dev {
	struct vmt_dev d;
	int fd;
	uint64_t bar_phys;
	uint64_t bar_size;
	uint64_t bar_off;	/* legacy offset of the BAR under test */
	int bar;		/* its index */
};

static void open_dev(enum vmt_mode mode, uint16_t ven, uint16_t did, int bar,
		     struct dev *out)
{
	char bdf[32];
	struct vfio_region_info *ri;

	memset(out, 0, sizeof(*out));
	ck_assert_int_eq(vmt_find_device(ven, did, bdf), 0);
	ck_assert_int_eq(vmt_open(bdf, mode, &out->d), 0);
	out->fd = out->d.fd;
	out->bar = bar;
	ri = region(out->fd, bar);
	out->bar_size = ri->size;
	out->bar_off = ri->offset;
	free(ri);
	out->bar_phys = vmt_bar_phys(bdf, bar);
}

static void close_dev(struct dev *d)
{
	vmt_close(&d->d);
}

static void ivshmem(enum vmt_mode mode, struct dev *d)
{
	open_dev(mode, IVSHMEM_VENDOR, IVSHMEM_DEVICE, 2, d);
}

static void edu(enum vmt_mode mode, struct dev *d)
{
	open_dev(mode, EDU_VENDOR, EDU_DEVICE, 0, d);
}

static void set_mem_enable(int fd, bool on)
{
	uint16_t cmd;
	uint64_t cfg = 7ULL << 40;	/* read from REGION_INFO below */
	struct vfio_region_info *ri = region(fd, VFIO_PCI_CONFIG_REGION_INDEX);

	cfg = ri->offset;
	free(ri);
	ck_assert_int_eq(pread(fd, &cmd, 2, cfg + PCI_COMMAND), 2);
	if (on)
		cmd |= PCI_COMMAND_MEMORY;
	else
		cmd &= ~PCI_COMMAND_MEMORY;
	ck_assert_int_eq(pwrite(fd, &cmd, 2, cfg + PCI_COMMAND), 2);
}

/* ================= patched kernel ================= */

START_TEST(region_offsets_stable)
{
	struct dev d;
	uint32_t idx[] = { 0, 2, VFIO_PCI_CONFIG_REGION_INDEX };

	ivshmem(modes[_i], &d);
	for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]); i++) {
		struct vfio_region_info *a = region(d.fd, idx[i]);
		struct vfio_region_info *b = region(d.fd, idx[i]);

		ck_assert_uint_eq(a->offset, (uint64_t)idx[i] << 40);
		ck_assert_uint_eq(a->offset, b->offset);
		ck_assert_uint_eq(a->size, b->size);
		free(a);
		free(b);
	}
	/* A cookie does not move the region's offset */
	uint64_t c;
	ck_assert_int_eq(cookie_create(d.fd, 2, 0, PG, VFIO_MMAP_ATTR_WC, &c), 0);
	struct vfio_region_info *ri = region(d.fd, 2);
	ck_assert_uint_eq(ri->offset, 2ULL << 40);
	free(ri);
	close_dev(&d);
}
END_TEST

START_TEST(probe_and_caps)
{
	struct dev d, e;
	struct vfio_region_info *ri;
	const struct vfio_region_info_cap_mmap_attrs *cap;

	ivshmem(modes[_i], &d);
	ck_assert_int_eq(feature(d.fd, VFIO_DEVICE_FEATURE_PROBE, NULL, 0), 0);
	ri = region(d.fd, 2);	/* prefetchable: WC accepted */
	cap = attrs_cap(ri);
	ck_assert_ptr_nonnull(cap);
	ck_assert_uint_eq(cap->header.version, 2);
	ck_assert_uint_eq(cap->attrs, VFIO_MMAP_ATTR_WC);
	/* no MSI-X in ivshmem-plain: one area, all of it WC-able */
	check_one_area(ri, cap, d.bar_size, VFIO_MMAP_ATTR_WC);
	free(ri);
	ri = region(d.fd, VFIO_PCI_CONFIG_REGION_INDEX);
	ck_assert_ptr_null(attrs_cap(ri));
	free(ri);
	close_dev(&d);

	edu(modes[_i], &e);	/* BAR0 not prefetchable: cookies, no WC */
	ri = region(e.fd, 0);
	cap = attrs_cap(ri);
	ck_assert_ptr_nonnull(cap);
	ck_assert_uint_eq(cap->attrs, 0);
	check_one_area(ri, cap, (ri->size + PG - 1) & ~(PG - 1), 0);
	free(ri);
	close_dev(&e);
}
END_TEST

START_TEST(wc_cookie_reaches_host)
{
	struct dev d;
	uint64_t c;
	uint8_t pat[64];
	volatile uint8_t *p;

	ivshmem(modes[_i], &d);
	ck_assert_int_eq(cookie_create(d.fd, 2, 0, d.bar_size,
				       VFIO_MMAP_ATTR_WC, &c), 0);
	p = map_at(d.fd, c, d.bar_size);
	for (size_t i = 0; i < sizeof(pat); i++)
		pat[i] = (uint8_t)(0xa0 + i + _i);
	/* a distinct offset per mode, so every mode's write is checked */
	for (size_t i = 0; i < sizeof(pat); i++)
		p[0xf000 + 0x100 * _i + i] = pat[i];
	__asm__ __volatile__("sfence" ::: "memory");
	ck_assert_int_eq(memcmp((const void *)(p + 0xf000 + 0x100 * _i), pat,
				sizeof(pat)), 0);
	char name[64];
	snprintf(name, sizeof(name), "wc-cookie-mode%d", (int)modes[_i]);
	vmt_hostcheck(name, 0xf000 + 0x100 * _i, pat, sizeof(pat));
	munmap((void *)p, d.bar_size);
	ck_assert_int_eq(cookie_destroy(d.fd, c), 0);
	close_dev(&d);
}
END_TEST

/*
 * WC is real: a WC cookie on [64K, 128K) of BAR2 and a legacy mapping of
 * [0, 64K) at the same time.  The PTEs of the cookie pages are WC, the
 * others UC-, and the PAT memtype list agrees.  @order: 0 = pread before
 * the cookie exists (whole-BAR barmap present), 1 = pread/pwrite while it
 * exists.
 */
static void check_wc_split(enum vmt_mode mode, int order)
{
	struct dev d;
	uint64_t c;
	volatile uint32_t *uc, *wc;
	char line[512], type[64];
	uint32_t v = 0x5a5aa5a5, r = 0;

	ivshmem(mode, &d);
	ck_assert_uint_ge(d.bar_size, 0x20000);
	if (order == 0)	/* creates the kernel's whole-BAR mapping */
		ck_assert_int_eq(pread(d.fd, &r, 4, d.bar_off + 0x100), 4);

	ck_assert_int_eq(cookie_create(d.fd, 2, 0x10000, 0x10000,
				       VFIO_MMAP_ATTR_WC, &c), 0);
	uc = map_at(d.fd, d.bar_off, 0x10000);
	wc = map_at(d.fd, c, 0x10000);
	uc[0] = 1;
	wc[0] = 2;
	__asm__ __volatile__("sfence" ::: "memory");

	if (order == 1) {
		/* read()/write() while the WC cookie exists, both ranges */
		ck_assert_int_eq(pwrite(d.fd, &v, 4, d.bar_off + 0x10010), 4);
		ck_assert_uint_eq(wc[4], v);
		ck_assert_int_eq(pread(d.fd, &r, 4, d.bar_off + 0x10010), 4);
		ck_assert_uint_eq(r, v);
		ck_assert_int_eq(pwrite(d.fd, &v, 4, d.bar_off + 0x20), 4);
		ck_assert_uint_eq(uc[8], v);
		uc[1] = 3;	/* fault another page of each after the I/O */
		wc[1024] = 4;
	}

	ck_assert_int_eq(vmt_pte_flags((const void *)wc, line, sizeof(line)), 0);
	ck_assert_msg(vmt_pte_is_wc(line), "cookie PTE not WC: %s", line);
	ck_assert_int_eq(vmt_pte_flags((const void *)uc, line, sizeof(line)), 0);
	ck_assert_msg(vmt_pte_is_uc_minus(line), "legacy PTE not UC-: %s", line);
	if (order == 1) {
		ck_assert_int_eq(vmt_pte_flags((const void *)(wc + 1024), line,
					       sizeof(line)), 0);
		ck_assert_msg(vmt_pte_is_wc(line), "cookie PTE not WC: %s", line);
	}

	/* PAT: the cookie's range is reserved WC ... */
	ck_assert_int_gt(vmt_pat_lookup(d.bar_phys + 0x10000,
					d.bar_phys + 0x20000, type), 0);
	ck_assert_str_eq(type, "write-combining");
	/* ... and nothing WC covers the legacy range */
	if (vmt_pat_lookup(d.bar_phys, d.bar_phys + 0x10000, type) > 0)
		ck_assert_str_ne(type, "write-combining");

	munmap((void *)uc, 0x10000);
	munmap((void *)wc, 0x10000);
	ck_assert_int_eq(cookie_destroy(d.fd, c), 0);
	/* The reservation goes with the cookie */
	if (vmt_pat_lookup(d.bar_phys + 0x10000, d.bar_phys + 0x20000, type) > 0)
		ck_assert_str_ne(type, "write-combining");
	/* and the whole BAR is uncached again afterwards */
	uc = map_at(d.fd, d.bar_off, 0x20000);
	uc[0x10000 / 4] = 5;
	ck_assert_int_eq(vmt_pte_flags((const void *)(uc + 0x10000 / 4), line,
				       sizeof(line)), 0);
	ck_assert_msg(vmt_pte_is_uc_minus(line), "PTE after destroy: %s", line);
	munmap((void *)uc, 0x20000);
	close_dev(&d);
}

START_TEST(wc_is_real_pread_first)
{
	check_wc_split(modes[_i], 0);
}
END_TEST

START_TEST(wc_is_real_io_while_cookie)
{
	check_wc_split(modes[_i], 1);
}
END_TEST

START_TEST(edu_registers_through_cookie)
{
	struct dev e;
	uint64_t c;
	volatile uint32_t *r;

	edu(modes[_i], &e);
	ck_assert_int_eq(cookie_create(e.fd, 0, 0, PG, 0, &c), 0);
	r = map_at(e.fd, c, PG);
	ck_assert_uint_eq(r[0], 0x010000ed);
	r[1] = 0x12345678;
	ck_assert_uint_eq(r[1], ~0x12345678u);
	r[1] = 0;
	ck_assert_uint_eq(r[1], 0xffffffffu);
	/* The same register through pread at the cookie offset */
	uint32_t id = 0;
	ck_assert_int_eq(pread(e.fd, &id, 4, c), 4);
	ck_assert_uint_eq(id, 0x010000ed);
	munmap((void *)r, PG);
	/* WC on a non-prefetchable BAR is refused */
	ck_assert_int_eq(cookie_create(e.fd, 0, 0, PG, VFIO_MMAP_ATTR_WC, &c),
			 wc_refused_errno());
	close_dev(&e);
}
END_TEST

START_TEST(subrange_cookie)
{
	struct dev d;
	uint64_t c;
	volatile uint8_t *p;
	uint8_t pat[16];
	char name[64];

	ivshmem(modes[_i], &d);
	ck_assert_int_eq(cookie_create(d.fd, 2, 5 * PG, PG, VFIO_MMAP_ATTR_WC,
				       &c), 0);
	/* exactly one page: a two-page mapping does not fit */
	ck_assert_int_eq(map_errno(d.fd, c, 2 * PG), EINVAL);
	p = map_at(d.fd, c, PG);
	for (size_t i = 0; i < sizeof(pat); i++)
		pat[i] = (uint8_t)(0x30 + i + 16 * _i);
	for (size_t i = 0; i < sizeof(pat); i++)
		p[0x40 * (_i + 1) + i] = pat[i];
	__asm__ __volatile__("sfence" ::: "memory");
	snprintf(name, sizeof(name), "subrange-mode%d", (int)modes[_i]);
	vmt_hostcheck(name, 5 * PG + 0x40 * (_i + 1), pat, sizeof(pat));
	munmap((void *)p, PG);
	close_dev(&d);
}
END_TEST

START_TEST(cookie_alignment_uniqueness)
{
	struct dev d;
	uint64_t sizes[] = { 1, 3, 2, 6, 4, 5, 8, 9, 16, 7 };
	uint64_t c[10];

	/* distinct ranges (an identical one would share its cookie) */
	ivshmem(modes[_i], &d);
	for (int i = 0; i < 10; i++) {
		uint64_t sz = sizes[i] * PG, p2 = PG;

		while (p2 < sz)
			p2 <<= 1;
		ck_assert_int_eq(cookie_create(d.fd, 2, 0, sz, 0, &c[i]), 0);
		ck_assert_uint_ge(c[i], 1ULL << 48);
		ck_assert_uint_lt(c[i] + sz, 1ULL << 62);
		ck_assert_msg(c[i] % p2 == 0, "cookie 0x%llx not aligned to 0x%llx",
			      (unsigned long long)c[i], (unsigned long long)p2);
		for (int j = 0; j < i; j++) {
			uint64_t szj = sizes[j] * PG;

			ck_assert_msg(c[i] + sz <= c[j] || c[j] + szj <= c[i],
				      "cookies overlap");
		}
	}
	/* after a destroy, the next cookie is aligned and above all others */
	ck_assert_int_eq(cookie_destroy(d.fd, c[1]), 0);
	ck_assert_int_eq(cookie_create(d.fd, 2, 0, 10 * PG, 0, &c[1]), 0);
	ck_assert_uint_eq(c[1] % (16 * PG), 0);
	for (int j = 0; j < 10; j++)
		if (j != 1)
			ck_assert_uint_ge(c[1], c[j] + sizes[j] * PG);
	close_dev(&d);
}
END_TEST

#define LIMIT_PARAM "/sys/module/vfio/parameters/max_mmap_cookies"

static unsigned int read_limit(void)
{
	FILE *f = fopen(LIMIT_PARAM, "r");
	unsigned int v = 0;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fscanf(f, "%u", &v), 1);
	fclose(f);
	return v;
}

static void write_limit(unsigned int v)
{
	FILE *f = fopen(LIMIT_PARAM, "w");

	ck_assert_ptr_nonnull(f);
	fprintf(f, "%u\n", v);
	ck_assert_int_eq(fclose(f), 0);
}

START_TEST(limit_and_release_on_close)
{
	struct dev d;
	uint64_t c[9], old_cookie;
	unsigned int old = read_limit();

	ck_assert_uint_eq(old, 1024);	/* documented default */
	write_limit(8);
	ivshmem(modes[_i], &d);
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(cookie_create(d.fd, 2, i * PG, PG, 0, &c[i]), 0);
	ck_assert_int_eq(cookie_create(d.fd, 2, 8 * PG, PG, 0, &c[8]), -ENOSPC);
	/* the same range again is the same cookie: no new slot needed */
	ck_assert_int_eq(cookie_create(d.fd, 2, 2 * PG, PG, 0, &old_cookie), 0);
	ck_assert_uint_eq(old_cookie, c[2]);
	ck_assert_int_eq(cookie_destroy(d.fd, c[2]), 0);
	ck_assert_int_eq(cookie_destroy(d.fd, c[3]), 0);
	ck_assert_int_eq(cookie_create(d.fd, 2, 3 * PG, PG, 0, &c[3]), 0);
	ck_assert_int_eq(cookie_create(d.fd, 2, 8 * PG, PG, 0, &c[8]), -ENOSPC);
	old_cookie = c[0];
	close_dev(&d);

	/* closing freed every cookie: the full limit is available again */
	ivshmem(modes[_i], &d);
	ck_assert_int_eq(map_errno(d.fd, old_cookie, PG), EINVAL);
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(cookie_create(d.fd, 2, i * PG, PG, 0, &c[i]), 0);
	ck_assert_int_eq(cookie_create(d.fd, 2, 8 * PG, PG, 0, &c[8]), -ENOSPC);
	close_dev(&d);
	write_limit(old);
}
END_TEST

START_TEST(destroy_while_mapped)
{
	struct dev d;
	uint64_t c;
	volatile uint32_t *p;
	uint32_t v;

	ivshmem(modes[_i], &d);
	ck_assert_int_eq(cookie_create(d.fd, 2, 2 * PG, 2 * PG, 0, &c), 0);
	p = map_at(d.fd, c, 2 * PG);
	p[0] = 0x11111111;
	ck_assert_int_eq(cookie_destroy(d.fd, c), 0);
	/* the existing mapping keeps working */
	p[1] = 0x22222222;
	ck_assert_uint_eq(p[0], 0x11111111);
	ck_assert_int_eq(pread(d.fd, &v, 4, d.bar_off + 2 * PG + 4), 4);
	ck_assert_uint_eq(v, 0x22222222);
	/* new mmaps and I/O at the cookie fail; the cookie is gone */
	ck_assert_int_eq(map_errno(d.fd, c, PG), EINVAL);
	ck_assert_int_eq(pread(d.fd, &v, 4, c), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(cookie_destroy(d.fd, c), -ENOENT);
	/* the memory-disable zap still reaches the orphaned mapping */
	set_mem_enable(d.fd, false);
	ck_assert(vmt_faults(p));
	set_mem_enable(d.fd, true);
	ck_assert(!vmt_faults(p));
	ck_assert_uint_eq(p[0], 0x11111111);
	munmap((void *)p, 2 * PG);
	close_dev(&d);
}
END_TEST

START_TEST(pread_pwrite_at_cookie)
{
	struct dev d;
	uint64_t c;
	volatile uint32_t *p;
	uint32_t v = 0xcafef00d, r = 0;
	char buf[2 * PG];

	ivshmem(modes[_i], &d);
	ck_assert_int_eq(cookie_create(d.fd, 2, 3 * PG, 2 * PG,
				       VFIO_MMAP_ATTR_WC, &c), 0);
	p = map_at(d.fd, c, 2 * PG);
	ck_assert_int_eq(pwrite(d.fd, &v, 4, c + PG + 8), 4);
	ck_assert_uint_eq(p[(PG + 8) / 4], v);
	p[3] = 0x01020304;
	__asm__ __volatile__("sfence" ::: "memory");
	ck_assert_int_eq(pread(d.fd, &r, 4, c + 12), 4);
	ck_assert_uint_eq(r, 0x01020304);
	/* the same bytes at the legacy offset */
	ck_assert_int_eq(pread(d.fd, &r, 4, d.bar_off + 3 * PG + 12), 4);
	ck_assert_uint_eq(r, 0x01020304);
	/* a read is trimmed at the end of the cookie */
	ck_assert_int_eq(pread(d.fd, buf, sizeof(buf), c + PG), PG);
	munmap((void *)p, 2 * PG);
	close_dev(&d);
}
END_TEST

START_TEST(memory_disable_zaps_cookie)
{
	struct dev d;
	uint64_t c, c2;
	volatile uint32_t *p, *q, *l;

	ivshmem(modes[_i], &d);
	ck_assert_int_eq(cookie_create(d.fd, 2, 0, 4 * PG, VFIO_MMAP_ATTR_WC,
				       &c), 0);
	ck_assert_int_eq(cookie_create(d.fd, 2, 8 * PG, PG, 0, &c2), 0);
	p = map_at(d.fd, c, 4 * PG);
	q = map_at(d.fd, c2, PG);
	l = map_at(d.fd, d.bar_off, PG);
	p[0] = 7;
	q[0] = 8;
	ck_assert(!vmt_faults(p) && !vmt_faults(q) && !vmt_faults(l));
	set_mem_enable(d.fd, false);
	ck_assert(vmt_faults(p));
	ck_assert(vmt_faults(p + PG / 4));
	ck_assert(vmt_faults(q));
	ck_assert(vmt_faults(l));
	set_mem_enable(d.fd, true);
	ck_assert(!vmt_faults(p) && !vmt_faults(q) && !vmt_faults(l));
	ck_assert_uint_eq(p[0], 7);
	ck_assert_uint_eq(q[0], 8);
	munmap((void *)p, 4 * PG);
	munmap((void *)q, PG);
	munmap((void *)l, PG);
	close_dev(&d);
}
END_TEST

/* Each malformed request and the errno docs/uapi.md documents for it. */
START_TEST(bad_input)
{
	struct dev d, e;
	uint64_t c;
	struct vfio_device_feature_mmap_cookie mc;
	uint8_t big[sizeof(mc) + 16];

	ivshmem(modes[_i], &d);
	uint64_t sz = d.bar_size;

	ck_assert_int_eq(cookie_create(d.fd, 2, 0, PG, 1u << 5, &c), -EOPNOTSUPP);
	ck_assert_int_eq(cookie_create(d.fd, 2, 0, PG, 1ULL << 40, &c), -EOPNOTSUPP);
	ck_assert_int_eq(cookie_create(d.fd, 2, 0, PG, 0x80000000u, &c), -EOPNOTSUPP);
	ck_assert_int_eq(cookie_create(d.fd, 99, 0, PG, 0, &c), -EINVAL);
	ck_assert_int_eq(cookie_create(d.fd, 0xffffffffu, 0, PG, 0, &c), -EINVAL);
	ck_assert_int_eq(cookie_create(d.fd, 2, 0x10, PG, 0, &c), -EINVAL);
	ck_assert_int_eq(cookie_create(d.fd, 2, 0, PG + 1, 0, &c), -EINVAL);
	ck_assert_int_eq(cookie_create(d.fd, 2, 0, 0, 0, &c), -EINVAL);
	ck_assert_int_eq(cookie_create(d.fd, 2, sz, PG, 0, &c), -EINVAL);
	ck_assert_int_eq(cookie_create(d.fd, 2, sz - PG, 2 * PG, 0, &c), -EINVAL);
	ck_assert_int_eq(cookie_create(d.fd, 2, 0, sz + PG, 0, &c), -EINVAL);
	ck_assert_int_eq(cookie_create(d.fd, 2, ~0xfffULL, 2 * PG, 0, &c),
			 -EINVAL);
	ck_assert_int_eq(cookie_create(d.fd, VFIO_PCI_CONFIG_REGION_INDEX, 0, PG,
				       0, &c), -EINVAL);
	ck_assert_int_eq(cookie_create(d.fd, VFIO_PCI_ROM_REGION_INDEX, 0, PG,
				       0, &c), -EINVAL);
	ck_assert_int_eq(cookie_create(d.fd, VFIO_PCI_VGA_REGION_INDEX, 0, PG,
				       0, &c), -EINVAL);
	ck_assert_int_eq(cookie_create(d.fd, 1, 0, PG, 0, &c), -EINVAL); /* empty BAR */
	ck_assert_int_eq(cookie_create(d.fd, VFIO_PCI_CONFIG_REGION_INDEX, 0, PG,
				       VFIO_MMAP_ATTR_WC, &c), -EINVAL);

	/* argsz too small */
	memset(&mc, 0, sizeof(mc));
	mc.region_index = 2;
	mc.size = PG;
	ck_assert_int_eq(feature(d.fd, VFIO_DEVICE_FEATURE_GET, &mc,
				 sizeof(mc) - 8), -EINVAL);
	/* argsz larger: zero tail accepted, non-zero tail E2BIG */
	memset(big, 0, sizeof(big));
	memcpy(big, &mc, sizeof(mc));
	ck_assert_int_eq(feature(d.fd, VFIO_DEVICE_FEATURE_GET, big, sizeof(big)), 0);
	memcpy(&mc, big, sizeof(mc));
	ck_assert_uint_ge(mc.cookie, 1ULL << 48);
	ck_assert_int_eq(cookie_destroy(d.fd, mc.cookie), 0);
	memset(big, 0, sizeof(big));
	((struct vfio_device_feature_mmap_cookie *)big)->region_index = 2;
	((struct vfio_device_feature_mmap_cookie *)big)->size = PG;
	big[sizeof(mc) + 3] = 1;
	ck_assert_int_eq(feature(d.fd, VFIO_DEVICE_FEATURE_GET, big, sizeof(big)),
			 -E2BIG);
	/* GET with a non-zero cookie, SET with other fields */
	memset(&mc, 0, sizeof(mc));
	mc.region_index = 2;
	mc.size = PG;
	mc.cookie = 1ULL << 48;
	ck_assert_int_eq(feature(d.fd, VFIO_DEVICE_FEATURE_GET, &mc, sizeof(mc)),
			 -EINVAL);
	ck_assert_int_eq(cookie_create(d.fd, 2, 0, PG, 0, &c), 0);
	memset(&mc, 0, sizeof(mc));
	mc.cookie = c;
	mc.size = PG;
	ck_assert_int_eq(feature(d.fd, VFIO_DEVICE_FEATURE_SET, &mc, sizeof(mc)),
			 -EINVAL);
	/* destroy: unknown, inside a cookie, legacy offset, twice */
	ck_assert_int_eq(cookie_destroy(d.fd, (1ULL << 60) + 0x123000), -ENOENT);
	ck_assert_int_eq(cookie_destroy(d.fd, c + 1), -ENOENT);
	ck_assert_int_eq(cookie_destroy(d.fd, 2ULL << 40), -ENOENT);
	ck_assert_int_eq(cookie_destroy(d.fd, 0), -ENOENT);
	ck_assert_int_eq(cookie_destroy(d.fd, c), 0);
	ck_assert_int_eq(cookie_destroy(d.fd, c), -ENOENT);
	/* mmap beyond the cookie's size */
	ck_assert_int_eq(cookie_create(d.fd, 2, 0, 2 * PG, 0, &c), 0);
	ck_assert_int_eq(map_errno(d.fd, c, 3 * PG), EINVAL);
	ck_assert_int_eq(map_errno(d.fd, c + PG, 2 * PG), EINVAL);
	ck_assert_int_eq(map_errno(d.fd, c + PG, PG), 0);
	/* MAP_PRIVATE refused as for regions */
	ck_assert(mmap(NULL, PG, PROT_READ, MAP_PRIVATE, d.fd, (off_t)c) ==
		  MAP_FAILED);
	close_dev(&d);

	edu(modes[_i], &e);
	ck_assert_int_eq(cookie_create(e.fd, 0, 0, PG, VFIO_MMAP_ATTR_WC, &c),
			 wc_refused_errno());
	close_dev(&e);
}
END_TEST

/*
 * The bad-input table of docs/uapi.md (generated into bad_input_table.h):
 * each row is a request and the errno it must fail with.
 */
static uint64_t val(const char *v, uint64_t bar, uint64_t live, uint64_t destroyed)
{
	uint64_t base = 0;
	const char *rest = v;

	if (!strncmp(v, "BAR", 3)) {
		base = bar;
		rest = v + 3;
	} else if (!strncmp(v, "live", 4)) {
		base = live;
		rest = v + 4;
	} else if (!strncmp(v, "destroyed", 9)) {
		base = destroyed;
		rest = v + 9;
	}
	if (!*rest)
		return base;
	int sign = 1;

	if (*rest == '+' || *rest == '-') {
		sign = *rest == '-' ? -1 : 1;
		rest++;
	}
	char *end;
	uint64_t n = strtoull(rest, &end, 0);

	if (*end == 'p')
		n *= PG;
	return sign > 0 ? base + n : base - n;
}

static bool arg(const char *args, const char *key, char out[64])
{
	char pat[32];
	const char *p;

	snprintf(pat, sizeof(pat), "%s=", key);
	for (p = strstr(args, pat); p; p = strstr(p + 1, pat)) {
		if (p == args || p[-1] == ' ') {
			sscanf(p + strlen(pat), "%63s", out);
			return true;
		}
	}
	return false;
}

static int run_row(const struct bad_row *r, struct dev *d)
{
	uint64_t live, destroyed, bar = d->bar_size;
	char v[64];
	int ret;

	ck_assert_int_eq(cookie_create(d->fd, d->bar, 0, 2 * PG, 0, &live), 0);
	ck_assert_int_eq(cookie_create(d->fd, d->bar, 0, PG, 0, &destroyed), 0);
	ck_assert_int_eq(cookie_destroy(d->fd, destroyed), 0);

	if (!strcmp(r->op, "create")) {
		struct {
			struct vfio_device_feature_mmap_cookie mc;
			uint8_t tail[32];
		} b;
		struct {
			struct vfio_device_feature h;
			uint8_t data[sizeof(b)];
		} f;
		long delta = 0;

		memset(&b, 0, sizeof(b));
		b.mc.region_index = arg(r->args, "region", v) ? (uint32_t)val(v, bar, live, destroyed) : 2;
		b.mc.region_offset = arg(r->args, "offset", v) ? val(v, bar, live, destroyed) : 0;
		b.mc.size = arg(r->args, "size", v) ? val(v, bar, live, destroyed) : PG;
		b.mc.attrs = arg(r->args, "attrs", v) ? val(v, bar, live, destroyed) : 0;
		b.mc.cookie = arg(r->args, "cookie", v) ? val(v, bar, live, destroyed) : 0;
		if (arg(r->args, "argsz", v))
			delta = strtol(v, NULL, 0);
		if (arg(r->args, "tail", v))
			b.tail[3] = (uint8_t)strtoul(v, NULL, 0);
		memset(&f, 0, sizeof(f));
		f.h.argsz = (uint32_t)((long)(sizeof(f.h) + sizeof(b.mc)) + delta);
		f.h.flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MMAP_COOKIE;
		memcpy(f.data, &b, sizeof(b));
		ret = ioctl(d->fd, VFIO_DEVICE_FEATURE, &f) ? -errno : 0;
		if (!ret) {	/* unexpectedly created: clean up */
			memcpy(&b, f.data, sizeof(b));
			cookie_destroy(d->fd, b.mc.cookie);
		}
	} else if (!strcmp(r->op, "destroy")) {
		struct vfio_device_feature_mmap_cookie mc = { 0 };

		ck_assert(arg(r->args, "cookie", v));
		mc.cookie = val(v, bar, live, destroyed);
		if (arg(r->args, "size", v))
			mc.size = val(v, bar, live, destroyed);
		if (arg(r->args, "region", v))
			mc.region_index = (uint32_t)val(v, bar, live, destroyed);
		ret = feature(d->fd, VFIO_DEVICE_FEATURE_SET, &mc, sizeof(mc));
	} else if (!strcmp(r->op, "mmap")) {
		ck_assert(arg(r->args, "cookie", v));
		uint64_t off = val(v, bar, live, destroyed);

		ck_assert(arg(r->args, "size", v));
		uint64_t size = val(v, bar, live, destroyed);
		void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
			       strstr(r->args, "private") ? MAP_PRIVATE : MAP_SHARED,
			       d->fd, (off_t)off);

		ret = p == MAP_FAILED ? -errno : 0;
		if (p != MAP_FAILED)
			munmap(p, size);
	} else {	/* pread */
		uint32_t w;

		ck_assert(arg(r->args, "cookie", v));
		ret = pread(d->fd, &w, 4, (off_t)val(v, bar, live, destroyed)) < 0 ? -errno : 0;
	}
	cookie_destroy(d->fd, live);
	return ret;
}

START_TEST(bad_input_table)
{
	struct dev d, e;
	size_t n = sizeof(bad_rows) / sizeof(bad_rows[0]);

	ck_assert_uint_ge(n, 25);
	ivshmem(modes[_i], &d);
	edu(modes[_i], &e);
	for (size_t i = 0; i < n; i++) {
		const struct bad_row *r = &bad_rows[i];
		int got = run_row(r, r->edu ? &e : &d);

		ck_assert_msg(got == -r->err, "docs/uapi.md row %d (%s %s): got %d (%s), documented %s",
			      r->n, r->op, r->args, got, strerror(-got), r->errname);
	}
	printf("bad-input table: %zu documented requests, each with its errno\n", n);
	close_dev(&d);
	close_dev(&e);
}
END_TEST


/* ---- series v2: write-combining that ordinary call orders cannot break ---- */

static bool cmdline_has(const char *word)
{
	char buf[1024] = "";
	FILE *f = fopen("/proc/cmdline", "r");
	size_t n = strlen(word);
	const char *p;

	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		fclose(f);
	}
	for (p = strstr(buf, word); p; p = strstr(p + n, word))
		if ((p == buf || p[-1] == ' ') &&
		    (p[n] == ' ' || p[n] == '\n' || !p[n]))
			return true;
	return false;
}

/* PTE of @va after touching it (read), as a dump line */
static void touch_pte(volatile uint32_t *va, char *line, size_t len)
{
	(void)*va;
	ck_assert_int_eq(vmt_pte_flags((const void *)va, line, len), 0);
}

/*
 * Aliasing: a WC cookie created while a legacy mapping of the same page is
 * faulted in UC- must not leave that PTE UC- (v1 did: one page mapped UC-
 * and WC at once), and a legacy PTE faulted WC while the cookie lived must
 * not stay WC after the cookie is gone.
 */
START_TEST(wc_create_and_destroy_zap_other_mappings)
{
	struct dev d;
	uint64_t c;
	volatile uint32_t *uc, *wc;
	char line[512];

	ivshmem(modes[_i], &d);
	uc = map_at(d.fd, d.bar_off, 0x10000);
	touch_pte(uc + 0x3000 / 4, line, sizeof(line));
	ck_assert_msg(vmt_pte_is_uc_minus(line), "legacy PTE before: %s", line);

	ck_assert_int_eq(cookie_create(d.fd, 2, 0x3000, PG, VFIO_MMAP_ATTR_WC,
				       &c), 0);
	/* the stale UC- PTE is gone; faulting again gives the page's type */
	ck_assert_int_eq(vmt_pte_flags((const void *)(uc + 0x3000 / 4), line,
				       sizeof(line)), 0);
	ck_assert_msg(!vmt_pte_is_uc_minus(line),
		      "legacy PTE of a WC cookie page still UC-: %s", line);
	touch_pte(uc + 0x3000 / 4, line, sizeof(line));
	ck_assert_msg(vmt_pte_is_wc(line), "legacy PTE of WC page: %s", line);
	wc = map_at(d.fd, c, PG);
	touch_pte(wc, line, sizeof(line));
	ck_assert_msg(vmt_pte_is_wc(line), "cookie PTE: %s", line);
	/* the neighbours stay uncached */
	touch_pte(uc + 0x2000 / 4, line, sizeof(line));
	ck_assert_msg(vmt_pte_is_uc_minus(line), "neighbour PTE: %s", line);

	/* destroyed but still mapped: the mapping pins the cookie and its type */
	ck_assert_int_eq(cookie_destroy(d.fd, c), 0);
	touch_pte(wc, line, sizeof(line));
	ck_assert_msg(vmt_pte_is_wc(line), "pinned cookie PTE: %s", line);
	touch_pte(uc + 0x3000 / 4, line, sizeof(line));
	ck_assert_msg(vmt_pte_is_wc(line), "legacy PTE while pinned: %s", line);
	/* the last cookie mapping gone: the page's other mappings refault UC- */
	munmap((void *)wc, PG);
	ck_assert_int_eq(vmt_pte_flags((const void *)(uc + 0x3000 / 4), line,
				       sizeof(line)), 0);
	ck_assert_msg(!vmt_pte_is_wc(line),
		      "legacy PTE still WC after the cookie is gone: %s", line);
	touch_pte(uc + 0x3000 / 4, line, sizeof(line));
	ck_assert_msg(vmt_pte_is_uc_minus(line), "legacy PTE after: %s", line);
	munmap((void *)uc, 0x10000);
	close_dev(&d);
}
END_TEST

/* A mapping of @size at an address aligned to @align */
static void *map_aligned(int fd, uint64_t off, size_t size, size_t align)
{
	uint8_t *r = mmap(NULL, size + align, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *a;
	void *p;

	ck_assert(r != MAP_FAILED);
	a = (uint8_t *)(((uintptr_t)r + align - 1) & ~(uintptr_t)(align - 1));
	p = mmap(a, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
		 (off_t)off);
	ck_assert_msg(p == a, "mmap at %p: %s", (void *)a, strerror(errno));
	if (a > r)
		munmap(r, a - r);
	if (a + size < r + size + align)
		munmap(a + size, r + size + align - (a + size));
	return p;
}

/*
 * A huge (PMD) fault takes one memory type for all its pages.  With a WC
 * cookie on one page of a 2M block, a legacy mapping of the block must
 * fall back to 4K pages: the WC page WC, the rest UC- (v1 mapped the whole
 * 2M with the type of the first page).  Both orders of the first touch.
 */
static void check_huge_mixed(enum vmt_mode mode, uint64_t wc_off,
			     uint64_t first_touch)
{
	const size_t M2 = 2UL << 20;
	struct dev d;
	uint64_t c;
	volatile uint32_t *uc;
	char line[512], lv[8];

	ivshmem(mode, &d);
	ck_assert_uint_ge(d.bar_size, 2 * M2);
	ck_assert_int_eq(cookie_create(d.fd, 2, wc_off, PG, VFIO_MMAP_ATTR_WC,
				       &c), 0);
	uc = map_aligned(d.fd, d.bar_off, M2, M2);
	touch_pte(uc + first_touch / 4, line, sizeof(line));
	ck_assert_msg(!strcmp(vmt_pte_level(line, lv), "pte"),
		      "a 2M block with a WC page was mapped %s: %s", lv, line);
	touch_pte(uc + wc_off / 4, line, sizeof(line));
	ck_assert_msg(vmt_pte_is_wc(line), "WC page: %s", line);
	touch_pte(uc + (wc_off ^ 0x100000) / 4, line, sizeof(line));
	ck_assert_msg(vmt_pte_is_uc_minus(line), "UC page: %s", line);
	munmap((void *)uc, M2);

	/* a 2M block with no WC page still gets a PMD */
	uc = map_aligned(d.fd, d.bar_off + M2, M2, M2);
	touch_pte(uc, line, sizeof(line));
	ck_assert_msg(!strcmp(vmt_pte_level(line, lv), "pmd"),
		      "uniform 2M block mapped %s: %s", lv, line);
	ck_assert_msg(vmt_pte_is_uc_minus(line), "UC PMD: %s", line);
	munmap((void *)uc, M2);
	ck_assert_int_eq(cookie_destroy(d.fd, c), 0);
	close_dev(&d);
}

START_TEST(huge_fault_wc_first_page)
{
	check_huge_mixed(modes[_i], 0, 0x100000);
}
END_TEST

START_TEST(huge_fault_wc_inner_page)
{
	check_huge_mixed(modes[_i], 0x100000, 0);
}
END_TEST

/* A WC cookie of a whole 2M block maps it with one WC PMD */
START_TEST(huge_fault_wc_block)
{
	const size_t M2 = 2UL << 20;
	struct dev d;
	uint64_t c;
	volatile uint32_t *p;
	char line[512], lv[8];

	ivshmem(modes[_i], &d);
	ck_assert_int_eq(cookie_create(d.fd, 2, M2, M2, VFIO_MMAP_ATTR_WC, &c),
			 0);
	ck_assert_uint_eq(c % M2, 0);
	p = map_aligned(d.fd, c, M2, M2);
	touch_pte(p + 0x1000, line, sizeof(line));
	ck_assert_msg(!strcmp(vmt_pte_level(line, lv), "pmd"), "cookie %s: %s",
		      lv, line);
	ck_assert_msg(vmt_pte_is_wc(line), "cookie PMD: %s", line);
	munmap((void *)p, M2);
	ck_assert_int_eq(cookie_destroy(d.fd, c), 0);
	close_dev(&d);
}
END_TEST

/*
 * A WC reservation that PAT hands another type must fail creation: a root
 * mapping of the sysfs resource file reserves UC- for its range (v1
 * returned a cookie whose PTEs were UC-).
 */
START_TEST(wc_refused_over_uc_reservation)
{
	struct dev d;
	uint64_t c;
	char path[128], bdf[32];
	void *res;
	int rfd;

	ivshmem(modes[_i], &d);
	/*
	 * vfio claims the BAR before the root mapping is made: 7.3 claims it
	 * at open, 6.12 on first use (this read).  Claiming revokes existing
	 * sysfs mappings of the BAR, and on 6.12 the revoke frees their
	 * reservation too (see wc_after_revoked_root_mapping).
	 */
	ck_assert_int_eq(pread(d.fd, &(uint32_t){ 0 }, 4, d.bar_off), 4);
	ck_assert_int_eq(vmt_find_device(IVSHMEM_VENDOR, IVSHMEM_DEVICE, bdf), 0);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource2", bdf);
	rfd = open(path, O_RDWR | O_SYNC);
	ck_assert_int_ge(rfd, 0);
	res = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, rfd, 0x20000);
	if (vmt_strict_devmem()) {
		/*
		 * CONFIG_IO_STRICT_DEVMEM (Debian's): root cannot map a BAR
		 * a driver has claimed, so no UC- alias can exist.
		 */
		ck_assert(res == MAP_FAILED);
		ck_assert_int_eq(errno, EINVAL);
		close(rfd);
		ck_assert_int_eq(cookie_create(d.fd, 2, 0x20000, PG,
					       VFIO_MMAP_ATTR_WC, &c), 0);
		ck_assert_int_eq(cookie_destroy(d.fd, c), 0);
		close_dev(&d);
		return;
	}
	ck_assert(res != MAP_FAILED);
	(void)*(volatile uint32_t *)res;

	ck_assert_int_eq(cookie_create(d.fd, 2, 0x20000, PG, VFIO_MMAP_ATTR_WC,
				       &c), -EBUSY);
	/* a range next to it is fine */
	ck_assert_int_eq(cookie_create(d.fd, 2, 0x21000, PG, VFIO_MMAP_ATTR_WC,
				       &c), 0);
	ck_assert_int_eq(cookie_destroy(d.fd, c), 0);
	munmap(res, PG);
	close(rfd);
	/* once the other mapping is gone, WC is possible */
	ck_assert_int_eq(cookie_create(d.fd, 2, 0x20000, PG, VFIO_MMAP_ATTR_WC,
				       &c), 0);
	ck_assert_int_eq(cookie_destroy(d.fd, c), 0);
	close_dev(&d);
}
END_TEST

/*
 * The other order: a root mapping of the sysfs resource file made before
 * vfio touched the BAR.  7.3 claimed the BAR at open, so the mapping holds
 * a UC- reservation and creation fails with EBUSY.  6.12 claims the BAR
 * only now, which revokes (zaps) the root mapping and, on 6.12, frees its
 * reservation: creation succeeds, and the root mapping must not come back
 * as a UC- alias of the WC page (it raises SIGBUS).
 */
START_TEST(wc_after_revoked_root_mapping)
{
	volatile uint32_t *res;
	char path[128], bdf[32], line[256];
	struct dev d;
	uint64_t c;
	int rfd, ret;

	ivshmem(modes[_i], &d);
	ck_assert_int_eq(vmt_find_device(IVSHMEM_VENDOR, IVSHMEM_DEVICE, bdf), 0);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource2", bdf);
	rfd = open(path, O_RDWR | O_SYNC);
	ck_assert_int_ge(rfd, 0);
	res = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, rfd, 0x30000);
	ck_assert(res != MAP_FAILED);
	(void)*res;

	ret = cookie_create(d.fd, 2, 0x30000, PG, VFIO_MMAP_ATTR_WC, &c);
	if (ret == 0) {
		volatile uint32_t *wc = map_at(d.fd, c, PG);

		touch_pte(wc, line, sizeof(line));
		ck_assert_msg(vmt_pte_is_wc(line), "cookie PTE: %s", line);
		ck_assert_msg(vmt_faults(res),
			      "root mapping of a WC page still reachable");
		munmap((void *)wc, PG);
		ck_assert_int_eq(cookie_destroy(d.fd, c), 0);
	} else {
		ck_assert_int_eq(ret, -EBUSY);
		ck_assert(!vmt_faults(res));
	}
	munmap((void *)res, PG);
	close(rfd);
	close_dev(&d);
}
END_TEST

static int ioeventfd(int fd, uint64_t off, int efd)
{
	struct vfio_device_ioeventfd ie = {
		.argsz = sizeof(ie),
		.flags = VFIO_DEVICE_IOEVENTFD_32,
		.offset = off,
		.data = 0x1234,
		.fd = efd,
	};

	return ioctl(fd, VFIO_DEVICE_IOEVENTFD, &ie) ? -errno : 0;
}

/*
 * ioeventfds keep a pointer into the kernel's whole-BAR mapping, which a
 * BAR with WC cookies does not have: on one BAR they exclude each other,
 * for as long as either exists, in both orders, and a failed delete does
 * not count (v1 pinned the BAR for good, even on a delete that failed).
 */
START_TEST(ioeventfd_and_wc_exclude_each_other)
{
	struct dev d;
	uint64_t c;
	int efd = eventfd(0, 0);

	ck_assert_int_ge(efd, 0);
	ivshmem(modes[_i], &d);
	/* a delete of nothing fails and pins nothing */
	ck_assert_int_eq(ioeventfd(d.fd, d.bar_off + 0x40, -1), -ENODEV);
	ck_assert_int_eq(cookie_create(d.fd, 2, 0x10000, PG, VFIO_MMAP_ATTR_WC,
				       &c), 0);
	ck_assert_int_eq(ioeventfd(d.fd, d.bar_off + 0x40, efd), -EBUSY);
	ck_assert_int_eq(cookie_destroy(d.fd, c), 0);
	ck_assert_int_eq(ioeventfd(d.fd, d.bar_off + 0x40, efd), 0);
	/* its own errno: not a memory-type conflict (EBUSY) */
	ck_assert_int_eq(cookie_create(d.fd, 2, 0x10000, PG, VFIO_MMAP_ATTR_WC,
				       &c), -EEXIST);
	/* plain cookies do not care */
	ck_assert_int_eq(cookie_create(d.fd, 2, 0x10000, PG, 0, &c), 0);
	ck_assert_int_eq(cookie_destroy(d.fd, c), 0);
	ck_assert_int_eq(ioeventfd(d.fd, d.bar_off + 0x40, -1), 0);
	ck_assert_int_eq(cookie_create(d.fd, 2, 0x10000, PG, VFIO_MMAP_ATTR_WC,
				       &c), 0);
	ck_assert_int_eq(cookie_destroy(d.fd, c), 0);
	close_dev(&d);
	close(efd);
}
END_TEST

/* Identical requests share one cookie; QUERY describes a cookie */
START_TEST(dedupe_and_query)
{
	struct dev d;
	uint64_t a, b, c;
	struct vfio_device_feature_mmap_cookie q = { 0 };

	ivshmem(modes[_i], &d);
	ck_assert_int_eq(cookie_create(d.fd, 2, 4 * PG, 2 * PG,
				       VFIO_MMAP_ATTR_WC, &a), 0);
	ck_assert_int_eq(cookie_create(d.fd, 2, 4 * PG, 2 * PG,
				       VFIO_MMAP_ATTR_WC, &b), 0);
	ck_assert_uint_eq(a, b);
	/* other attributes or range: another cookie */
	ck_assert_int_eq(cookie_create(d.fd, 2, 4 * PG, 2 * PG, 0, &c), 0);
	ck_assert_uint_ne(c, a);
	ck_assert_int_eq(cookie_destroy(d.fd, c), 0);

	q.flags = VFIO_MMAP_COOKIE_FLAG_QUERY;
	q.cookie = a;
	ck_assert_int_eq(feature(d.fd, VFIO_DEVICE_FEATURE_GET, &q, sizeof(q)), 0);
	ck_assert_uint_eq(q.region_index, 2);
	ck_assert_uint_eq(q.region_offset, 4 * PG);
	ck_assert_uint_eq(q.size, 2 * PG);
	ck_assert_uint_eq(q.attrs, VFIO_MMAP_ATTR_WC);
	q.cookie = a + PG;	/* inside, not the start */
	q.region_index = q.attrs = q.region_offset = q.size = 0;
	ck_assert_int_eq(feature(d.fd, VFIO_DEVICE_FEATURE_GET, &q, sizeof(q)),
			 -ENOENT);
	q.cookie = a;
	q.size = PG;		/* QUERY takes only the cookie */
	ck_assert_int_eq(feature(d.fd, VFIO_DEVICE_FEATURE_GET, &q, sizeof(q)),
			 -EINVAL);
	q.size = 0;
	q.flags = 1u << 7;	/* unknown flag */
	ck_assert_int_eq(feature(d.fd, VFIO_DEVICE_FEATURE_GET, &q, sizeof(q)),
			 -EINVAL);

	/* two references: the first destroy keeps it */
	ck_assert_int_eq(cookie_destroy(d.fd, a), 0);
	ck_assert_int_eq(map_errno(d.fd, a, PG), 0);
	ck_assert_int_eq(cookie_destroy(d.fd, a), 0);
	ck_assert_int_eq(map_errno(d.fd, a, PG), EINVAL);
	ck_assert_int_eq(cookie_destroy(d.fd, a), -ENOENT);
	close_dev(&d);
}
END_TEST

/* A cookie is congruent with its region offset modulo its alignment */
START_TEST(cookie_congruent_with_region_offset)
{
	struct dev d;
	struct { uint64_t off, size, align; } t[] = {
		{ 0x3000, 0x4000, 0x4000 },
		{ 0x5000, 0x3000, 0x4000 },
		{ 0x10000, 0x10000, 0x10000 },
		{ 0x201000, 0x200000, 0x200000 },
		{ 0x123000, PG, PG },
	};

	ivshmem(modes[_i], &d);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint64_t c;

		ck_assert_int_eq(cookie_create(d.fd, 2, t[i].off, t[i].size, 0,
					       &c), 0);
		ck_assert_msg(c % t[i].align == t[i].off % t[i].align,
			      "cookie 0x%llx for 0x%llx+0x%llx",
			      (unsigned long long)c, (unsigned long long)t[i].off,
			      (unsigned long long)t[i].size);
	}
	close_dev(&d);
}
END_TEST

/* nopat: no WC anywhere; plain cookies still work */
START_TEST(nopat_no_wc)
{
	struct dev d;
	struct vfio_region_info *ri;
	const struct vfio_region_info_cap_mmap_attrs *cap;
	uint64_t c;

	ivshmem(modes[_i], &d);
	ck_assert_int_eq(feature(d.fd, VFIO_DEVICE_FEATURE_PROBE, NULL, 0), 0);
	ri = region(d.fd, 2);
	cap = attrs_cap(ri);
	ck_assert_ptr_nonnull(cap);
	ck_assert_uint_eq(cap->attrs, 0);
	check_one_area(ri, cap, d.bar_size, 0);
	free(ri);
	/* no WC on this host: its own errno, unlike an unknown attribute */
	ck_assert_int_eq(cookie_create(d.fd, 2, 0, PG, VFIO_MMAP_ATTR_WC, &c),
			 -ENODEV);
	ck_assert_int_eq(cookie_create(d.fd, 2, 0, PG, 1u << 5, &c),
			 -EOPNOTSUPP);
	ck_assert_int_eq(cookie_create(d.fd, 2, 0, PG, 0, &c), 0);
	ck_assert_int_eq(cookie_destroy(d.fd, c), 0);
	close_dev(&d);
}
END_TEST

/* ---- dma-bufs of a BAR (VFIO_DEVICE_FEATURE_DMA_BUF, Linux 6.19+) ---- */

#define FEATURE_DMA_BUF 11	/* not in Debian 12's <linux/vfio.h> */

struct dma_buf_req {
	struct vfio_device_feature hdr;
	uint32_t region_index;
	uint32_t open_flags;
	uint32_t flags;
	uint32_t nr_ranges;
	uint64_t offset;	/* one struct vfio_region_dma_range */
	uint64_t length;
};

/* A dma-buf of [off, off + len) of region @index: its fd, or -errno. */
static int dma_buf_get(int fd, uint32_t index, uint64_t off, uint64_t len)
{
	struct dma_buf_req r;
	int ret;

	memset(&r, 0, sizeof(r));
	r.hdr.argsz = sizeof(r);
	r.hdr.flags = VFIO_DEVICE_FEATURE_GET | FEATURE_DMA_BUF;
	r.region_index = index;
	r.open_flags = O_RDWR | O_CLOEXEC;
	r.nr_ranges = 1;
	r.offset = off;
	r.length = len;
	ret = ioctl(fd, VFIO_DEVICE_FEATURE, &r);
	return ret < 0 ? -errno : ret;
}

/*
 * Under iommufd, import the dma-buf into a new IOAS (IOMMU_IOAS_MAP_FILE,
 * the peer-to-peer path): 0 or -errno.  The IOAS is destroyed again.
 */
static int dma_buf_import(int iommufd, int dbuf, uint64_t len)
{
	struct { uint32_t size, flags, out_ioas_id; } alloc = {
		.size = sizeof(alloc),
	};
	struct {
		uint32_t size, flags, ioas_id;
		int32_t fd;
		uint64_t start, length, iova;
	} map = { .size = sizeof(map), .flags = (1 << 1) | (1 << 2),
		  .fd = dbuf, .length = len };
	struct { uint32_t size, id; } destroy = { .size = sizeof(destroy) };
	int ret = 0;

	if (ioctl(iommufd, _IO(';', 0x81), &alloc))
		return -errno;
	map.ioas_id = alloc.out_ioas_id;
	if (ioctl(iommufd, _IO(';', 0x8f), &map))
		ret = -errno;
	destroy.id = alloc.out_ioas_id;
	ck_assert_int_eq(ioctl(iommufd, _IO(';', 0x80), &destroy), 0);
	return ret;
}

/*
 * Cookies change CPU mappings only: a dma-buf of a BAR range is created
 * (and, under iommufd, imported) whether WC cookies of the BAR exist or
 * not, in either order, and each outlives the other.  Series v3 before
 * this rule refused the dma-buf with ENODEV while the BAR had a WC cookie.
 */
START_TEST(dma_buf_and_wc_cookies_coexist)
{
	const uint64_t off = 0x40000, len = 16 * PG;
	volatile uint32_t *p;
	struct dev d;
	uint64_t c;
	int dbuf, dbuf2;

	ivshmem(modes[_i], &d);
	ck_assert_int_eq(ioctl(d.fd, VFIO_DEVICE_FEATURE,
			       &(struct vfio_device_feature){
				       .argsz = sizeof(struct vfio_device_feature),
				       .flags = VFIO_DEVICE_FEATURE_PROBE |
						VFIO_DEVICE_FEATURE_GET |
						FEATURE_DMA_BUF }), 0);

	/* cookie first, then the dma-buf */
	ck_assert_int_eq(cookie_create(d.fd, 2, off + 4 * PG, PG,
				       VFIO_MMAP_ATTR_WC, &c), 0);
	p = map_at(d.fd, c, PG);
	dbuf = dma_buf_get(d.fd, 2, off, len);
	ck_assert_msg(dbuf >= 0, "dma-buf with a WC cookie: %s",
		      strerror(-dbuf));
	if (modes[_i] == VMT_CDEV)
		ck_assert_int_eq(dma_buf_import(d.d.container, dbuf, len), 0);
	/* the cookie's mapping still works, and goes before the dma-buf */
	p[0] = 0x0d0b0f01;
	__asm__ __volatile__("sfence" ::: "memory");
	ck_assert_uint_eq(p[0], 0x0d0b0f01);
	munmap((void *)p, PG);
	ck_assert_int_eq(cookie_destroy(d.fd, c), 0);
	if (modes[_i] == VMT_CDEV)
		ck_assert_int_eq(dma_buf_import(d.d.container, dbuf, len), 0);

	/* dma-buf first, then a cookie over the same pages */
	dbuf2 = dma_buf_get(d.fd, 2, off, len);
	ck_assert_int_ge(dbuf2, 0);
	ck_assert_int_eq(cookie_create(d.fd, 2, off, len, VFIO_MMAP_ATTR_WC,
				       &c), 0);
	p = map_at(d.fd, c, len);
	p[PG / 4] = 0x0d0b0f02;
	__asm__ __volatile__("sfence" ::: "memory");
	ck_assert_uint_eq(p[PG / 4], 0x0d0b0f02);
	if (modes[_i] == VMT_CDEV)
		ck_assert_int_eq(dma_buf_import(d.d.container, dbuf2, len), 0);
	close(dbuf);
	close(dbuf2);
	/* the cookie outlives the dma-bufs */
	ck_assert_uint_eq(p[PG / 4], 0x0d0b0f02);
	munmap((void *)p, len);
	ck_assert_int_eq(cookie_destroy(d.fd, c), 0);
	close_dev(&d);
}
END_TEST


/* ================= stock kernel ================= */

START_TEST(stock_cookie_calls_fail_cleanly)
{
	struct dev d;
	uint64_t c = 0;
	struct vfio_region_info *ri;
	volatile uint32_t *p;

	ivshmem(modes[_i], &d);
	ck_assert_int_eq(feature(d.fd, VFIO_DEVICE_FEATURE_PROBE, NULL, 0), -ENOTTY);
	ck_assert_int_eq(cookie_create(d.fd, 2, 0, PG, VFIO_MMAP_ATTR_WC, &c),
			 -ENOTTY);
	ck_assert_int_eq(cookie_destroy(d.fd, 1ULL << 48), -ENOTTY);
	ri = region(d.fd, 2);
	ck_assert_uint_eq(ri->offset, 2ULL << 40);
	ck_assert_ptr_null(attrs_cap(ri));
	free(ri);
	/* nothing maps above the legacy range */
	ck_assert_int_ne(map_errno(d.fd, 1ULL << 48, PG), 0);
	/* legacy mappings work as always */
	p = map_at(d.fd, d.bar_off, PG);
	p[0] = 0x600dcafe;
	ck_assert_uint_eq(p[0], 0x600dcafe);
	munmap((void *)p, PG);
	close_dev(&d);
}
END_TEST

/*
 * A second open of the same device (group modes: another
 * VFIO_GROUP_GET_DEVICE_FD), or -1 in cdev mode, where the device opens
 * only once.
 */
static int second_open(enum vmt_mode mode, struct dev *d)
{
	char bdf[32];

	if (mode == VMT_CDEV)
		return -1;
	ck_assert_int_eq(vmt_find_device(IVSHMEM_VENDOR, IVSHMEM_DEVICE, bdf), 0);
	return ioctl(d->d.group, VFIO_GROUP_GET_DEVICE_FD, bdf);
}

static int query(int fd, uint64_t cookie, struct vfio_device_feature_mmap_cookie *q)
{
	memset(q, 0, sizeof(*q));
	q->flags = VFIO_MMAP_COOKIE_FLAG_QUERY;
	q->cookie = cookie;
	return feature(fd, VFIO_DEVICE_FEATURE_GET, q, sizeof(*q));
}

/* v3: a cookie belongs to the file that created it (and its dups) */
START_TEST(cookie_belongs_to_its_file)
{
	struct vfio_device_feature_mmap_cookie q;
	struct dev d;
	uint64_t c, c2;
	uint32_t v;
	int dupfd, fd2;

	ivshmem(modes[_i], &d);
	ck_assert_int_eq(cookie_create(d.fd, 2, 2 * PG, PG, VFIO_MMAP_ATTR_WC,
				       &c), 0);
	/* a dup is the same file */
	dupfd = dup(d.fd);
	ck_assert_int_ge(dupfd, 0);
	ck_assert_int_eq(query(dupfd, c, &q), 0);
	ck_assert_uint_eq(q.region_offset, 2 * PG);
	ck_assert_int_eq(map_errno(dupfd, c, PG), 0);
	close(dupfd);

	fd2 = second_open(modes[_i], &d);
	if (fd2 >= 0) {
		/* another open of the device neither sees nor drops it */
		ck_assert_int_eq(query(fd2, c, &q), -ENOENT);
		ck_assert_int_eq(cookie_destroy(fd2, c), -ENOENT);
		ck_assert_int_eq(map_errno(fd2, c, PG), EINVAL);
		ck_assert_int_eq(pread(fd2, &v, 4, c), -1);
		ck_assert_int_eq(errno, EINVAL);
		/* the same request there is a cookie of its own */
		ck_assert_int_eq(cookie_create(fd2, 2, 2 * PG, PG,
					       VFIO_MMAP_ATTR_WC, &c2), 0);
		ck_assert_int_eq(query(d.fd, c2, &q), c2 == c ? 0 : -ENOENT);
		ck_assert_int_eq(cookie_destroy(fd2, c2), 0);
		ck_assert_int_eq(cookie_destroy(fd2, c2), -ENOENT);
		/* the first file's cookie is untouched */
		ck_assert_int_eq(query(d.fd, c, &q), 0);
		ck_assert_int_eq(map_errno(d.fd, c, PG), 0);
		close(fd2);
		ck_assert_int_eq(query(d.fd, c, &q), 0);
	}
	ck_assert_int_eq(cookie_destroy(d.fd, c), 0);
	ck_assert_int_eq(query(d.fd, c, &q), -ENOENT);
	close_dev(&d);
}
END_TEST

/* v3: a destroyed value never names another cookie while the file lives */
START_TEST(cookie_value_never_reused)
{
	struct vfio_device_feature_mmap_cookie q;
	struct dev d;
	uint64_t a, b, prev = 0;

	ivshmem(modes[_i], &d);
	for (int i = 0; i < 16; i++) {
		ck_assert_int_eq(cookie_create(d.fd, 2, (i % 4) * PG, PG,
					       (i & 4) ? VFIO_MMAP_ATTR_WC : 0,
					       &a), 0);
		ck_assert_uint_gt(a, prev);
		ck_assert_int_eq(cookie_destroy(d.fd, a), 0);
		/* the value is dead at once: nothing maps, queries or reads */
		ck_assert_int_eq(query(d.fd, a, &q), -ENOENT);
		ck_assert_int_eq(map_errno(d.fd, a, PG), EINVAL);
		prev = a;
	}
	/* the same request again is a new value, not the old one */
	ck_assert_int_eq(cookie_create(d.fd, 2, 0, PG, 0, &b), 0);
	ck_assert_uint_gt(b, prev);
	close_dev(&d);
}
END_TEST

/* The PAT entries of type @type overlapping [start, end) */
static bool pat_has(uint64_t start, uint64_t end, const char *type)
{
	char t[64];

	return vmt_pat_lookup(start, end, t) > 0 && strstr(t, type);
}

/*
 * v3: a mapping pins its cookie: after destroy it keeps working with the
 * cookie's memory type, and the WC reservation lives until it is unmapped.
 */
START_TEST(mapping_pins_destroyed_cookie)
{
	struct dev d;
	uint64_t c, ph;
	volatile uint32_t *p;
	char line[256];
	int efd = eventfd(0, 0);

	ck_assert_int_ge(efd, 0);
	ivshmem(modes[_i], &d);
	ph = d.bar_phys + 48 * PG;
	ck_assert_int_eq(cookie_create(d.fd, 2, 48 * PG, 2 * PG,
				       VFIO_MMAP_ATTR_WC, &c), 0);
	p = map_at(d.fd, c, 2 * PG);
	p[0] = 0x5a5a0001;
	ck_assert(pat_has(ph, ph + 2 * PG, "write-combining"));
	ck_assert_int_eq(cookie_destroy(d.fd, c), 0);
	/* still mapped: still write-combining, and still working */
	ck_assert(pat_has(ph, ph + 2 * PG, "write-combining"));
	p[PG / 4] = 0x5a5a0002;
	__asm__ __volatile__("sfence" ::: "memory");
	ck_assert_uint_eq(p[0], 0x5a5a0001);
	touch_pte(p, line, sizeof(line));
	ck_assert_msg(vmt_pte_is_wc(line), "PTE after destroy: %s", line);
	/* the BAR still has a WC range: ioeventfds stay excluded */
	ck_assert_int_eq(ioeventfd(d.fd, d.bar_off + 0x40, efd), -EBUSY);
	munmap((void *)p, 2 * PG);
	/* the last mapping gone: the reservation is gone */
	ck_assert(!pat_has(ph, ph + 2 * PG, "write-combining"));
	ck_assert_int_eq(map_errno(d.fd, c, PG), EINVAL);
	ck_assert_int_eq(ioeventfd(d.fd, d.bar_off + 0x40, efd), 0);
	ck_assert_int_eq(ioeventfd(d.fd, d.bar_off + 0x40, -1), 0);
	close_dev(&d);
	close(efd);
}
END_TEST

/* v3: closing one file of the device frees that file's cookies at once */
START_TEST(close_frees_the_files_cookies)
{
	struct dev d;
	uint64_t c, ph;
	int fd2;

	ivshmem(modes[_i], &d);
	fd2 = second_open(modes[_i], &d);
	if (fd2 < 0) {
		/* cdev: one open only; closing it is covered elsewhere */
		close_dev(&d);
		return;
	}
	ph = d.bar_phys + 10 * PG;
	ck_assert_int_eq(cookie_create(fd2, 2, 10 * PG, PG, VFIO_MMAP_ATTR_WC,
				       &c), 0);
	ck_assert(pat_has(ph, ph + PG, "write-combining"));
	close(fd2);
	/* the device is still open through d.fd; fd2's cookie is gone */
	ck_assert(!pat_has(ph, ph + PG, "write-combining"));
	/* and the whole per-file limit is there for a new file */
	fd2 = second_open(modes[_i], &d);
	ck_assert_int_ge(fd2, 0);
	ck_assert_int_eq(cookie_create(fd2, 2, 10 * PG, PG, VFIO_MMAP_ATTR_WC,
				       &c), 0);
	close(fd2);
	close_dev(&d);
}
END_TEST

/* A VMA split, a fork's copy and mremap each pin the cookie too */
START_TEST(vma_copies_pin_cookie)
{
	struct dev d;
	uint64_t c, ph;
	volatile uint32_t *p;
	pid_t pid;
	int st;

	ivshmem(modes[_i], &d);
	ph = d.bar_phys + 56 * PG;
	ck_assert_int_eq(cookie_create(d.fd, 2, 56 * PG, 4 * PG,
				       VFIO_MMAP_ATTR_WC, &c), 0);
	p = map_at(d.fd, c, 4 * PG);
	ck_assert_int_eq(cookie_destroy(d.fd, c), 0);
	/* split: unmap the middle, the two ends still pin it */
	ck_assert_int_eq(munmap((void *)(p + PG / 4), 2 * PG), 0);
	ck_assert(pat_has(ph, ph + 4 * PG, "write-combining"));
	p[0] = 1;
	ck_assert_int_eq(munmap((void *)p, PG), 0);
	ck_assert(pat_has(ph, ph + 4 * PG, "write-combining"));
	/* a child's copy of the last piece outlives the parent's */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		usleep(300000);
		p[3 * PG / 4] = 2;
		_exit(0);
	}
	ck_assert_int_eq(munmap((void *)(p + 3 * PG / 4), PG), 0);
	ck_assert(pat_has(ph, ph + 4 * PG, "write-combining"));
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_assert(!pat_has(ph, ph + 4 * PG, "write-combining"));
	close_dev(&d);
}
END_TEST

struct uffd_reader {
	int fd;
	uint64_t off;
	void *buf;
	volatile int done;
	ssize_t ret;
};

static void *uffd_read_thread(void *arg)
{
	struct uffd_reader *r = arg;

	r->ret = pread(r->fd, r->buf, 4, r->off);
	r->done = 1;
	return NULL;
}

struct create_job {
	int fd;
	volatile int done;
	int ret;
	uint64_t cookie;
};

static void *create_thread(void *arg)
{
	struct create_job *j = arg;

	j->ret = cookie_create(j->fd, 2, 20 * PG, PG, VFIO_MMAP_ATTR_WC,
			       &j->cookie);
	j->done = 1;
	return NULL;
}

struct read_job {
	int fd2, fd0;		/* ivshmem and edu */
	uint64_t off2, off0;
	volatile int done;
	bool ok2, ok0;
};

static void *read_thread(void *arg)
{
	struct read_job *j = arg;
	uint32_t v;

	j->ok2 = pread(j->fd2, &v, 4, j->off2) == 4;
	j->ok0 = pread(j->fd0, &v, 4, j->off0) == 4 && v == 0x010000ed;
	j->done = 1;
	return NULL;
}

static bool wait_flag(volatile int *flag, int ms)
{
	for (int i = 0; i < ms / 10 && !*flag; i++)
		usleep(10000);
	return *flag;
}

/*
 * v3: no lock across a user copy.  A pread of a BAR into a userfaultfd
 * page that nobody services must not hold up a WC cookie's creation, nor,
 * behind it, other reads of the device.
 */
START_TEST(read_into_stalled_page_stalls_nothing)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { 0 };
	struct uffd_reader r = { 0 };
	struct create_job j = { 0 };
	struct read_job rj = { 0 };
	pthread_t t1, t2, t3;
	struct dev d, e;
	bool created, read;
	char *page;
	int uffd;

	ivshmem(modes[_i], &d);
	edu(modes[_i], &e);
	uffd = syscall(__NR_userfaultfd, O_CLOEXEC);
	ck_assert_msg(uffd >= 0, "userfaultfd: %s", strerror(errno));
	ck_assert_int_eq(ioctl(uffd, UFFDIO_API, &api), 0);
	page = mmap(NULL, PG, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert(page != MAP_FAILED);
	reg.range.start = (uintptr_t)page;
	reg.range.len = PG;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	ck_assert_int_eq(ioctl(uffd, UFFDIO_REGISTER, &reg), 0);

	/* T1: a BAR read whose copy to user never completes */
	r.fd = d.fd;
	r.off = d.bar_off + 16 * PG;
	r.buf = page;
	ck_assert_int_eq(pthread_create(&t1, NULL, uffd_read_thread, &r), 0);
	usleep(200000);
	ck_assert(!r.done);

	/* T2: a WC cookie on the same BAR; T3: reads of two devices' BARs */
	j.fd = d.fd;
	ck_assert_int_eq(pthread_create(&t2, NULL, create_thread, &j), 0);
	created = wait_flag(&j.done, 1000);
	rj.fd2 = d.fd;
	rj.off2 = d.bar_off;
	rj.fd0 = e.fd;
	rj.off0 = e.bar_off;
	ck_assert_int_eq(pthread_create(&t3, NULL, read_thread, &rj), 0);
	read = wait_flag(&rj.done, 1000);

	/* release T1 whatever happened: every thread ends, the test fails */
	close(uffd);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	pthread_join(t3, NULL);
	ck_assert_msg(created, "WC cookie creation waited for a stalled read");
	ck_assert_msg(read, "BAR reads waited behind the stalled read");
	ck_assert_int_eq(j.ret, 0);
	ck_assert(rj.ok2);
	ck_assert(rj.ok0);
	munmap(page, PG);
	close_dev(&e);
	close_dev(&d);
}
END_TEST

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Create n single-page WC cookies on alternate pages, in the order of
 * their offsets or (@descending) the other way round, then close: seconds
 */
static void wc_cookies_timed(enum vmt_mode mode, int n, bool descending,
			     double *create, double *close_s)
{
	struct dev d;
	uint64_t c;
	double t;

	ivshmem(mode, &d);
	t = now_s();
	for (int i = 0; i < n; i++) {
		int k = descending ? n - 1 - i : i;

		ck_assert_int_eq(cookie_create(d.fd, 2, (4096 + 2 * k) * PG, PG,
					       VFIO_MMAP_ATTR_WC, &c), 0);
	}
	*create = now_s() - t;
	t = now_s();
	close_dev(&d);
	*close_s = now_s() - t;
}

/*
 * Seconds to create 64 single-page WC cookies on alternate pages from
 * page @first_page on, and to destroy them one by one; the lower of these
 * and *@create, *@destroy is kept.
 */
static void wc_block_timed(int fd, uint64_t first_page, double *create,
			   double *destroy)
{
	uint64_t c[64];
	double t = now_s(), t1;

	for (int i = 0; i < 64; i++)
		ck_assert_int_eq(cookie_create(fd, 2, (first_page + 2 * i) * PG,
					       PG, VFIO_MMAP_ATTR_WC, &c[i]), 0);
	t1 = now_s();
	*create = t1 - t < *create ? t1 - t : *create;
	for (int i = 0; i < 64; i++)
		ck_assert_int_eq(cookie_destroy(fd, c[i]), 0);
	t = now_s() - t1;
	*destroy = t < *destroy ? t : *destroy;
}

/*
 * 64 and then 1024 WC cookies created (in the order of their offsets or
 * @descending) and closed: printed, and each total within 40x of 64's
 * over a floor of 20 ms.
 */
static void wc_cookies_scale(bool descending)
{
	const char *order = descending ? "descending: " : "";
	double c64, x64, c1k, x1k;

	wc_cookies_timed(modes[0], 64, descending, &c64, &x64);
	wc_cookies_timed(modes[0], 1024, descending, &c1k, &x1k);
	printf("# %s64 WC cookies: create %.3f s, close %.3f s; 1024: create %.3f s, close %.3f s (ratios %.1f, %.1f)\n",
	       order, c64, x64, c1k, x1k, c1k / c64, x1k / (x64 > 0 ? x64 : 1e-9));
	fflush(stdout);
	ck_assert_msg(c1k <= 40 * (c64 > 0.02 ? c64 : 0.02),
		      "create, %s1024 cookies %.3f s vs 64 %.3f s", order, c1k, c64);
	ck_assert_msg(x1k <= 40 * (x64 > 0.02 ? x64 : 0.02),
		      "close, %s1024 cookies %.3f s vs 64 %.3f s", order, x1k, x64);
}

/*
 * v3: WC cookies on one BAR cost the same to create and to destroy with
 * 960 others live as with none, and releasing the file that holds them
 * takes time linear in their number.  v2 rebuilt every run of the BAR on
 * each create and destroy (12.8 s for 1024, about 120x the time of 64);
 * v3 as first posted still recomputed the runs on each create (the block
 * of 64 took 24x as long with 960 live).  The per-cookie costs are
 * compared in one VM, in five rounds that each time a block of 64 with
 * none live and then with 960 live (so that a burst of load on the host
 * hits both alike), best of five: at most 3x.  The totals for 64 and 1024
 * are printed, and bounded loosely (40x over a floor of 20 ms).
 */
START_TEST(wc_create_and_close_scale_linearly)
{
	double bc0 = 1e9, bd0 = 1e9, bc960 = 1e9, bd960 = 1e9;
	uint64_t live[960];
	struct dev d;

	wc_cookies_scale(false);
	/*
	 * Against the order of their offsets, each creation also moves the
	 * runs after it (2n of 32 bytes): quadratic in memmove, bounded the
	 * same way so that it stays a small term at 1024.
	 */
	wc_cookies_scale(true);

	ivshmem(modes[0], &d);
	for (int round = 0; round < 5; round++) {
		wc_block_timed(d.fd, 4096 + 2 * 960, &bc0, &bd0);
		for (int i = 0; i < 960; i++)
			ck_assert_int_eq(cookie_create(d.fd, 2, (4096 + 2 * i) * PG,
						       PG, VFIO_MMAP_ATTR_WC,
						       &live[i]), 0);
		wc_block_timed(d.fd, 4096 + 2 * 960, &bc960, &bd960);
		for (int i = 0; i < 960; i++)
			ck_assert_int_eq(cookie_destroy(d.fd, live[i]), 0);
	}
	close_dev(&d);
	printf("# 64 WC cookies with 0 / 960 live: create %.2f / %.2f ms, destroy %.2f / %.2f ms (ratios %.2f, %.2f)\n",
	       bc0 * 1e3, bc960 * 1e3, bd0 * 1e3, bd960 * 1e3, bc960 / bc0, bd960 / bd0);
	fflush(stdout);
	ck_assert_msg(bc960 <= 3 * bc0, "create with 960 live: %.2f ms vs %.2f ms with none",
		      bc960 * 1e3, bc0 * 1e3);
	ck_assert_msg(bd960 <= 3 * bd0, "destroy with 960 live: %.2f ms vs %.2f ms with none",
		      bd960 * 1e3, bd0 * 1e3);
}
END_TEST

/*
 * Another kernel user of the same page: root maps a page of the sysfs
 * resource file while a WC cookie of it lives.  PAT hands that mapping
 * write-combining too (one type per page), and its reservation outlives
 * the cookie.  When the cookie goes, vfio must keep serving the BAR:
 * read() and write() anywhere, including that page, and legacy mappings,
 * which take the type PAT still has for the page (WC while root maps it,
 * uncached after).
 */
START_TEST(root_mapping_outlives_wc_cookie)
{
	const uint64_t off = 0x50000;
	volatile uint32_t *p, *res, *l;
	char path[128], bdf[32], line[512];
	uint32_t v = 0;
	struct dev d;
	uint64_t c;
	int rfd;

	ivshmem(modes[_i], &d);
	ck_assert_int_eq(pread(d.fd, &v, 4, d.bar_off), 4);
	ck_assert_int_eq(cookie_create(d.fd, 2, off, PG, VFIO_MMAP_ATTR_WC,
				       &c), 0);
	p = map_at(d.fd, c, PG);
	p[0] = 0x0bad0001;

	ck_assert_int_eq(vmt_find_device(IVSHMEM_VENDOR, IVSHMEM_DEVICE, bdf), 0);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource2", bdf);
	rfd = open(path, O_RDWR | O_SYNC);
	ck_assert_int_ge(rfd, 0);
	res = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, rfd, off);
	if (vmt_strict_devmem()) {
		/* IO_STRICT_DEVMEM (Debian's): no such other user can exist */
		ck_assert(res == MAP_FAILED);
		ck_assert_int_eq(errno, EINVAL);
		close(rfd);
		munmap((void *)p, PG);
		ck_assert_int_eq(cookie_destroy(d.fd, c), 0);
		close_dev(&d);
		return;
	}
	ck_assert(res != MAP_FAILED);
	touch_pte(res, line, sizeof(line));
	ck_assert_msg(vmt_pte_is_wc(line), "root PTE of a WC page: %s", line);
	ck_assert_uint_eq(res[0], 0x0bad0001);

	munmap((void *)p, PG);
	ck_assert_int_eq(cookie_destroy(d.fd, c), 0);

	/* the cookie is gone, the root mapping is not: vfio still works */
	ck_assert_int_eq(pread(d.fd, &v, 4, d.bar_off + off), 4);
	ck_assert_uint_eq(v, 0x0bad0001);
	v = 0x0bad0002;
	ck_assert_int_eq(pwrite(d.fd, &v, 4, d.bar_off + off + 4), 4);
	ck_assert_uint_eq(res[1], 0x0bad0002);
	ck_assert_int_eq(pread(d.fd, &v, 4, d.bar_off), 4);
	l = map_at(d.fd, d.bar_off + off, PG);
	touch_pte(l, line, sizeof(line));
	ck_assert_msg(vmt_pte_is_wc(line), "legacy PTE under root's WC: %s",
		      line);
	ck_assert_uint_eq(l[1], 0x0bad0002);
	munmap((void *)l, PG);

	/* root's mapping gone too: uncached again, everything works */
	munmap((void *)res, PG);
	close(rfd);
	l = map_at(d.fd, d.bar_off + off, PG);
	touch_pte(l, line, sizeof(line));
	ck_assert_msg(vmt_pte_is_uc_minus(line), "legacy PTE after: %s", line);
	munmap((void *)l, PG);
	ck_assert_int_eq(pread(d.fd, &v, 4, d.bar_off + off), 4);
	ck_assert_uint_eq(v, 0x0bad0001);
	/* and WC can be had again */
	ck_assert_int_eq(cookie_create(d.fd, 2, off, PG, VFIO_MMAP_ATTR_WC,
				       &c), 0);
	ck_assert_int_eq(cookie_destroy(d.fd, c), 0);
	close_dev(&d);
}
END_TEST

/*
 * mremap() moves a mapping that pins a destroyed WC cookie: the moved
 * mapping keeps the cookie (and its type) alive, and unmapping it frees
 * the reservation.
 */
START_TEST(mremap_keeps_pin)
{
	volatile uint32_t *p, *q;
	char line[512];
	struct dev d;
	uint64_t c, ph;

	ivshmem(modes[_i], &d);
	ph = d.bar_phys + 0x58000;
	ck_assert_int_eq(cookie_create(d.fd, 2, 0x58000, 2 * PG,
				       VFIO_MMAP_ATTR_WC, &c), 0);
	p = map_at(d.fd, c, 2 * PG);
	p[0] = 0x0e0e0001;
	ck_assert_int_eq(cookie_destroy(d.fd, c), 0);
	q = mremap((void *)p, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED,
		   (char *)mmap(NULL, 4 * PG, PROT_NONE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) + 2 * PG);
	ck_assert(q != MAP_FAILED);
	ck_assert(pat_has(ph, ph + 2 * PG, "write-combining"));
	touch_pte(q + PG / 4, line, sizeof(line));
	ck_assert_msg(vmt_pte_is_wc(line), "moved PTE: %s", line);
	ck_assert_uint_eq(q[0], 0x0e0e0001);
	munmap((void *)q, 2 * PG);
	ck_assert(!pat_has(ph, ph + 2 * PG, "write-combining"));
	ck_assert_int_eq(map_errno(d.fd, c, PG), EINVAL);
	close_dev(&d);
}
END_TEST

/*
 * A huge fault through a mapping that pins a destroyed WC cookie: the
 * block is still of one type (the pinned range), so it maps with one WC
 * PMD; after the unmap the block is uncached again and a legacy mapping
 * of it gets an uncached PMD.
 */
START_TEST(huge_fault_through_pinned_cookie)
{
	const size_t M2 = 2UL << 20;
	volatile uint32_t *p;
	char line[512], lv[8];
	struct dev d;
	uint64_t c, ph;

	ivshmem(modes[_i], &d);
	ph = d.bar_phys + 2 * M2;
	ck_assert_int_eq(cookie_create(d.fd, 2, 2 * M2, M2, VFIO_MMAP_ATTR_WC,
				       &c), 0);
	p = map_aligned(d.fd, c, M2, M2);
	ck_assert_int_eq(cookie_destroy(d.fd, c), 0);
	/* first touch after the destroy: the fault goes through the pin */
	touch_pte(p + 0x1000, line, sizeof(line));
	ck_assert_msg(!strcmp(vmt_pte_level(line, lv), "pmd"), "pinned %s: %s",
		      lv, line);
	ck_assert_msg(vmt_pte_is_wc(line), "pinned PMD: %s", line);
	ck_assert(pat_has(ph, ph + M2, "write-combining"));
	munmap((void *)p, M2);
	ck_assert(!pat_has(ph, ph + M2, "write-combining"));
	p = map_aligned(d.fd, d.bar_off + 2 * M2, M2, M2);
	touch_pte(p + 0x1000, line, sizeof(line));
	ck_assert_msg(!strcmp(vmt_pte_level(line, lv), "pmd"), "legacy %s: %s",
		      lv, line);
	ck_assert_msg(vmt_pte_is_uc_minus(line), "legacy PMD: %s", line);
	munmap((void *)p, M2);
	close_dev(&d);
}
END_TEST

/*
 * A variant driver keeps its policy.  The suite's patched 7.3 kernels have
 * vfiomap-test-variant built in (tests/vm/variant/): it hides the upper
 * half of ivshmem's BAR2 the way hisi_acc hides part of its BAR2 (region
 * info reports half, its mmap/read/write refuse the rest) and opts in to
 * cookies with vfio-pci-core's helpers.  No cookie may reach the hidden
 * half, and a cookie's mapping goes through the driver's own mmap().
 * v3 as first posted checked cookies against the whole BAR and mapped them
 * with vfio_pci_core_mmap() directly: both halves were reachable.
 */
#define VARIANT "vfiomap-test-variant"
#define VARIANT_CALLS "/sys/kernel/debug/vfiomap_test_variant/mmap_calls"

static char variant_bdf[32];
static bool variant_bound;

static int sysfs_put(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	n = n < 0 ? -errno : 0;
	close(fd);
	return (int)n;
}

/* Bind @bdf to @drv through driver_override; true if it is bound so. */
static bool rebind(const char *bdf, const char *drv)
{
	char path[256], link[256];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind", bdf);
	if (access(path, F_OK) == 0)
		sysfs_put(path, bdf);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", bdf);
	if (sysfs_put(path, drv))
		return false;
	sysfs_put("/sys/bus/pci/drivers_probe", bdf);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return false;
	link[n] = 0;
	base = strrchr(link, '/');
	return base && !strcmp(base + 1, drv);
}

/* unchecked fixture (runs in the parent, whatever the tests do) */
static void variant_setup(void)
{
	variant_bound = !vmt_find_device(IVSHMEM_VENDOR, IVSHMEM_DEVICE,
					  variant_bdf) &&
			rebind(variant_bdf, VARIANT);
}

static void variant_teardown(void)
{
	if (variant_bdf[0] && !rebind(variant_bdf, "vfio-pci"))
		fprintf(stderr, "could not give %s back to vfio-pci\n",
			variant_bdf);
}

/* The length of BAR @bar from sysfs (the device's, not what vfio reports) */
static uint64_t sysfs_bar_len(const char *bdf, int bar)
{
	unsigned long long start = 0, end = 0, flags;
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource", bdf);
	f = fopen(path, "r");
	ck_assert_msg(f, "%s: %s", path, strerror(errno));
	for (int i = 0; i <= bar; i++)
		ck_assert_int_eq(fscanf(f, "%llx %llx %llx", &start, &end,
					&flags), 3);
	fclose(f);
	return end > start ? end - start + 1 : 0;
}

static unsigned long long variant_mmap_calls(void)
{
	unsigned long long v = 0;
	FILE *f = fopen(VARIANT_CALLS, "r");

	ck_assert_msg(f, "%s: %s", VARIANT_CALLS, strerror(errno));
	ck_assert_int_eq(fscanf(f, "%llu", &v), 1);
	fclose(f);
	return v;
}

START_TEST(variant_driver_keeps_its_policy)
{
	struct vmt_dev vd;
	struct vfio_region_info *ri;
	uint64_t half, off, c, cwc;
	unsigned long long calls;
	volatile uint32_t *p;
	uint32_t v = 0;
	int fd;

	ck_assert_msg(variant_bound, "ivshmem %s is not bound to %s",
		      variant_bdf, VARIANT);
	ck_assert_int_eq(vmt_open(variant_bdf, modes[_i], &vd), 0);
	fd = vd.fd;
	ri = region(fd, 2);
	half = ri->size;
	off = ri->offset;
	free(ri);
	ck_assert_uint_eq(half * 2, sysfs_bar_len(variant_bdf, 2));
	ck_assert_uint_ge(half, 2 * PG);

	/* the driver's own policy, through the legacy offset */
	ck_assert_int_eq(map_errno(fd, off + half, PG), EINVAL);
	ck_assert_int_lt(pread(fd, &v, 4, (off_t)(off + half)), 0);

	/* no cookie of the hidden half, or across its start, with or without WC */
	ck_assert_int_eq(cookie_create(fd, 2, half, PG, 0, &c), -EINVAL);
	ck_assert_int_eq(cookie_create(fd, 2, half - PG, 2 * PG, 0, &c), -EINVAL);
	ck_assert_int_eq(cookie_create(fd, 2, half, PG, VFIO_MMAP_ATTR_WC, &c),
			 -EINVAL);
	ck_assert_int_eq(cookie_create(fd, 2, 2 * half - PG, PG,
				       VFIO_MMAP_ATTR_WC, &c), -EINVAL);

	/* the visible half takes cookies, mapped through the driver's mmap() */
	ck_assert_int_eq(cookie_create(fd, 2, half - PG, PG, 0, &c), 0);
	ck_assert_int_eq(cookie_create(fd, 2, half - 2 * PG, PG,
				       VFIO_MMAP_ATTR_WC, &cwc), 0);
	calls = variant_mmap_calls();
	p = map_at(fd, c, PG);
	ck_assert_uint_eq(variant_mmap_calls(), calls + 1);
	p[0] = 0x5a5aa5a5;
	ck_assert_int_eq(pread(fd, &v, 4, (off_t)(off + half - PG)), 4);
	ck_assert_uint_eq(v, 0x5a5aa5a5);
	munmap((void *)p, PG);
	p = map_at(fd, cwc, PG);
	ck_assert_uint_eq(variant_mmap_calls(), calls + 2);
	munmap((void *)p, PG);

	/* read() and write() at a cookie stop at its end (the visible half's) */
	ck_assert_int_eq(pread(fd, &v, 4, (off_t)c), 4);
	ck_assert_uint_eq(v, 0x5a5aa5a5);
	{
		uint32_t two[2] = { 0, 0 };

		ck_assert_int_eq(pread(fd, two, 8, (off_t)(c + PG - 4)), 4);
		ck_assert_int_eq(pwrite(fd, two, 8, (off_t)(c + PG - 4)), 4);
	}
	vmt_close(&vd);
}
END_TEST

/*
 * VFIO_DEVICE_RESET zaps every user mapping of the device, cookies' and
 * offsets' alike, with memory_lock held for write.  What faults in after
 * it still follows the one-type-per-page rule: a destroyed WC cookie whose
 * mapping outlived it keeps its range write-combining through the reset,
 * for its own mapping and for an offset mapping of the same pages, and the
 * range faults back uncached once that mapping goes.  A live cookie works
 * as before, and the device's memory is what it was.  Run where the device
 * can be reset (ivshmem alone behind a bridge: a secondary bus reset).
 */
static void device_reset(int fd)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };

	ck_assert_int_eq(ioctl(fd, VFIO_DEVICE_GET_INFO, &info), 0);
	ck_assert_msg(info.flags & VFIO_DEVICE_FLAGS_RESET,
		      "the device cannot be reset (flags 0x%x)", info.flags);
	ck_assert_msg(ioctl(fd, VFIO_DEVICE_RESET) == 0,
		      "VFIO_DEVICE_RESET: %s", strerror(errno));
}

START_TEST(reset_keeps_pinned_wc_range)
{
	struct dev d;
	uint64_t c, c2, ph;
	volatile uint32_t *p, *q, *r;
	char line[512];

	ivshmem(modes[_i], &d);
	ph = d.bar_phys + 48 * PG;
	ck_assert_int_eq(cookie_create(d.fd, 2, 48 * PG, 2 * PG,
				       VFIO_MMAP_ATTR_WC, &c), 0);
	p = map_at(d.fd, c, 2 * PG);
	q = map_at(d.fd, d.bar_off + 48 * PG, 2 * PG);
	p[0] = 0x7e5e0001;
	__asm__ __volatile__("sfence" ::: "memory");
	ck_assert_int_eq(cookie_destroy(d.fd, c), 0);

	device_reset(d.fd);

	/* the pinned range is still WC, through both mappings */
	ck_assert(pat_has(ph, ph + 2 * PG, "write-combining"));
	touch_pte(p + PG / 4, line, sizeof(line));
	ck_assert_msg(vmt_pte_is_wc(line), "cookie PTE after reset: %s", line);
	touch_pte(q, line, sizeof(line));
	ck_assert_msg(vmt_pte_is_wc(line), "offset PTE after reset: %s", line);
	ck_assert_uint_eq(q[0], 0x7e5e0001);
	p[PG / 4] = 0x7e5e0002;
	__asm__ __volatile__("sfence" ::: "memory");
	ck_assert_uint_eq(q[PG / 4], 0x7e5e0002);

	/* its last mapping gone: the range is uncached again */
	munmap((void *)p, 2 * PG);
	ck_assert(!pat_has(ph, ph + 2 * PG, "write-combining"));
	touch_pte(q, line, sizeof(line));
	ck_assert_msg(vmt_pte_is_uc_minus(line), "offset PTE after unmap: %s",
		      line);

	/* a live cookie through a reset: still WC, still the same memory */
	ck_assert_int_eq(cookie_create(d.fd, 2, 48 * PG, 2 * PG,
				       VFIO_MMAP_ATTR_WC, &c2), 0);
	ck_assert_uint_ne(c2, c);
	r = map_at(d.fd, c2, 2 * PG);
	touch_pte(r, line, sizeof(line));
	ck_assert_msg(vmt_pte_is_wc(line), "new cookie PTE: %s", line);
	device_reset(d.fd);
	ck_assert_uint_eq(r[PG / 4], 0x7e5e0002);
	touch_pte(r, line, sizeof(line));
	ck_assert_msg(vmt_pte_is_wc(line), "new cookie PTE after reset: %s",
		      line);
	touch_pte(q + PG / 4, line, sizeof(line));
	ck_assert_msg(vmt_pte_is_wc(line), "offset PTE, live cookie: %s", line);
	ck_assert_int_eq(cookie_destroy(d.fd, c2), 0);
	munmap((void *)r, 2 * PG);
	touch_pte(q + PG / 4, line, sizeof(line));
	ck_assert_msg(vmt_pte_is_uc_minus(line), "offset PTE at the end: %s",
		      line);
	munmap((void *)q, 2 * PG);
	close_dev(&d);
}
END_TEST

/* Only what needs a resettable device (vmtest.reset=1: see vm-suite.sh) */
static Suite *reset_suite(void)
{
	Suite *s = suite_create("kernel-uapi-reset");
	TCase *tc = tcase_create("reset");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, reset_keeps_pinned_wc_range, 0, nr_modes);
	suite_add_tcase(s, tc);
	return s;
}

static Suite *patched_suite(void)
{
	Suite *s = suite_create("kernel-uapi");
	TCase *tc = tcase_create("cookies");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, region_offsets_stable, 0, nr_modes);
	tcase_add_loop_test(tc, probe_and_caps, 0, nr_modes);
	tcase_add_loop_test(tc, root_mapping_outlives_wc_cookie, 0, nr_modes);
	tcase_add_loop_test(tc, mremap_keeps_pin, 0, nr_modes);
	tcase_add_loop_test(tc, huge_fault_through_pinned_cookie, 0, nr_modes);
	/* dma-bufs of BARs exist from Linux 6.19: not on the 6.12 backport */
	if (kernel_major() >= 7)
		tcase_add_loop_test(tc, dma_buf_and_wc_cookies_coexist, 0,
				    nr_modes);
	tcase_add_loop_test(tc, wc_cookie_reaches_host, 0, nr_modes);
	tcase_add_loop_test(tc, wc_is_real_pread_first, 0, nr_modes);
	tcase_add_loop_test(tc, wc_is_real_io_while_cookie, 0, nr_modes);
	tcase_add_loop_test(tc, edu_registers_through_cookie, 0, nr_modes);
	tcase_add_loop_test(tc, subrange_cookie, 0, nr_modes);
	tcase_add_loop_test(tc, cookie_alignment_uniqueness, 0, nr_modes);
	tcase_add_loop_test(tc, limit_and_release_on_close, 0, nr_modes);
	tcase_add_loop_test(tc, destroy_while_mapped, 0, nr_modes);
	tcase_add_loop_test(tc, pread_pwrite_at_cookie, 0, nr_modes);
	tcase_add_loop_test(tc, memory_disable_zaps_cookie, 0, nr_modes);
	tcase_add_loop_test(tc, bad_input, 0, nr_modes);
	tcase_add_loop_test(tc, bad_input_table, 0, nr_modes);
	tcase_add_loop_test(tc, wc_create_and_destroy_zap_other_mappings, 0,
			    nr_modes);
	tcase_add_loop_test(tc, huge_fault_wc_first_page, 0, nr_modes);
	tcase_add_loop_test(tc, huge_fault_wc_inner_page, 0, nr_modes);
	tcase_add_loop_test(tc, huge_fault_wc_block, 0, nr_modes);
	tcase_add_loop_test(tc, wc_refused_over_uc_reservation, 0, nr_modes);
	tcase_add_loop_test(tc, wc_after_revoked_root_mapping, 0, nr_modes);
	tcase_add_loop_test(tc, ioeventfd_and_wc_exclude_each_other, 0,
			    nr_modes);
	tcase_add_loop_test(tc, dedupe_and_query, 0, nr_modes);
	tcase_add_loop_test(tc, cookie_congruent_with_region_offset, 0,
			    nr_modes);
	tcase_add_loop_test(tc, cookie_belongs_to_its_file, 0, nr_modes);
	tcase_add_loop_test(tc, cookie_value_never_reused, 0, nr_modes);
	tcase_add_loop_test(tc, mapping_pins_destroyed_cookie, 0, nr_modes);
	tcase_add_loop_test(tc, close_frees_the_files_cookies, 0, nr_modes);
	tcase_add_loop_test(tc, vma_copies_pin_cookie, 0, nr_modes);
	tcase_add_loop_test(tc, read_into_stalled_page_stalls_nothing, 0,
			    nr_modes);
	suite_add_tcase(s, tc);

	/* its own case, so that it can be run alone (CK_RUN_CASE=scale) */
	tc = tcase_create("scale");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, wc_create_and_close_scale_linearly);
	suite_add_tcase(s, tc);

	/*
	 * The suite's variant driver: built into the 7.3 kernels, a module
	 * with the DKMS modules on Debian's 6.12 (vmtest.variant=1)
	 */
	if (kernel_major() >= 7 || cmdline_has("vmtest.variant=1")) {
		tc = tcase_create("variant-driver");
		tcase_set_timeout(tc, 120);
		tcase_add_unchecked_fixture(tc, variant_setup,
					    variant_teardown);
		tcase_add_loop_test(tc, variant_driver_keeps_its_policy, 0,
				    nr_modes);
		suite_add_tcase(s, tc);
	}
	return s;
}

static Suite *nopat_suite(void)
{
	Suite *s = suite_create("kernel-uapi-nopat");
	TCase *tc = tcase_create("nopat");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, nopat_no_wc, 0, nr_modes);
	tcase_add_loop_test(tc, edu_registers_through_cookie, 0, nr_modes);
	suite_add_tcase(s, tc);
	return s;
}

static Suite *stock_suite(void)
{
	Suite *s = suite_create("kernel-uapi-stock");
	TCase *tc = tcase_create("stock");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, stock_cookie_calls_fail_cleanly, 0, nr_modes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	const char *k = getenv("VMTEST_KERNEL");
	bool stock = k && !strcmp(k, "stock");

	nr_modes = vmt_modes_available(modes);
	if (nr_modes <= 0) {
		fprintf(stderr, "no VFIO open mode available\n");
		return 1;
	}
	if (stock)
		return ck_run(stock_suite());
	if (cmdline_has("vmtest.reset=1"))
		return ck_run(reset_suite());
	return ck_run(cmdline_has("nopat") ? nopat_suite() : patched_suite());
}
