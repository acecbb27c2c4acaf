// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The output structs that carry their size (0.3), and the old versions of
 * the functions that take them (lib/compat.c): what a program built
 * against the 0.1 or 0.2 headers gets through vfiomap_device_get_info@
 * LIBVFIOMAP_0.1 and the others, called here by the names they have
 * inside the library.  Against the fake VFIO kernel (fake_vfio.c).  Each
 * caller's struct is allocated at its exact size, so that ASan and
 * valgrind see a write past it.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake_vfio.h"
#include "compat.h"
#include "ck_run.h"

static void setup(void)
{
	fake_reset();
}

/* @size bytes set to 0xff, the first size_t of them @size (a caller's struct) */
static void *sized(size_t size)
{
	unsigned char *p = malloc(size);

	ck_assert_ptr_nonnull(p);
	memset(p, 0xff, size);
	if (size >= sizeof(size_t))
		memcpy(p, &size, sizeof(size));
	return p;
}

/* Nothing past byte @from of @p (@size bytes) was written. */
static void untouched_from(const void *p, size_t from, size_t size)
{
	for (size_t i = from; i < size; i++)
		ck_assert_uint_eq(((const unsigned char *)p)[i], 0xff);
}

START_TEST(device_info_size)
{
	struct vfiomap_device *dev = fake_adopt();
	struct vfiomap_device_info info = { .size = sizeof(info) }, *p;
	struct {
		struct vfiomap_device_info info;
		uint64_t newer;
	} big;
	size_t first = offsetof(struct vfiomap_device_info, flags) + sizeof(info.flags);

	ck_assert_int_eq(vfiomap_device_get_info(dev, &info), 0);
	ck_assert_uint_eq(info.size, sizeof(info));
	ck_assert_uint_eq(info.num_regions, VFIO_PCI_NUM_REGIONS);
	ck_assert_uint_eq(info.num_irqs, VFIO_PCI_NUM_IRQS);
	ck_assert(info.flags & VFIO_DEVICE_FLAGS_PCI);
	/* newer headers: what this library knows, the rest left alone */
	memset(&big, 0xff, sizeof(big));
	big.info.size = sizeof(big);
	ck_assert_int_eq(vfiomap_device_get_info(dev, (struct vfiomap_device_info *)&big), 0);
	ck_assert_uint_eq(big.info.size, sizeof(big));
	ck_assert_uint_eq(big.info.num_irqs, VFIO_PCI_NUM_IRQS);
	ck_assert_uint_eq(big.newer, ~0ULL);
	/* smaller: the members that fit whole, nothing past them */
	p = sized(first + 2);
	ck_assert_int_eq(vfiomap_device_get_info(dev, p), 0);
	ck_assert_uint_eq(p->flags, info.flags);
	untouched_from(p, first, first + 2);
	free(p);
	/* too small: not even the first member */
	p = sized(first - 1);
	ck_assert_int_eq(vfiomap_device_get_info(dev, p), -EINVAL);
	ck_assert_ptr_nonnull(strstr(vfiomap_strerror(),
				     "set it to sizeof(struct vfiomap_device_info)"));
	untouched_from(p, sizeof(size_t), first - 1);
	free(p);
	info.size = 0;
	ck_assert_int_eq(vfiomap_device_get_info(dev, &info), -EINVAL);
	ck_assert_int_eq(vfiomap_device_get_info(dev, NULL), -EINVAL);
	vfiomap_device_close(dev);
}
END_TEST

START_TEST(pci_ids_size)
{
	struct vfiomap_device *dev = fake_adopt();
	struct vfiomap_pci_ids ids = { .size = sizeof(ids) }, *p;
	size_t upto_device = offsetof(struct vfiomap_pci_ids, device) + sizeof(ids.device);

	ck_assert_int_eq(vfiomap_device_pci_ids(dev, &ids), 0);
	ck_assert_uint_eq(ids.vendor, 0x1af4);
	ck_assert_uint_eq(ids.device, 0x1110);
	ck_assert_uint_eq(ids.subsystem_device, 0x1100);
	ck_assert_uint_eq(ids.class_code, 0x050000);
	ck_assert_uint_eq(ids.revision, 1);
	p = sized(upto_device + 1);
	ck_assert_int_eq(vfiomap_device_pci_ids(dev, p), 0);
	ck_assert_uint_eq(p->vendor, 0x1af4);
	ck_assert_uint_eq(p->device, 0x1110);
	untouched_from(p, upto_device, upto_device + 1);
	free(p);
	p = sized(offsetof(struct vfiomap_pci_ids, vendor) + 1);
	ck_assert_int_eq(vfiomap_device_pci_ids(dev, p), -EINVAL);
	free(p);
	vfiomap_device_close(dev);
}
END_TEST

START_TEST(cookie_info_size)
{
	struct vfiomap_device *dev = fake_adopt();
	struct vfiomap_cookie_info info = { .struct_size = sizeof(info) }, *p;
	size_t upto_offset = offsetof(struct vfiomap_cookie_info, offset) + sizeof(info.offset);
	struct vfiomap_cookie *h;

	ck_assert_int_eq(vfiomap_cookie_get(dev, 2, 0x4000, 0x2000, VFIOMAP_ATTR_WC, &h), 0);
	ck_assert_int_eq(vfiomap_cookie_info(h, &info), 0);
	ck_assert_uint_eq(info.struct_size, sizeof(info));
	ck_assert_uint_eq(info.region, 2);
	ck_assert_uint_eq(info.offset, 0x4000);
	ck_assert_uint_eq(info.size, 0x2000);
	ck_assert_uint_eq(info.attrs, VFIOMAP_ATTR_WC);
	/* without the range's size */
	p = sized(upto_offset);
	ck_assert_int_eq(vfiomap_cookie_info(h, p), 0);
	ck_assert_uint_eq(p->offset, 0x4000);
	ck_assert_uint_eq(p->attrs, VFIOMAP_ATTR_WC);
	memset(p, 0xff, upto_offset);
	p->struct_size = upto_offset;
	ck_assert_int_eq(vfiomap_cookie_query(dev, vfiomap_cookie_offset(h), p), 0);
	ck_assert_uint_eq(p->region, 2);
	ck_assert_uint_eq(p->offset, 0x4000);
	free(p);
	/* the range's size is not the struct's */
	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	ck_assert_int_eq(vfiomap_cookie_info(h, &info), -EINVAL);
	ck_assert_ptr_nonnull(strstr(vfiomap_strerror(), "struct_size 0 is too small"));
	ck_assert_int_eq(vfiomap_cookie_query(dev, vfiomap_cookie_offset(h), &info), -EINVAL);
	ck_assert_int_eq(vfiomap_cookie_put(h), 0);
	vfiomap_device_close(dev);
}
END_TEST

/* The 0.1 struct vfiomap_device_info: three members, no size. */
START_TEST(device_info_v01)
{
	struct vfiomap_device *dev = fake_adopt();
	struct vfiomap_device_info_v01 *old = sized(sizeof(*old));

	ck_assert_int_eq(vfm__device_get_info_v01(dev, old), 0);
	ck_assert_uint_eq(old->num_regions, VFIO_PCI_NUM_REGIONS);
	ck_assert_uint_eq(old->num_irqs, VFIO_PCI_NUM_IRQS);
	ck_assert(old->flags & VFIO_DEVICE_FLAGS_PCI);
	ck_assert_int_eq(vfm__device_get_info_v01(dev, NULL), -EINVAL);
	ck_assert_int_eq(vfm__device_get_info_v01(NULL, old), -EINVAL);
	free(old);
	vfiomap_device_close(dev);
}
END_TEST

/* The 0.2 struct vfiomap_pci_ids, and vfiomap_device_name@LIBVFIOMAP_0.1. */
START_TEST(pci_ids_v02_and_name_v01)
{
	struct vfiomap_device *dev = fake_adopt();
	struct vfiomap_pci_ids_v02 *old = sized(sizeof(*old));
	char name[16];

	ck_assert_int_eq(vfm__device_pci_ids_v02(dev, old), 0);
	ck_assert_uint_eq(old->vendor, 0x1af4);
	ck_assert_uint_eq(old->device, 0x1110);
	ck_assert_uint_eq(old->subsystem_vendor, 0x1af4);
	ck_assert_uint_eq(old->subsystem_device, 0x1100);
	ck_assert_uint_eq(old->class_code, 0x050000);
	ck_assert_uint_eq(old->revision, 1);
	ck_assert_int_eq(vfm__device_pci_ids_v02(dev, NULL), -EINVAL);
	free(old);
	ck_assert_int_eq(vfm__device_name_v01(dev, name, sizeof(name)), 0);
	ck_assert_str_eq(name, "1af4:1110");
	ck_assert_int_eq(vfm__device_name_v01(NULL, name, sizeof(name)), -EINVAL);
	vfiomap_device_close(dev);
}
END_TEST

/* The 0.2 struct vfiomap_cookie_info: no struct_size. */
START_TEST(cookie_info_v02)
{
	struct vfiomap_device *dev = fake_adopt(), *other = fake_adopt();
	struct vfiomap_cookie_info_v02 *old = sized(sizeof(*old));
	struct vfiomap_cookie *h;

	ck_assert_int_eq(vfiomap_cookie_get(dev, 2, 0x8000, 0x4000, VFIOMAP_ATTR_WC, &h), 0);
	ck_assert_int_eq(vfm__cookie_info_v02(h, old), 0);
	ck_assert_uint_eq(old->region, 2);
	ck_assert_uint_eq(old->attrs, VFIOMAP_ATTR_WC);
	ck_assert_uint_eq(old->offset, 0x8000);
	ck_assert_uint_eq(old->size, 0x4000);
	memset(old, 0xff, sizeof(*old));
	ck_assert_int_eq(vfm__cookie_query_v02(other, vfiomap_cookie_offset(h), old), 0);
	ck_assert_uint_eq(old->region, 2);
	ck_assert_uint_eq(old->attrs, VFIOMAP_ATTR_WC);
	ck_assert_uint_eq(old->offset, 0x8000);
	ck_assert_uint_eq(old->size, 0x4000);
	ck_assert_int_eq(vfm__cookie_query_v02(other, vfiomap_cookie_offset(h) + 0x1000, old),
			 -ENOENT);
	ck_assert_int_eq(vfm__cookie_info_v02(h, NULL), -EINVAL);
	ck_assert_int_eq(vfm__cookie_info_v02(NULL, old), -EINVAL);
	ck_assert_int_eq(vfm__cookie_query_v02(other, vfiomap_cookie_offset(h), NULL), -EINVAL);
	free(old);
	ck_assert_int_eq(vfiomap_cookie_put(h), 0);
	vfiomap_device_close(other);
	vfiomap_device_close(dev);
}
END_TEST

/* vfiomap_region_get@LIBVFIOMAP_0.1: the same object (the 0.1 struct is a prefix). */
START_TEST(region_get_v01)
{
	struct vfiomap_device *dev = fake_adopt();
	const struct vfiomap_region *r, *old;

	ck_assert_int_eq(vfiomap_region_get(dev, 2, &r), 0);
	ck_assert_int_eq(vfm__region_get_v01(dev, 2, &old), 0);
	ck_assert_ptr_eq(old, r);
	ck_assert_int_eq(vfm__region_get_v01(dev, 99, &old), -EINVAL);
	ck_assert_int_eq(vfm__region_get_v01(NULL, 2, &old), -EINVAL);
	vfiomap_device_close(dev);
}
END_TEST

/* vfiomap_device_adopt@LIBVFIOMAP_0.1 works on a duplicate, as 0.2 did. */
START_TEST(adopt_v01_duplicates)
{
	struct vfiomap_device *dev = NULL;
	struct vfiomap_device_info_v01 old;
	int vmm = fcntl(fake.memfd, F_DUPFD_CLOEXEC, 0);

	ck_assert_int_eq(vfm__device_adopt_v01(vmm, 0, &dev), 0);
	ck_assert_int_ne(vfiomap_device_fd(dev), vmm);
	close(vmm);		/* a 0.1 program that closes early no longer breaks it */
	ck_assert_int_eq(vfm__device_get_info_v01(dev, &old), 0);
	ck_assert_uint_eq(old.num_regions, VFIO_PCI_NUM_REGIONS);
	vfiomap_device_close(dev);
	/* handed over: the library's to close, as in 0.1 */
	vmm = fcntl(fake.memfd, F_DUPFD_CLOEXEC, 0);
	ck_assert_int_eq(vfm__device_adopt_v01(vmm, VFIOMAP_ADOPT_OWN_FD, &dev), 0);
	ck_assert_int_eq(vfiomap_device_fd(dev), vmm);
	vfiomap_device_close(dev);
	ck_assert_int_lt(fcntl(vmm, F_GETFD), 0);
	ck_assert_int_eq(vfm__device_adopt_v01(-1, 0, &dev), -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("compat");
	TCase *tc = tcase_create("fake-kernel");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, device_info_size);
	tcase_add_test(tc, pci_ids_size);
	tcase_add_test(tc, cookie_info_size);
	tcase_add_test(tc, device_info_v01);
	tcase_add_test(tc, pci_ids_v02_and_name_v01);
	tcase_add_test(tc, cookie_info_v02);
	tcase_add_test(tc, region_get_v01);
	tcase_add_test(tc, adopt_v01_duplicates);
	suite_add_tcase(s, tc);
	return ck_run(s);
}
