// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A program of a libvfiomap user that knows only the 0.2 API.  The ABI
 * check builds it against the 0.2.0 headers and library (from the v0.2.0
 * tag) and runs it with the 0.2.0 library and with the library being
 * tested: every call below must behave the same both ways.  No hardware:
 * the calls are the ones that answer without a device (or with an fd that
 * is not one); with VFIOMAP_ABI_FAKE set (and tests/abi/fake_ioctl.c
 * preloaded) also those of a device, with the 0.2 structs, which the
 * library being tested fills through the old versions of its functions
 * (lib/compat.c): the right values, and nothing written past them.
 * Prints "ok N - what" per check; exits non-zero on a failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <libvfiomap/libvfiomap.h>

static int n, bad;

static void check(int ok, const char *what)
{
	printf("%s %d - %s\n", ok ? "ok" : "not ok", ++n, what);
	bad += !ok;
}

#define CANARY 0xa5

/* @len bytes of CANARY at @p: nothing was written there */
static int intact(const void *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (((const unsigned char *)p)[i] != CANARY)
			return 0;
	return 1;
}

/* A device of tests/abi/fake_ioctl.c: 1af4:1110, BAR 2 of 64 KiB. */
static void device_checks(void)
{
	unsigned char cfg[256] = {
		[0x00] = 0xf4, 0x1a, 0x10, 0x11,	/* 1af4:1110 */
		[0x08] = 0x01, 0x00, 0x00, 0x05,	/* revision 1, class 050000 */
		[0x18] = 0x0c,				/* BAR 2: 64-bit, prefetchable */
		[0x2c] = 0xf4, 0x1a, 0x00, 0x11,	/* subsystem 1af4:1100 */
	};
	struct {
		struct vfiomap_device_info info;
		unsigned char canary[16];
	} di;
	struct {
		struct vfiomap_pci_ids ids;
		unsigned char canary[16];
	} pi;
	struct {
		struct vfiomap_cookie_info info;
		unsigned char canary[16];
	} ci;
	struct vfiomap_device *dev = NULL;
	const struct vfiomap_region *r = NULL;
	struct vfiomap_cookie *h = NULL;
	char name[32] = "";
	int fd = memfd_create("vfiomap-abi-fake", MFD_CLOEXEC);

	check(fd >= 0 && pwrite(fd, cfg, sizeof(cfg), 0) == (ssize_t)sizeof(cfg) &&
	      ftruncate(fd, 0x11000) == 0, "a fake device");
	check(vfiomap_device_adopt(fd, 0, &dev) == 0 && dev, "adopted with the 0.1 call");
	close(fd);		/* a duplicate since 0.2 */
	if (!dev)
		return;
	memset(&di, CANARY, sizeof(di));
	check(vfiomap_device_get_info(dev, &di.info) == 0 && di.info.num_regions == 9 &&
	      di.info.num_irqs == 5 && (di.info.flags & 2), "0.1 device info: PCI, 9 regions, 5 IRQs");
	check(intact(di.canary, sizeof(di.canary)), "nothing written past the 0.1 device info");
	memset(&pi, CANARY, sizeof(pi));
	check(vfiomap_device_pci_ids(dev, &pi.ids) == 0 && pi.ids.vendor == 0x1af4 &&
	      pi.ids.device == 0x1110 && pi.ids.subsystem_vendor == 0x1af4 &&
	      pi.ids.subsystem_device == 0x1100 && pi.ids.class_code == 0x050000 &&
	      pi.ids.revision == 1, "0.2 PCI IDs");
	check(intact(pi.canary, sizeof(pi.canary)), "nothing written past the 0.2 PCI IDs");
	check(vfiomap_device_name(dev, name, sizeof(name)) == 0 && !strcmp(name, "1af4:1110"),
	      "device name: the IDs");
	check(vfiomap_region_get(dev, VFIOMAP_REGION_CONFIG, &r) == 0 && r->index == 7 &&
	      r->size == 256 && r->kind == VFIOMAP_REGION_KIND_CONFIG, "0.2 region: config space");
	check(vfiomap_region_get(dev, 2, &r) == 0 && r->size == 0x10000 &&
	      r->kind == VFIOMAP_REGION_KIND_MEMORY && r->prefetchable && r->mem64,
	      "0.2 region: BAR 2");
	check(vfiomap_cookie_get(dev, 2, 0x1000, 0x2000, 0, &h) == 0, "a cookie handle");
	memset(&ci, CANARY, sizeof(ci));
	check(h && vfiomap_cookie_info(h, &ci.info) == 0 && ci.info.region == 2 &&
	      ci.info.offset == 0x1000 && ci.info.size == 0x2000 && ci.info.attrs == 0,
	      "0.2 cookie info");
	check(intact(ci.canary, sizeof(ci.canary)), "nothing written past the 0.2 cookie info");
	memset(&ci, CANARY, sizeof(ci));
	check(h && vfiomap_cookie_query(dev, vfiomap_cookie_offset(h), &ci.info) == 0 &&
	      ci.info.region == 2 && ci.info.offset == 0x1000 && ci.info.size == 0x2000,
	      "0.2 cookie query");
	check(intact(ci.canary, sizeof(ci.canary)), "nothing written past the 0.2 cookie query");
	check(vfiomap_cookie_put(h) == 0, "cookie put");
	vfiomap_device_close(dev);
}

int main(void)
{
	struct vfiomap_open_opts o = { .size = sizeof(o), .mode = VFIOMAP_MODE_AUTO,
				       .sysfs_root = "/nonexistent-sysfs" };
	struct vfiomap_adopt_opts a = { .size = sizeof(a) };
	struct vfiomap_device *dev = NULL;
	int fd = memfd_create("not-a-vfio-device", MFD_CLOEXEC);

	check(vfiomap_device_open("0000:00:04.0", &o, &dev) == -ENODEV && !dev,
	      "open of a device that does not exist: -ENODEV");
	check(strlen(vfiomap_strerror()) > 0, "and a message");
	check(vfiomap_device_open("not-a-bdf", NULL, &dev) == -EINVAL,
	      "a malformed address: -EINVAL");
	check(fd >= 0 && vfiomap_device_adopt_opts(fd, &a, &dev) == -ENOTTY,
	      "adopting an fd that is not a VFIO device: -ENOTTY");
	check(vfiomap_device_adopt(fd, 0, &dev) == -ENOTTY, "the same with the 0.1 call");
	check(vfiomap_huge_align(2u << 20, 0) == 2u << 20, "huge alignment of 2 MiB");
	check(!strcmp(vfiomap_mode_name(VFIOMAP_MODE_CDEV), "iommufd cdev"),
	      "mode names");
	check(vfiomap_region_get(NULL, 0, NULL) == -EINVAL, "NULL device: -EINVAL");
	check(vfiomap_unmap(NULL) == 0, "unmapping NULL");
	if (fd >= 0)
		close(fd);
	if (getenv("VFIOMAP_ABI_FAKE"))
		device_checks();
	printf("%d passed, %d failed\n", n - bad, bad);
	return bad ? 1 : 0;
}
