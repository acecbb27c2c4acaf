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
 * DOC: cookies
 *
 * Most callers never touch a cookie: vfiomap_map_range() and vfiomap_map()
 * with attributes create one for the mapping and destroy it with the
 * mapping.  Below that, two layers:
 *
 * - handles (vfiomap_cookie_get(), _put(), _offset(), _info()): a
 *   struct vfiomap_cookie belongs to one device and is checked where it
 *   is used (vfiomap_map() with VFIOMAP_MAP_COOKIE and a handle of another
 *   device fails with -EXDEV).
 * - the low-level layer (vfiomap_cookie_create(), _destroy(), _query()):
 *   raw cookie values, the mmap offsets the kernel returns.  A value means
 *   something only with its device: two devices both hand out
 *   0x1000000000000 for their first cookie.  vfiomap_cookie_destroy()
 *   drops only a reference that vfiomap_cookie_create() took on the same
 *   device handle (-ENOENT otherwise, without asking the kernel).
 *
 * The kernel (series v2) de-duplicates: an identical request (region,
 * range, attributes) returns the live cookie with one more reference, so
 * per-queue doorbell pages do not use up the per-device limit; each
 * get/create is one reference and each put/destroy drops one.
 */

/**
 * struct vfiomap_cookie_info - what a cookie maps
 * @region: region index
 * @attrs: VFIOMAP_ATTR_* flags
 * @offset: offset of the range in the region
 * @size: size of the range
 */
struct vfiomap_cookie_info {
	uint32_t region;
	uint32_t attrs;
	uint64_t offset;
	uint64_t size;
};

struct vfiomap_cookie;

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
 * vfiomap_cookie_get() - a cookie handle (one kernel reference)
 * @dev: the device
 * @region: region index
 * @offset: page-aligned offset in the region
 * @size: page-aligned, non-zero size
 * @attrs: VFIOMAP_ATTR_* flags
 * @out: the handle, owned by @dev: valid until vfiomap_cookie_put() or
 *	the device's close (which drops what is left)
 *
 * An identical live request returns the same cookie (the kernel's
 * de-duplication) with one more reference: two handles, one offset.
 *
 * Return: 0, or what vfiomap_cookie_create() returns.
 */
int vfiomap_cookie_get(struct vfiomap_device *dev, uint32_t region,
		       uint64_t offset, uint64_t size, uint32_t attrs,
		       struct vfiomap_cookie **out);

/**
 * vfiomap_cookie_put() - drop a handle's reference and free the handle
 * @c: from vfiomap_cookie_get(), or NULL
 *
 * Mappings of the cookie keep working until they are unmapped; with the
 * last reference the kernel destroys the cookie.
 *
 * Return: 0, -EINVAL (not a handle of vfiomap_cookie_get()), or the
 * kernel's error (the handle is freed anyway).
 */
int vfiomap_cookie_put(struct vfiomap_cookie *c);

/**
 * vfiomap_cookie_offset() - the mmap offset of a cookie handle
 * @c: the handle
 *
 * Return: the cookie value (the offset to pass to mmap(2) on the device
 * fd), or 0 for NULL.
 */
uint64_t vfiomap_cookie_offset(const struct vfiomap_cookie *c);

/**
 * vfiomap_cookie_device() - the device a cookie handle belongs to
 * @c: the handle
 *
 * Return: the device, or NULL for NULL.
 */
struct vfiomap_device *vfiomap_cookie_device(const struct vfiomap_cookie *c);

/**
 * vfiomap_cookie_info() - what a cookie handle maps (no ioctl)
 * @c: the handle
 * @info: output
 *
 * Return: 0, or -EINVAL for a NULL argument.
 */
int vfiomap_cookie_info(const struct vfiomap_cookie *c,
			struct vfiomap_cookie_info *info);

/**
 * vfiomap_cookie_query() - ask the kernel what a cookie value maps
 * @dev: the device the value belongs to
 * @cookie: a live cookie of @dev (made by anyone holding the device: a VMM
 *	that passed you its fd, say)
 * @info: output
 *
 * Low-level: VFIO_DEVICE_FEATURE_GET with VFIO_MMAP_COOKIE_FLAG_QUERY.
 *
 * Return: 0; -ENOENT (no live cookie @cookie on @dev), -EOPNOTSUPP (no
 * cookie uAPI), -EINVAL (a kernel without QUERY, or a NULL argument).
 */
int vfiomap_cookie_query(struct vfiomap_device *dev, uint64_t cookie,
			 struct vfiomap_cookie_info *info);

/**
 * vfiomap_cookie_create() - create an mmap cookie (low-level)
 * @dev: the device
 * @region: region index
 * @offset: page-aligned offset in the region
 * @size: page-aligned, non-zero size
 * @attrs: VFIOMAP_ATTR_* flags
 * @cookie: the cookie (an mmap offset) on success
 *
 * Low-level: the raw value is meaningful only with @dev (see "cookies"
 * above); prefer vfiomap_cookie_get().  The reference lives until
 * vfiomap_cookie_destroy() on the same @dev or the device's close.
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
 * vfiomap_cookie_destroy() - drop a reference of a cookie (low-level)
 * @dev: the device
 * @cookie: from vfiomap_cookie_create() on @dev
 *
 * Mappings of the cookie keep working until they are unmapped.  Only a
 * reference vfiomap_cookie_create() took on @dev is dropped: a value of
 * another device, of a handle or of a mapping is refused without asking
 * the kernel.
 *
 * Return: 0, -ENOENT (no such reference on @dev), -EOPNOTSUPP (no cookie
 * uAPI), or the kernel's error.
 */
int vfiomap_cookie_destroy(struct vfiomap_device *dev, uint64_t cookie);

#ifdef __cplusplus
}
#endif

#endif
