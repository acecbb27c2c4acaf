/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef LIBVFIOMAP_COOKIE_H
#define LIBVFIOMAP_COOKIE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vfiomap_device;

/* Attributes of a cookie (same values as the kernel's VFIO_MMAP_ATTR_*) */
#define VFIOMAP_ATTR_WC		(1u << 0)	/* write-combining */
#define VFIOMAP_ATTR_ALL	VFIOMAP_ATTR_WC

/**
 * vfiomap_cookie_supported() - does the kernel offer mmap cookies?
 * @dev: the device
 *
 * Asks the kernel every time (VFIO_DEVICE_FEATURE_PROBE).
 *
 * Return: 1 yes, 0 no (a kernel without the uAPI), or a negative errno.
 */
int vfiomap_cookie_supported(struct vfiomap_device *dev);

/**
 * vfiomap_cookie_create() - create an mmap cookie
 * @dev: the device
 * @region: region index
 * @offset: page-aligned offset in the region
 * @size: page-aligned, non-zero size
 * @attrs: VFIOMAP_ATTR_* flags
 * @cookie: the cookie (an mmap offset) on success
 *
 * The cookie lives until vfiomap_cookie_destroy() or the device's close.
 *
 * Return: 0; -EINVAL for bad arguments (checked before the kernel is
 * asked); -EOPNOTSUPP if the kernel lacks the mmap-cookie uAPI or the
 * region cannot take the attributes (the kernel's answer too), refused
 * without asking the kernel when the cached region info already says so
 * (VFIOMAP_ATTR_WC on a BAR that is not prefetchable, or mmap attrs
 * without WC); otherwise
 * the kernel's errno (see docs/uapi.md: -ERANGE, -EOVERFLOW, -ENXIO,
 * -EPERM, -EBUSY, -ENOSPC, ...).
 */
int vfiomap_cookie_create(struct vfiomap_device *dev, uint32_t region,
			  uint64_t offset, uint64_t size, uint32_t attrs,
			  uint64_t *cookie);

/**
 * vfiomap_cookie_destroy() - destroy a cookie
 * @dev: the device
 * @cookie: from vfiomap_cookie_create()
 *
 * Mappings of the cookie keep working until they are unmapped.
 *
 * Return: 0, -ENOENT (not a live cookie), -EOPNOTSUPP (no cookie uAPI).
 */
int vfiomap_cookie_destroy(struct vfiomap_device *dev, uint64_t cookie);

#ifdef __cplusplus
}
#endif

#endif
