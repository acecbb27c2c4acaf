// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A VFIO device without a kernel, for tests/abi: LD_PRELOAD this and
 * ioctl(2) on a memfd named "vfiomap-abi-fake" (or a duplicate of one)
 * answers as a VFIO PCI device with the PCI regions and IRQs: the config
 * space (region 7) is the memfd's first 256 bytes, BAR 2 is 64 KiB after
 * it, the other regions are empty; mmap cookies are created, queried and
 * destroyed (one at a time).  Every other fd goes to libc's ioctl().  So
 * a program built against an old libvfiomap runs its calls on a device
 * with any library, the released one and the one being tested.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/vfio.h>
#include "uapi/vfio_mmap_cookie.h"

#define CONFIG_SIZE	256
#define BAR2_OFFSET	0x1000
#define BAR2_SIZE	0x10000

/* the one live cookie (0: none) */
static struct vfio_device_feature_mmap_cookie live;

static int is_fake(int fd)
{
	static const char name[] = "/memfd:vfiomap-abi-fake";
	char path[64], target[128];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return 0;
	target[n] = 0;
	return !strncmp(target, name, sizeof(name) - 1);
}

static int region_info(struct vfio_region_info *ri)
{
	if (ri->argsz < sizeof(*ri) || ri->index >= VFIO_PCI_NUM_REGIONS)
		return -EINVAL;
	ri->argsz = sizeof(*ri);
	ri->flags = 0;
	ri->cap_offset = 0;
	ri->size = 0;
	ri->offset = (uint64_t)ri->index << 20;
	if (ri->index == VFIO_PCI_CONFIG_REGION_INDEX) {
		ri->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
		ri->size = CONFIG_SIZE;
		ri->offset = 0;
	} else if (ri->index == VFIO_PCI_BAR2_REGION_INDEX) {
		ri->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
			    VFIO_REGION_INFO_FLAG_MMAP;
		ri->size = BAR2_SIZE;
		ri->offset = BAR2_OFFSET;
	}
	return 0;
}

static int cookie_feature(struct vfio_device_feature *f)
{
	struct vfio_device_feature_mmap_cookie *mc = (void *)f->data;

	if (f->flags & VFIO_DEVICE_FEATURE_PROBE)
		return 0;
	if (f->argsz < sizeof(*f) + sizeof(*mc))
		return -EINVAL;
	if (f->flags & VFIO_DEVICE_FEATURE_SET) {		/* destroy */
		if (!live.cookie || mc->cookie != live.cookie)
			return -ENOENT;
		memset(&live, 0, sizeof(live));
		return 0;
	}
	if (mc->flags & VFIO_MMAP_COOKIE_FLAG_QUERY) {
		if (!live.cookie || mc->cookie != live.cookie)
			return -ENOENT;
		*mc = live;
		mc->flags = VFIO_MMAP_COOKIE_FLAG_QUERY;
		return 0;
	}
	if (live.cookie || mc->region_index != VFIO_PCI_BAR2_REGION_INDEX ||
	    mc->region_offset + mc->size > BAR2_SIZE)
		return -ENOSPC;
	live = *mc;
	live.cookie = VFIO_MMAP_COOKIE_BASE;
	mc->cookie = live.cookie;
	return 0;
}

static int fake(unsigned long req, void *arg)
{
	switch (req) {
	case VFIO_DEVICE_GET_INFO: {
		struct vfio_device_info *i = arg;

		if (i->argsz < sizeof(*i))
			return -EINVAL;
		i->flags = VFIO_DEVICE_FLAGS_PCI;
		i->num_regions = VFIO_PCI_NUM_REGIONS;
		i->num_irqs = VFIO_PCI_NUM_IRQS;
		return 0;
	}
	case VFIO_DEVICE_GET_REGION_INFO:
		return region_info(arg);
	case VFIO_DEVICE_FEATURE: {
		struct vfio_device_feature *f = arg;

		if ((f->flags & VFIO_DEVICE_FEATURE_MASK) != VFIO_DEVICE_FEATURE_MMAP_COOKIE)
			return -ENOTTY;
		return cookie_feature(f);
	}
	}
	return -ENOTTY;
}

int ioctl(int fd, unsigned long req, ...)
{
	static int (*real)(int, unsigned long, ...);
	va_list ap;
	void *arg;
	int ret;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!is_fake(fd)) {
		if (!real)
			real = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
		return real(fd, req, arg);
	}
	ret = fake(req, arg);
	if (ret < 0) {
		errno = -ret;
		return -1;
	}
	return ret;
}
