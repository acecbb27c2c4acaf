// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvfiomap on a real kernel: every test runs in every open mode the VM
 * offers (no-IOMMU group; type1 group and iommufd cdev with the emulated
 * VT-d), on the patched kernel (VMTEST_KERNEL=patched) or with the stock
 * expectations on the unpatched one.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/vfio.h>

#include <libvfiomap/libvfiomap.h>
#include "vmtest.h"
#include "vfio_iommufd_cdev.h"
#include "vfio_mmap_cookie.h"
#include "ck_run.h"
#include "../../lib/testing.h"

static enum vmt_mode modes[3];
static int nr_modes;
static bool strict_devmem;	/* CONFIG_IO_STRICT_DEVMEM (Debian's kernel) */
static bool stock;
static char ivshmem_bdf[32], edu_bdf[32];

static enum vfiomap_mode lib_mode(enum vmt_mode m)
{
	switch (m) {
	case VMT_NOIOMMU: return VFIOMAP_MODE_NOIOMMU;
	case VMT_TYPE1: return VFIOMAP_MODE_GROUP;
	case VMT_CDEV: return VFIOMAP_MODE_CDEV;
	}
	return VFIOMAP_MODE_AUTO;
}

static struct vfiomap_device *open_mode(const char *bdf, enum vmt_mode m, uint32_t flags)
{
	struct vfiomap_open_opts o = { .size = sizeof(o), .mode = lib_mode(m), .flags = flags };
	struct vfiomap_device *dev = NULL;
	int ret = vfiomap_device_open(bdf, &o, &dev);

	ck_assert_msg(ret == 0, "open %s (%s): %d %s", bdf, vmt_mode_name(m), ret,
		      vfiomap_strerror());
	ck_assert_int_eq(vfiomap_device_mode(dev), lib_mode(m));
	return dev;
}

static void sfence(void)
{
	__asm__ __volatile__("sfence" ::: "memory");
}

START_TEST(open_auto_and_names)
{
	struct vfiomap_device *dev = NULL;
	struct vfiomap_device_info info = { .size = sizeof(info) };
	struct vfiomap_pci_ids ids = { .size = sizeof(ids) };
	char name[256];

	/*
	 * AUTO picks cdev on the IOMMU machine (the type1 group on a kernel
	 * without IOMMUFD), the no-IOMMU group otherwise
	 */
	bool cdev = nr_modes > 1 && modes[1] == VMT_CDEV;
	int want = modes[0] == VMT_NOIOMMU ? VFIOMAP_MODE_NOIOMMU :
		   cdev ? VFIOMAP_MODE_CDEV : VFIOMAP_MODE_GROUP;

	ck_assert_int_eq(vfiomap_device_open(ivshmem_bdf, NULL, &dev), 0);
	ck_assert_int_eq(vfiomap_device_mode(dev), want);
	ck_assert_int_eq(vfiomap_device_get_info(dev, &info), 0);
	ck_assert_uint_ge(info.num_regions, 9);
	ck_assert(info.flags & VFIO_DEVICE_FLAGS_PCI);
	/* IDs from the config space; names are libpci's job (CLI, examples) */
	ck_assert_int_eq(vfiomap_device_pci_ids(dev, &ids), 0);
	ck_assert_uint_eq(ids.vendor, 0x1af4);
	ck_assert_uint_eq(ids.device, 0x1110);
	ck_assert_uint_eq(ids.class_code >> 16, 0x05);	/* memory controller */
	ck_assert_int_eq(vfiomap_device_name(dev, name, sizeof(name)), 0);
	ck_assert_str_eq(name, "1af4:1110");
	ck_assert_str_eq(vfiomap_mode_name(vfiomap_device_mode(dev)),
			 vfiomap_mode_name(want));
	ck_assert_str_eq(vfiomap_mode_name(want),
			 want == VFIOMAP_MODE_NOIOMMU ? "no-IOMMU group" :
			 want == VFIOMAP_MODE_CDEV ? "iommufd cdev" : "type1 group");
	vfiomap_device_close(dev);
	dev = open_mode(ivshmem_bdf, modes[_i], 0);
	vfiomap_device_close(dev);
}
END_TEST

START_TEST(cached_region_info)
{
	struct vfiomap_device *dev = open_mode(ivshmem_bdf, modes[_i], 0);
	const struct vfiomap_region *r, *r2;
	uint64_t before;

	ck_assert_int_eq(vfiomap_region_get(dev, 2, &r), 0);
	ck_assert_uint_eq(r->offset, 2ULL << 40);
	ck_assert_uint_eq(r->size, 64ULL << 20);
	before = vfiomap_device_ioctl_count(dev);
	for (int i = 0; i < 100000; i++) {
		ck_assert_int_eq(vfiomap_region_get(dev, 2, &r2), 0);
		ck_assert_ptr_eq(r2, r);
	}
	ck_assert_uint_eq(vfiomap_device_ioctl_count(dev), before);	/* zero ioctls */
	ck_assert_uint_eq(r2->offset, 2ULL << 40);
	/* the raw ioctl agrees */
	struct vfio_region_info *ri;
	ck_assert_int_eq(vmt_region_info(vfiomap_device_fd(dev), 2, &ri), 0);
	ck_assert_uint_eq(ri->offset, r->offset);
	free(ri);
	ck_assert_int_eq(vfiomap_region_get(dev, 99, &r2), -EINVAL);
	ck_assert_int_eq(vfiomap_region_get(dev, VFIO_PCI_CONFIG_REGION_INDEX, &r2), 0);
	ck_assert(!r2->has_mmap_attrs);
	ck_assert_int_eq(r2->kind, VFIOMAP_REGION_KIND_CONFIG);
	/* ivshmem BAR2: 64-bit prefetchable memory; BAR3 its upper half */
	ck_assert_int_eq(r->kind, VFIOMAP_REGION_KIND_MEMORY);
	ck_assert(r->prefetchable && r->mem64);
	ck_assert_int_eq(vfiomap_region_get(dev, VFIOMAP_REGION_BAR3, &r2), 0);
	ck_assert_int_eq(r2->kind, VFIOMAP_REGION_KIND_NONE);
	vfiomap_device_close(dev);
}
END_TEST

START_TEST(attrs_capability)
{
	struct vfiomap_device *dev = open_mode(ivshmem_bdf, modes[_i], 0);
	const struct vfiomap_region *r;

	ck_assert_int_eq(vfiomap_cookie_supported(dev), 1);
	ck_assert_int_eq(vfiomap_region_get(dev, 2, &r), 0);
	ck_assert(r->has_mmap_attrs);
	ck_assert_uint_eq(r->mmap_attrs, VFIOMAP_ATTR_WC);
	/* the kernel's areas (v3: version 2): ivshmem-plain has no MSI-X, so
	 * one area, all of BAR2, write-combining */
	{
		struct vfiomap_attr_area a[2];

		ck_assert_int_eq(vfiomap_region_attr_areas(dev, 2, a, 2), 1);
		ck_assert_uint_eq(a[0].offset, 0);
		ck_assert_uint_eq(a[0].size, r->size);
		ck_assert_uint_eq(a[0].attrs, VFIOMAP_ATTR_WC);
		/* config space: no cookies at all */
		ck_assert_int_eq(vfiomap_region_attr_areas(dev, VFIOMAP_REGION_CONFIG,
							   a, 2), -ENODATA);
	}
	vfiomap_device_close(dev);
}
END_TEST

START_TEST(wc_map_reaches_host_and_is_wc)
{
	struct vfiomap_device *dev = open_mode(ivshmem_bdf, modes[_i], 0);
	struct vfiomap_mapping *m;
	volatile uint8_t *p;
	uint8_t pat[32];
	char name[64], line[512], type[64];
	uint64_t off = 0x20000 + 0x8000 * _i;

	ck_assert_int_eq(vfiomap_map_range(dev, 2, off, 0x8000, VFIOMAP_ATTR_WC, 0, &m), 0);
	ck_assert_uint_ge(vfiomap_mapping_cookie(m), 1ULL << 48);
	p = vfiomap_mapping_addr(m);
	for (size_t i = 0; i < sizeof(pat); i++)
		pat[i] = (uint8_t)(0xc0 + i + _i);
	for (size_t i = 0; i < sizeof(pat); i++)
		p[0x100 + i] = pat[i];
	sfence();
	snprintf(name, sizeof(name), "lib-wc-%s", vmt_mode_name(modes[_i]));
	vmt_hostcheck(name, off + 0x100, pat, sizeof(pat));
	ck_assert_int_eq(vmt_pte_flags((const void *)p, line, sizeof(line)), 0);
	ck_assert_msg(vmt_pte_is_wc(line), "PTE not WC: %s", line);
	char bdf[32];
	ck_assert_int_eq(vmt_find_device(0x1af4, 0x1110, bdf), 0);
	uint64_t phys = vmt_bar_phys(bdf, 2);
	ck_assert_int_gt(vmt_pat_lookup(phys + off, phys + off + 0x8000, type), 0);
	ck_assert_str_eq(type, "write-combining");
	uint64_t cookie = vfiomap_mapping_cookie(m);
	ck_assert_int_eq(vfiomap_unmap(m), 0);
	/* the mapping's cookie went with it */
	ck_assert_int_eq(vfiomap_cookie_destroy(dev, cookie), -ENOENT);
	vfiomap_device_close(dev);
}
END_TEST

/*
 * The reason of a refusal as a value (0.3): an ioeventfd on BAR2 and a WC
 * cookie exclude each other (the kernel's EEXIST), and a request that
 * succeeds clears the reason.
 */
START_TEST(refusal_reasons_are_values)
{
	struct vfiomap_device *dev = open_mode(ivshmem_bdf, modes[_i], 0);
	const struct vfiomap_region *r;
	struct vfio_device_ioeventfd ev = {
		.argsz = sizeof(ev), .flags = VFIO_DEVICE_IOEVENTFD_32,
		.data = 0x1234,
	};
	struct vfiomap_mapping *m = NULL;
	int efd = eventfd(0, EFD_CLOEXEC);
	uint64_t c;

	ck_assert_int_ge(efd, 0);
	ck_assert_int_eq(vfiomap_region_get(dev, 2, &r), 0);
	ev.offset = r->offset + 0x40;
	ev.fd = efd;
	ck_assert_int_eq(ioctl(vfiomap_device_fd(dev), VFIO_DEVICE_IOEVENTFD, &ev), 0);
	ck_assert_int_eq(vfiomap_cookie_create(dev, 2, 0x40000, 0x1000, VFIOMAP_ATTR_WC, &c),
			 -EEXIST);
	ck_assert_int_eq(vfiomap_last_refusal(), VFIOMAP_REFUSAL_IOEVENTFD);
	ck_assert_str_eq(vfiomap_refusal_name(vfiomap_last_refusal()),
			 "ioeventfds on the BAR");
	ck_assert_int_eq(vfiomap_map_range(dev, 2, 0x40000, 0x1000, VFIOMAP_ATTR_WC, 0, &m),
			 -EEXIST);
	ck_assert_int_eq(vfiomap_last_refusal(), VFIOMAP_REFUSAL_IOEVENTFD);
	ev.fd = -1;
	ck_assert_int_eq(ioctl(vfiomap_device_fd(dev), VFIO_DEVICE_IOEVENTFD, &ev), 0);
	ck_assert_int_eq(vfiomap_map_range(dev, 2, 0x40000, 0x1000, VFIOMAP_ATTR_WC, 0, &m), 0);
	ck_assert_int_eq(vfiomap_last_refusal(), VFIOMAP_REFUSAL_NONE);
	ck_assert_int_eq(vfiomap_unmap(m), 0);
	/* not prefetchable: the library's own refusal, from the BAR register */
	vfiomap_device_close(dev);
	dev = open_mode(edu_bdf, modes[_i], 0);
	ck_assert_int_eq(vfiomap_map_range(dev, 0, 0, 0x1000, VFIOMAP_ATTR_WC, 0, &m),
			 -EOPNOTSUPP);
	ck_assert_int_eq(vfiomap_last_refusal(), VFIOMAP_REFUSAL_NOT_PREFETCHABLE);
	vfiomap_device_close(dev);
	close(efd);
}
END_TEST

/*
 * One call, WC wherever the kernel allows it (0.3): ivshmem's BAR2 has no
 * MSI-X, so all of it comes out write-combining (PTE and PAT); edu's BAR0
 * is not prefetchable, so it maps uncached and says why, and succeeds.
 */
START_TEST(wc_where_allowed)
{
	struct vfiomap_device *dev = open_mode(ivshmem_bdf, modes[_i], 0);
	struct vfiomap_map_opts o = { .size = sizeof(o),
				      .flags = VFIOMAP_MAP_WC_WHERE_ALLOWED };
	struct vfiomap_mapping *m;
	volatile uint32_t *p;
	char line[512], type[64];
	uint64_t phys = vmt_bar_phys(ivshmem_bdf, 2), off = 0x400000;

	ck_assert_int_eq(vfiomap_map(dev, 2, off, 0x200000, &o, &m), 0);
	ck_assert_uint_eq(vfiomap_mapping_wc_size(m), 0x200000);
	ck_assert_int_eq(vfiomap_last_refusal(), VFIOMAP_REFUSAL_NONE);
	p = vfiomap_mapping_addr(m);
	p[0] = 0x77;
	p[0x1ffffc / 4] = 0x78;
	ck_assert_int_eq(vmt_pte_flags((const void *)p, line, sizeof(line)), 0);
	ck_assert_msg(vmt_pte_is_wc(line), "PTE not WC: %s", line);
	ck_assert_int_gt(vmt_pat_lookup(phys + off, phys + off + 0x200000, type), 0);
	ck_assert_str_eq(type, "write-combining");
	ck_assert_int_eq(vfiomap_unmap(m), 0);
	vfiomap_device_close(dev);

	dev = open_mode(edu_bdf, modes[_i], 0);
	ck_assert_int_eq(vfiomap_map(dev, 0, 0, 0x1000, &o, &m), 0);
	ck_assert_uint_eq(vfiomap_mapping_wc_size(m), 0);
	ck_assert_int_eq(vfiomap_last_refusal(), VFIOMAP_REFUSAL_NOT_PREFETCHABLE);
	p = vfiomap_mapping_addr(m);
	ck_assert_uint_eq(p[0], 0x010000ed);	/* edu's identification register */
	ck_assert_int_eq(vmt_pte_flags((const void *)p, line, sizeof(line)), 0);
	ck_assert_msg(!vmt_pte_is_wc(line), "edu BAR0 PTE is WC: %s", line);
	ck_assert_int_eq(vfiomap_unmap(m), 0);
	vfiomap_device_close(dev);
}
END_TEST

/*
 * An IOAS the library allocates in the caller's iommufd goes with the
 * device (0.3): after the close, the caller's IOMMU_DESTROY of it finds
 * nothing (ENOENT).  Before, it lived as long as the caller's iommufd.
 */
START_TEST(library_ioas_in_callers_iommufd_is_destroyed)
{
	struct vfiomap_open_opts o = { .size = sizeof(o), .mode = VFIOMAP_MODE_CDEV,
				       .flags = VFIOMAP_OPEN_IOMMUFD };
	struct iommu_destroy d = { .size = sizeof(d) };
	struct vfiomap_device *dev = NULL;
	int iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);

	ck_assert_int_ge(iommufd, 0);
	o.iommufd = iommufd;
	for (int i = 0; i < 5; i++) {
		ck_assert_int_eq(vfiomap_device_open(ivshmem_bdf, &o, &dev), 0);
		ck_assert_int_ge(vfiomap_device_iommufd(dev, &d.id), 0);
		ck_assert_uint_ne(d.id, 0);
		vfiomap_device_close(dev);
		ck_assert_int_eq(ioctl(iommufd, IOMMU_DESTROY, &d), -1);
		ck_assert_int_eq(errno, ENOENT);
	}
	close(iommufd);
}
END_TEST

/*
 * A VMM creates a WC cookie through its device fd and hands the fd to the
 * library (0.3): the library maps the VMM's cookie by value, asking the
 * kernel what it is (QUERY), and leaves it alive for the VMM.
 */
START_TEST(map_a_cookie_the_vmm_made)
{
	struct vmt_dev raw;
	struct vfiomap_device *dev;
	struct vfio_region_info *ri;
	struct {
		struct vfio_device_feature hdr;
		struct vfio_device_feature_mmap_cookie mc;
	} f;
	struct vfiomap_map_opts o = { .size = sizeof(o), .flags = VFIOMAP_MAP_COOKIE };
	struct vfiomap_mapping *m;
	struct vfiomap_cookie_info info = { .struct_size = sizeof(info) };
	char line[512];

	ck_assert_int_eq(vmt_open(ivshmem_bdf, modes[_i], &raw), 0);
	ck_assert_int_eq(vmt_region_info(raw.fd, 2, &ri), 0);
	free(ri);
	memset(&f, 0, sizeof(f));
	f.hdr.argsz = sizeof(f);
	f.hdr.flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MMAP_COOKIE;
	f.mc.region_index = 2;
	f.mc.region_offset = 0x600000;
	f.mc.size = 0x10000;
	f.mc.attrs = VFIO_MMAP_ATTR_WC;
	ck_assert_int_eq(ioctl(raw.fd, VFIO_DEVICE_FEATURE, &f), 0);
	ck_assert_int_eq(vfiomap_device_adopt_opts(raw.fd, NULL, &dev), 0);
	o.cookie = f.mc.cookie;
	ck_assert_int_eq(vfiomap_map(dev, 2, 0x604000, 0x4000, &o, &m), 0);
	ck_assert_uint_eq(vfiomap_mapping_attrs(m), VFIOMAP_ATTR_WC);
	((volatile uint32_t *)vfiomap_mapping_addr(m))[0] = 0xc0c0;
	ck_assert_int_eq(vmt_pte_flags(vfiomap_mapping_addr(m), line, sizeof(line)), 0);
	ck_assert_msg(vmt_pte_is_wc(line), "PTE not WC: %s", line);
	ck_assert_int_eq(vfiomap_unmap(m), 0);
	/* outside the VMM's cookie: refused */
	ck_assert_int_eq(vfiomap_map(dev, 2, 0x610000, 0x1000, &o, &m), -ERANGE);
	vfiomap_device_close(dev);
	/* still the VMM's */
	ck_assert_int_eq(vfiomap_device_adopt_opts(raw.fd, NULL, &dev), 0);
	ck_assert_int_eq(vfiomap_cookie_query(dev, f.mc.cookie, &info), 0);
	ck_assert_uint_eq(info.offset, 0x600000);
	vfiomap_device_close(dev);
	vmt_close(&raw);
}
END_TEST

START_TEST(huge_aligned_region_map)
{
	struct vfiomap_device *dev = open_mode(ivshmem_bdf, modes[_i], 0);
	struct vfiomap_mapping *m;
	volatile uint32_t *p;
	char line[512], level[8];

	ck_assert_int_eq(vfiomap_map_region(dev, 2, 0, &m), 0);
	p = vfiomap_mapping_addr(m);
	ck_assert_uint_eq(vfiomap_mapping_size(m), 64ULL << 20);
	ck_assert_uint_eq((uintptr_t)p % (64ULL << 20), 0);
	p[0] = 0x1234;
	ck_assert_int_eq(vmt_pte_flags((const void *)p, line, sizeof(line)), 0);
	ck_assert_msg(!strcmp(vmt_pte_level(line, level), "pmd"),
		      "expected a PMD (huge pfnmap) entry: %s", line);
	ck_assert_msg(vmt_pte_is_uc_minus(line), "legacy map not UC-: %s", line);
	ck_assert_int_eq(vfiomap_unmap(m), 0);
	/* a WC cookie of 4 MiB at a 2 MiB offset: PMD entries too */
	ck_assert_int_eq(vfiomap_map_range(dev, 2, 2 << 20, 4 << 20, VFIOMAP_ATTR_WC, 0, &m), 0);
	p = vfiomap_mapping_addr(m);
	ck_assert_uint_eq((uintptr_t)p % (2 << 20), 0);
	p[0] = 1;
	ck_assert_int_eq(vmt_pte_flags((const void *)p, line, sizeof(line)), 0);
	ck_assert_msg(!strcmp(vmt_pte_level(line, level), "pmd"), "cookie: %s", line);
	ck_assert_msg(vmt_pte_is_wc(line), "cookie not WC: %s", line);
	vfiomap_device_close(dev);	/* unmaps and destroys what is left */
}
END_TEST

START_TEST(region_io)
{
	struct vfiomap_device *dev = open_mode(ivshmem_bdf, modes[_i], 0);
	struct vfiomap_mapping *m;
	volatile uint32_t *p;
	uint32_t v = 0xfeedbeef, r = 0;
	uint8_t big[64];

	ck_assert_int_eq(vfiomap_map_range(dev, 2, 0x40000, 0x1000, 0, 0, &m), 0);
	p = vfiomap_mapping_addr(m);
	ck_assert_int_eq(vfiomap_region_write(dev, 2, 0x40010, &v, 4), 4);
	ck_assert_uint_eq(p[4], v);
	p[5] = 0x0badf00d;
	ck_assert_int_eq(vfiomap_region_read(dev, 2, 0x40014, &r, 4), 4);
	ck_assert_uint_eq(r, 0x0badf00d);
	/* reads are trimmed at the end of the region, past it is an error */
	ck_assert_int_eq(vfiomap_region_read(dev, 2, (64 << 20) - 16, big, sizeof(big)), 16);
	ck_assert_int_eq(vfiomap_region_read(dev, 2, (64 << 20) + 16, big, 4), -ERANGE);
	ck_assert_int_eq(vfiomap_unmap(m), 0);
	vfiomap_device_close(dev);
}
END_TEST

START_TEST(edu_through_library)
{
	struct vfiomap_device *dev = open_mode(edu_bdf, modes[_i], 0);
	struct vfiomap_mapping *m;
	volatile uint32_t *p;
	uint64_t c;
	uint32_t id = 0;

	ck_assert_int_eq(vfiomap_map_range(dev, 0, 0, 0x1000, 0, 0, &m), 0);
	p = vfiomap_mapping_addr(m);
	ck_assert_uint_eq(p[0], 0x010000ed);
	p[1] = 0xa5a5a5a5;
	ck_assert_uint_eq(p[1], 0x5a5a5a5a);
	ck_assert_int_eq(vfiomap_region_read(dev, 0, 0, &id, 4), 4);
	ck_assert_uint_eq(id, 0x010000ed);
	const struct vfiomap_region *r;
	uint64_t before;

	ck_assert_int_eq(vfiomap_region_get(dev, 0, &r), 0);
	ck_assert_int_eq(r->kind, VFIOMAP_REGION_KIND_MEMORY);
	ck_assert(!r->prefetchable);
	/* BAR0 is not prefetchable: refused from the cached info, no ioctl */
	before = vfiomap_device_ioctl_count(dev);
	ck_assert_int_eq(vfiomap_cookie_create(dev, 0, 0, 0x1000, VFIOMAP_ATTR_WC, &c), -EOPNOTSUPP);
	ck_assert_str_eq(vfiomap_strerror(),
			 "BAR 0 does not accept write-combining (not prefetchable)");
	ck_assert_int_eq(vfiomap_last_refusal(), VFIOMAP_REFUSAL_NOT_PREFETCHABLE);
	ck_assert_uint_eq(vfiomap_device_ioctl_count(dev), before);
	if (stock)
		ck_assert_int_eq(vfiomap_cookie_create(dev, 0, 0, 0x1000, 0, &c), -EOPNOTSUPP);
	ck_assert_int_eq(vfiomap_unmap(m), 0);
	vfiomap_device_close(dev);
}
END_TEST

START_TEST(library_validation)
{
	struct vfiomap_device *dev = open_mode(ivshmem_bdf, modes[_i], 0);
	struct vfiomap_mapping *m;
	uint64_t c, before = vfiomap_device_ioctl_count(dev);

	/* refused before the kernel is asked */
	ck_assert_int_eq(vfiomap_cookie_create(dev, 2, 0x10, 0x1000, 0, &c), -EINVAL);
	ck_assert_int_eq(vfiomap_cookie_create(dev, 2, 0, 0, 0, &c), -EINVAL);
	ck_assert_int_eq(vfiomap_cookie_create(dev, 2, 0, 0x1000, 0x40, &c), -EINVAL);
	ck_assert_uint_eq(vfiomap_device_ioctl_count(dev), before);
	/* the kernel's own errors come through */
	ck_assert_int_eq(vfiomap_cookie_create(dev, 2, 64 << 20, 0x1000, 0, &c), -EINVAL);
	ck_assert_int_eq(vfiomap_cookie_create(dev, 7, 0, 0x1000, 0, &c), -EINVAL);
	ck_assert_int_eq(vfiomap_map_range(dev, 2, 0, 128 << 20, 0, 0, &m), -ERANGE);
	ck_assert_int_eq(vfiomap_map_range(dev, 7, 0, 0x1000, 0, 0, &m), -EINVAL);
	ck_assert_int_eq(vfiomap_cookie_destroy(dev, 1ULL << 50), -ENOENT);
	vfiomap_device_close(dev);
}
END_TEST

/*
 * VMM-shaped: the VMM opens the device itself, hands the fd to the library
 * and closes its own copy (device, group, container): the library works on
 * its duplicate.  Then the reverse: the library closes, the VMM's fd works.
 */
START_TEST(adopt_vmm_fd)
{
	struct vfiomap_adopt_opts o = { .size = sizeof(o), .bdf = edu_bdf };
	struct vmt_dev raw;
	struct vfiomap_device *dev;
	const struct vfiomap_region *r;
	struct vfiomap_mapping *m;
	struct vfiomap_pci_ids ids = { .size = sizeof(ids) };
	uint32_t id = 0;

	ck_assert_int_eq(vmt_open(edu_bdf, modes[_i], &raw), 0);
	ck_assert_int_eq(vfiomap_device_adopt_opts(raw.fd, &o, &dev), 0);
	ck_assert_int_ne(vfiomap_device_fd(dev), raw.fd);
	ck_assert_str_eq(vfiomap_device_bdf(dev), edu_bdf);
	/* 0.3: how the VMM opened it, its address given (0.2: AUTO) */
	ck_assert_int_eq(vfiomap_device_mode(dev), lib_mode(modes[_i]));
	vmt_close(&raw);			/* the VMM drops everything it had */
	ck_assert_int_eq(vfiomap_region_get(dev, 0, &r), 0);
	ck_assert_uint_eq(r->offset, 0);
	ck_assert_int_eq(vfiomap_map_range(dev, 0, 0, 0x1000, 0, 0, &m), 0);
	ck_assert_uint_eq(*(volatile uint32_t *)vfiomap_mapping_addr(m), 0x010000ed);
	((volatile uint32_t *)vfiomap_mapping_addr(m))[1] = 0x12345678;	/* edu inverts */
	ck_assert_uint_eq(((volatile uint32_t *)vfiomap_mapping_addr(m))[1], ~0x12345678u);
	ck_assert_int_eq(vfiomap_device_pci_ids(dev, &ids), 0);
	ck_assert_uint_eq(ids.device, 0x11e8);
	ck_assert_int_eq(vfiomap_device_container_fd(dev), -ENOENT);
	vfiomap_device_close(dev);

	/* the reverse */
	ck_assert_int_eq(vmt_open(edu_bdf, modes[_i], &raw), 0);
	ck_assert_int_eq(vfiomap_device_adopt_opts(raw.fd, NULL, &dev), 0);
	/* without an address: a cdev is still known, a group's IOMMU is not */
	ck_assert_int_eq(vfiomap_device_mode(dev), modes[_i] == VMT_CDEV ?
			 VFIOMAP_MODE_CDEV : VFIOMAP_MODE_AUTO);
	ck_assert_int_eq(vfiomap_map_range(dev, 0, 0, 0x1000, 0, 0, &m), 0);
	vfiomap_device_close(dev);		/* unmaps m, closes its copy only */
	ck_assert_int_eq(pread(raw.fd, &id, 4, 0), 4);
	ck_assert_uint_eq(id, 0x010000ed);
	vmt_close(&raw);
}
END_TEST

/* API misuse: the library's own fd closed underneath: EBADF and a message. */
START_TEST(closed_device_fails_cleanly)
{
	struct vfiomap_device *dev = open_mode(edu_bdf, modes[_i], 0);
	const struct vfiomap_region *r;
	struct vfiomap_mapping *m;
	uint64_t c;
	uint8_t b[4];

	close(vfiomap_device_fd(dev));
	ck_assert_int_eq(vfiomap_region_get(dev, 0, &r), -EBADF);
	ck_assert_int_eq(vfiomap_cookie_create(dev, 0, 0, 0x1000, 0, &c), -EBADF);
	ck_assert_int_lt(vfiomap_cookie_supported(dev), 0);
	ck_assert_int_lt(vfiomap_map_region(dev, 0, 0, &m), 0);
	ck_assert_int_lt(vfiomap_region_read(dev, 0, 0, b, 4), 0);
	ck_assert_ptr_nonnull(strstr(vfiomap_strerror(), "Bad file descriptor"));
	vfiomap_device_close(dev);
}
END_TEST

/*
 * Two devices (two IOMMU groups) in one IOMMU context: the second joins
 * the first's container or IOAS; either may close first.
 */
START_TEST(two_devices_one_context)
{
	struct vfiomap_device *iv = open_mode(ivshmem_bdf, modes[_i], 0), *edu = NULL;
	struct vfiomap_open_opts o = { .size = sizeof(o), .mode = lib_mode(modes[_i]) };
	struct vfiomap_mapping *m;
	uint32_t ioas = 0, ioas2 = 0;
	int ret;

	if (modes[_i] == VMT_CDEV) {
		o.flags = VFIOMAP_OPEN_IOMMUFD;
		o.iommufd = vfiomap_device_iommufd(iv, &ioas);
		o.ioas_id = ioas;
		ck_assert_int_ge(o.iommufd, 0);
		ck_assert_uint_gt(ioas, 0);
	} else {
		o.flags = VFIOMAP_OPEN_CONTAINER;
		o.container_fd = vfiomap_device_container_fd(iv);
		ck_assert_int_ge(o.container_fd, 0);
	}
	ret = vfiomap_device_open(edu_bdf, &o, &edu);
	ck_assert_msg(ret == 0, "%d %s", ret, vfiomap_strerror());
	if (modes[_i] == VMT_CDEV) {
		ck_assert_int_eq(vfiomap_device_iommufd(edu, &ioas2), o.iommufd);
		ck_assert_uint_eq(ioas2, ioas);
	} else {
		ck_assert_int_eq(vfiomap_device_container_fd(edu), o.container_fd);
	}
	vfiomap_device_close(iv);		/* the context stays with edu */
	ck_assert_int_eq(vfiomap_map_range(edu, 0, 0, 0x1000, 0, 0, &m), 0);
	ck_assert_uint_eq(*(volatile uint32_t *)vfiomap_mapping_addr(m), 0x010000ed);
	vfiomap_device_close(edu);
	/* everything is closed: both open again, in fresh contexts */
	iv = open_mode(ivshmem_bdf, modes[_i], 0);
	edu = open_mode(edu_bdf, modes[_i], 0);
	vfiomap_device_close(edu);
	vfiomap_device_close(iv);
}
END_TEST

/*
 * Cookie values are per device: the first cookies of ivshmem and edu
 * have the same value; handles know their device, raw destroy checks it.
 */
START_TEST(cookies_are_per_device)
{
	struct vfiomap_device *iv = open_mode(ivshmem_bdf, modes[_i], 0);
	struct vfiomap_device *edu = open_mode(edu_bdf, modes[_i], 0);
	struct vfiomap_map_opts o = { .size = sizeof(o), .flags = VFIOMAP_MAP_COOKIE };
	struct vfiomap_cookie *hi, *he, *hi2;
	struct vfiomap_cookie_info info = { .struct_size = sizeof(info) };
	struct vfiomap_mapping *m = NULL;
	uint64_t raw;

	ck_assert_int_eq(vfiomap_cookie_get(iv, 2, 0x50000, 0x1000, VFIOMAP_ATTR_WC, &hi), 0);
	ck_assert_int_eq(vfiomap_cookie_get(edu, 0, 0, 0x1000, 0, &he), 0);
	ck_assert_uint_eq(vfiomap_cookie_offset(hi), vfiomap_cookie_offset(he));
	/* the kernel de-duplicates an identical request */
	ck_assert_int_eq(vfiomap_cookie_get(iv, 2, 0x50000, 0x1000, VFIOMAP_ATTR_WC, &hi2), 0);
	ck_assert_uint_eq(vfiomap_cookie_offset(hi2), vfiomap_cookie_offset(hi));
	ck_assert_int_eq(vfiomap_cookie_query(iv, vfiomap_cookie_offset(hi), &info), 0);
	ck_assert_uint_eq(info.region, 2);
	ck_assert_uint_eq(info.offset, 0x50000);
	ck_assert_uint_eq(info.size, 0x1000);
	ck_assert_uint_eq(info.attrs, VFIOMAP_ATTR_WC);
	ck_assert_int_eq(vfiomap_cookie_query(edu, vfiomap_cookie_offset(he), &info), 0);
	ck_assert_uint_eq(info.region, 0);
	/* ivshmem's handle on edu: refused */
	o.cookie_handle = hi;
	ck_assert_int_eq(vfiomap_map(edu, 0, 0, 0x1000, &o, &m), -EXDEV);
	ck_assert_int_eq(vfiomap_map(iv, 2, 0x50000, 0x1000, &o, &m), 0);
	((volatile uint32_t *)vfiomap_mapping_addr(m))[0] = 0xc0c0;
	ck_assert_int_eq(vfiomap_unmap(m), 0);
	/* raw: a value edu did not create is not edu's to destroy */
	ck_assert_int_eq(vfiomap_cookie_create(iv, 2, 0x60000, 0x1000, 0, &raw), 0);
	ck_assert_int_eq(vfiomap_cookie_destroy(edu, raw), -ENOENT);
	ck_assert_int_eq(vfiomap_cookie_destroy(iv, raw), 0);
	ck_assert_int_eq(vfiomap_cookie_put(hi2), 0);
	ck_assert_int_eq(vfiomap_cookie_query(iv, vfiomap_cookie_offset(hi), &info), 0);
	ck_assert_int_eq(vfiomap_cookie_put(hi), 0);
	ck_assert_int_eq(vfiomap_cookie_query(iv, vfiomap_cookie_offset(he), &info), -ENOENT);
	ck_assert_int_eq(vfiomap_cookie_put(he), 0);
	vfiomap_device_close(edu);
	vfiomap_device_close(iv);
}
END_TEST

struct conc {
	struct vfiomap_device *dev;
	int id;
	int errors;
	int creates;
};

static void *conc_thread(void *arg)
{
	struct conc *c = arg;

	for (int i = 0; i < 200; i++) {
		const struct vfiomap_region *r;
		struct vfiomap_mapping *m;
		uint64_t ck;

		if (vfiomap_region_get(c->dev, (uint32_t)(i % 3 == 0 ? 0 : 2), &r))
			c->errors++;
		if (vfiomap_cookie_create(c->dev, 2, (uint64_t)(c->id * 16 + i % 16) * 4096,
					  4096, i % 2 ? VFIOMAP_ATTR_WC : 0, &ck)) {
			c->errors++;
			continue;
		}
		c->creates++;
		if (vfiomap_cookie_destroy(c->dev, ck))
			c->errors++;
		if (i % 20 == 0) {
			if (vfiomap_map_range(c->dev, 2, (uint64_t)(64 + c->id) * 4096, 4096,
					      VFIOMAP_ATTR_WC, 0, &m))
				c->errors++;
			else if (vfiomap_unmap(m))
				c->errors++;
		}
	}
	return NULL;
}

/* Concurrent lookups, cookie creates/destroys and maps on one device. */
START_TEST(concurrent_use_of_one_device)
{
	struct vfiomap_device *dev = open_mode(ivshmem_bdf, modes[_i], 0);
	struct conc c[4];
	pthread_t t[4];

	for (int i = 0; i < 4; i++) {
		c[i] = (struct conc){ .dev = dev, .id = i };
		ck_assert_int_eq(pthread_create(&t[i], NULL, conc_thread, &c[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
		ck_assert_int_eq(c[i].errors, 0);
		ck_assert_int_eq(c[i].creates, 200);
	}
	vfiomap_device_close(dev);
}
END_TEST

/* ---- stock kernel ---- */

START_TEST(stock_plain_maps_work_wc_fails)
{
	struct vfiomap_device *dev = open_mode(ivshmem_bdf, modes[_i], 0);
	struct vfiomap_mapping *m = NULL;
	const struct vfiomap_region *r;
	volatile uint32_t *p;
	uint64_t c;

	ck_assert_int_eq(vfiomap_cookie_supported(dev), 0);
	ck_assert_int_eq(vfiomap_region_get(dev, 2, &r), 0);
	ck_assert(!r->has_mmap_attrs);
	ck_assert_int_eq(vfiomap_region_attr_areas(dev, 2, NULL, 0), -ENODATA);
	ck_assert_int_eq(vfiomap_map_region(dev, 2, 0, &m), 0);
	p = vfiomap_mapping_addr(m);
	p[0] = 0x600d;
	ck_assert_uint_eq(p[0], 0x600d);
	ck_assert_int_eq(vfiomap_unmap(m), 0);
	ck_assert_int_eq(vfiomap_map_range(dev, 2, 0, 0x1000, VFIOMAP_ATTR_WC, 0, &m), -EOPNOTSUPP);
	ck_assert_int_eq(vfiomap_last_refusal(), VFIOMAP_REFUSAL_NO_UAPI);
	ck_assert_ptr_null(m);
	/* WC where allowed: nowhere on a stock kernel; uncached, and it works */
	{
		struct vfiomap_map_opts o = { .size = sizeof(o),
					      .flags = VFIOMAP_MAP_WC_WHERE_ALLOWED };

		ck_assert_int_eq(vfiomap_map(dev, 2, 0, 0x2000, &o, &m), 0);
		ck_assert_uint_eq(vfiomap_mapping_wc_size(m), 0);
		ck_assert_int_eq(vfiomap_last_refusal(), VFIOMAP_REFUSAL_NO_UAPI);
		p = vfiomap_mapping_addr(m);
		ck_assert_uint_eq(p[0], 0x600d);
		ck_assert_int_eq(vfiomap_unmap(m), 0);
	}
	ck_assert_msg(strstr(vfiomap_strerror(), "no mmap-cookie uAPI"), "%s",
		      vfiomap_strerror());
	ck_assert_int_eq(vfiomap_cookie_create(dev, 2, 0, 0x1000, VFIOMAP_ATTR_WC, &c), -EOPNOTSUPP);
	/* not a cookie this device created: refused without asking the kernel */
	ck_assert_int_eq(vfiomap_cookie_destroy(dev, 1ULL << 48), -ENOENT);
	vfiomap_device_close(dev);
}
END_TEST

/*
 * The opt-in sysfs fallback on a stock kernel: vfio-pci maps BAR 2
 * uncached when it sets the BAR up (at open on 7.3, on first use on 6.12;
 * the library makes it set up first), PAT keeps one memory type per page,
 * so resource2_wc comes out UC-: the library sees it in the PAT list and
 * refuses, instead of handing out an uncached "WC" mapping.  With
 * CONFIG_IO_STRICT_DEVMEM (Debian) the kernel refuses the mapping itself.
 * Before the library made vfio-pci set the BAR up first, 6.12 handed out
 * a WC mapping that vfio-pci's first use of the BAR then revoked.
 */
START_TEST(stock_sysfs_wc_fallback_refuses_uc)
{
	struct vfiomap_device *dev = open_mode(ivshmem_bdf, modes[_i],
					       VFIOMAP_OPEN_WC_SYSFS_FALLBACK);
	struct vfiomap_mapping *m = NULL;
	char type[64], line[512];
	uint64_t phys = vmt_bar_phys(ivshmem_bdf, 2);
	bool mapped = false;
	FILE *f;
	int ret;

	ck_assert_uint_ne(phys, 0);
	ret = vfiomap_map_range(dev, 2, 0x30000, 0x1000, VFIOMAP_ATTR_WC, 0, &m);
	if (ret == 0) {
		uint32_t v;

		/* what must not be handed out: a mapping vfio-pci revokes */
		ck_assert_int_eq(vfiomap_region_read(dev, 2, 0, &v, 4), 4);
		ck_assert_msg(!vmt_faults(vfiomap_mapping_addr(m)),
			      "the fallback's mapping was revoked when vfio-pci set the BAR up (SIGBUS)");
		ck_abort_msg("the fallback mapped resource2_wc before vfio-pci set BAR 2 up");
	}
	ck_assert_int_eq(ret, -EOPNOTSUPP);
	ck_assert_ptr_null(m);
	if (strict_devmem) {
		ck_assert_msg(strstr(vfiomap_strerror(), "resource2_wc") &&
			      strstr(vfiomap_strerror(), "IO_STRICT_DEVMEM"),
			      "%s", vfiomap_strerror());
	} else {
		ck_assert_msg(strstr(vfiomap_strerror(), "resource2_wc") &&
			      strstr(vfiomap_strerror(), "came out uncached-minus"),
			      "%s", vfiomap_strerror());
		/* the PAT agrees: the BAR's pages are UC- (vfio-pci's mapping) */
		ck_assert_int_gt(vmt_pat_lookup(phys + 0x30000, phys + 0x31000, type), 0);
		ck_assert_str_eq(type, "uncached-minus");
	}
	/* and the refused mapping is gone */
	f = fopen("/proc/self/maps", "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		mapped |= strstr(line, "resource2_wc") != NULL;
	fclose(f);
	ck_assert(!mapped);
	/* without the opt-in: the stock kernel's plain refusal */
	vfiomap_device_close(dev);
	dev = open_mode(ivshmem_bdf, modes[_i], 0);
	ck_assert_int_eq(vfiomap_map_range(dev, 2, 0x30000, 0x1000, VFIOMAP_ATTR_WC, 0, &m),
			 -EOPNOTSUPP);
	ck_assert_ptr_nonnull(strstr(vfiomap_strerror(), "no mmap-cookie uAPI"));
	vfiomap_device_close(dev);
}
END_TEST

int main(void)
{
	const char *k = getenv("VMTEST_KERNEL");
	Suite *s;
	TCase *tc = tcase_create("library");

	nr_modes = vmt_modes_available(modes);
	strict_devmem = vmt_strict_devmem();
	stock = k && !strcmp(k, "stock");
	if (vmt_find_device(0x1af4, 0x1110, ivshmem_bdf) ||
	    vmt_find_device(0x1234, 0x11e8, edu_bdf)) {
		fprintf(stderr, "test devices not found\n");
		return 1;
	}
	s = suite_create(stock ? "libvfiomap-stock" : "libvfiomap");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, open_auto_and_names, 0, nr_modes);
	tcase_add_loop_test(tc, cached_region_info, 0, nr_modes);
	tcase_add_loop_test(tc, region_io, 0, nr_modes);
	tcase_add_loop_test(tc, edu_through_library, 0, nr_modes);
	tcase_add_loop_test(tc, adopt_vmm_fd, 0, nr_modes);
	tcase_add_loop_test(tc, closed_device_fails_cleanly, 0, nr_modes);
	tcase_add_loop_test(tc, two_devices_one_context, 0, nr_modes);
	for (int i = 0; i < nr_modes; i++)
		if (modes[i] == VMT_CDEV)
			tcase_add_test(tc, library_ioas_in_callers_iommufd_is_destroyed);
	if (stock) {
		tcase_add_loop_test(tc, stock_plain_maps_work_wc_fails, 0, nr_modes);
		tcase_add_loop_test(tc, stock_sysfs_wc_fallback_refuses_uc, 0, nr_modes);
	} else {
		tcase_add_loop_test(tc, attrs_capability, 0, nr_modes);
		tcase_add_loop_test(tc, wc_map_reaches_host_and_is_wc, 0, nr_modes);
		tcase_add_loop_test(tc, refusal_reasons_are_values, 0, nr_modes);
		tcase_add_loop_test(tc, wc_where_allowed, 0, nr_modes);
		tcase_add_loop_test(tc, map_a_cookie_the_vmm_made, 0, nr_modes);
		tcase_add_loop_test(tc, huge_aligned_region_map, 0, nr_modes);
		tcase_add_loop_test(tc, library_validation, 0, nr_modes);
		tcase_add_loop_test(tc, concurrent_use_of_one_device, 0, nr_modes);
		tcase_add_loop_test(tc, cookies_are_per_device, 0, nr_modes);
	}
	suite_add_tcase(s, tc);
	return ck_run(s);
}
