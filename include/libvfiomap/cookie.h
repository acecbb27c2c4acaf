/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef LIBVFIOMAP_COOKIE_H
#define LIBVFIOMAP_COOKIE_H

#include <libvfiomap/deprecated.h>

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vfiomap_device;

/* Attributes of a cookie (same values as the kernel's VFIO_MMAP_ATTR_*) */
#define VFIOMAP_ATTR_WC		(1u << 0)	/* write-combining */
/*
 * The attributes of 0.1 (and still all there are).  A mask named "all"
 * would change meaning when an attribute is added, so it stays the 0.1
 * set; ask for the attributes you want by name.
 */
#define VFIOMAP_ATTR_ALL	VFIOMAP_ATTR_WC

/**
 * DOC: cookies
 *
 * Most callers never touch a cookie: vfiomap_map() with attributes
 * creates one for the mapping and destroys it with the mapping.  Below
 * that:
 *
 * - handles (vfiomap_cookie_get(), _put(), _offset(), _info()): a
 *   struct vfiomap_cookie belongs to one device and is checked where it
 *   is used (vfiomap_map() with VFIOMAP_MAP_COOKIE and a handle of another
 *   device fails with -EXDEV).  The cookie API since 0.3.
 * - the 0.1 layer (vfiomap_cookie_create(), _destroy(); deprecated since
 *   0.3) and vfiomap_cookie_query(), which asks about any value: raw
 *   cookie values, the mmap offsets the kernel returns.  A value means
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
 * @struct_size: sizeof(struct vfiomap_cookie_info), set by the caller
 *	(since 0.3; see "output structs" in device.h: named so because
 *	@size is the range's)
 * @region: region index
 * @attrs: VFIOMAP_ATTR_* flags
 * @offset: offset of the range in the region
 * @size: size of the range
 */
struct vfiomap_cookie_info {
	size_t struct_size;
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
 * Asks the kernel every time (VFIO_DEVICE_FEATURE_PROBE, then a QUERY of
 * cookie 0, which only the cookie uAPI answers with ENOENT: the feature
 * number is libvfiomap's until upstream assigns one, so another feature
 * with that number is not taken for it).
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
 * @info: output; set @info->struct_size first
 *
 * Since 0.3 (version LIBVFIOMAP_0.3) the struct starts with its size; a
 * program built against 0.2 keeps the 0.2 version.
 *
 * Return: 0, or -EINVAL for a NULL argument or @info->struct_size too
 * small.
 */
int vfiomap_cookie_info(const struct vfiomap_cookie *c,
			struct vfiomap_cookie_info *info);

/**
 * vfiomap_cookie_query() - ask the kernel what a cookie value maps
 * @dev: the device the value belongs to
 * @cookie: a live cookie of @dev (made by anyone holding the device: a VMM
 *	that passed you its fd, say)
 * @info: output; set @info->struct_size first
 *
 * Low-level: VFIO_DEVICE_FEATURE_GET with VFIO_MMAP_COOKIE_FLAG_QUERY.
 * Since 0.3 (version LIBVFIOMAP_0.3) the struct starts with its size; a
 * program built against 0.2 keeps the 0.2 version.
 *
 * Return: 0; -ENOENT (no live cookie @cookie on @dev), -EOPNOTSUPP (no
 * cookie uAPI), -EINVAL (a kernel without QUERY, a NULL argument, or
 * @info->struct_size too small).
 */
int vfiomap_cookie_query(struct vfiomap_device *dev, uint64_t cookie,
			 struct vfiomap_cookie_info *info);

/**
 * enum vfiomap_refusal - why a cookie's attributes were refused
 * @VFIOMAP_REFUSAL_NONE: not refused (the last request was made, had no
 *	attributes, or failed for another reason: a bad range, ENOSPC, ...)
 * @VFIOMAP_REFUSAL_NO_UAPI: the kernel has no mmap-cookie uAPI (a stock
 *	kernel): install vfiomap-dkms or a patched kernel
 * @VFIOMAP_REFUSAL_UNKNOWN_ATTR: the kernel does not know an attribute
 *	(EOPNOTSUPP from a v3 kernel)
 * @VFIOMAP_REFUSAL_NO_HOST_WC: no write-combining on this host (PAT off,
 *	"nopat"; ENODEV)
 * @VFIOMAP_REFUSAL_NOT_PREFETCHABLE: the BAR is not prefetchable memory
 *	(EPERM from a v3 kernel; the library refuses it itself when the
 *	BAR's config register says so)
 * @VFIOMAP_REFUSAL_MSIX: the range covers MSI-X table or PBA pages (EACCES):
 *	split it around them, see vfiomap_region_attr_areas()
 * @VFIOMAP_REFUSAL_IOEVENTFD: the BAR has ioeventfds (EEXIST): they and WC
 *	exclude each other while both would live
 * @VFIOMAP_REFUSAL_CONFLICT: PAT has another memory type reserved for
 *	these pages (EBUSY): someone maps them uncached (a sysfs resource
 *	file, another driver) until they unmap
 */
enum vfiomap_refusal {
	VFIOMAP_REFUSAL_NONE = 0,
	VFIOMAP_REFUSAL_NO_UAPI,
	VFIOMAP_REFUSAL_UNKNOWN_ATTR,
	VFIOMAP_REFUSAL_NO_HOST_WC,
	VFIOMAP_REFUSAL_NOT_PREFETCHABLE,
	VFIOMAP_REFUSAL_MSIX,
	VFIOMAP_REFUSAL_IOEVENTFD,
	VFIOMAP_REFUSAL_CONFLICT,
};

/**
 * vfiomap_last_refusal() - why the calling thread's last cookie request
 *	was refused its attributes (since 0.3)
 *
 * Every cookie request of the thread sets it: vfiomap_cookie_create(),
 * vfiomap_cookie_get(), and vfiomap_map()/vfiomap_map_range() with
 * attributes (before any sysfs fallback).  The errno those calls return
 * stays what it was in 0.2 (-EOPNOTSUPP for a kernel without the uAPI or
 * a BAR that is not prefetchable; the kernel's own errno otherwise); this
 * is the reason as a value a program can act on.
 *
 * Return: the reason, VFIOMAP_REFUSAL_NONE if the last request was not
 * refused its attributes (or the thread made none).
 */
enum vfiomap_refusal vfiomap_last_refusal(void);

/**
 * vfiomap_refusal_name() - a readable name of a refusal reason
 * @r: the reason
 *
 * Return: a static string ("unknown" for a value this library does not
 * know).
 */
const char *vfiomap_refusal_name(enum vfiomap_refusal r);

#ifndef VFIOMAP_NO_DEPRECATED
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
 * Deprecated since 0.3: use vfiomap_cookie_get() (see libvfiomap/deprecated.h).
 *
 * Return: 0; -EINVAL for bad arguments (checked before the kernel is
 * asked); -EOPNOTSUPP if the kernel lacks the mmap-cookie uAPI, or for
 * VFIOMAP_ATTR_WC on a BAR whose config register says it is not
 * prefetchable (refused without asking the kernel); otherwise the
 * kernel's errno (see docs/uapi.md: a v3 kernel gives each refusal of
 * the attributes its own: -EOPNOTSUPP, -ENODEV, -EPERM, -EACCES,
 * -EEXIST, -EBUSY; and -ERANGE, -EOVERFLOW, -ENXIO, -ENOSPC, ...).  Why
 * the attributes were refused: vfiomap_last_refusal().
 */
int vfiomap_cookie_create(struct vfiomap_device *dev, uint32_t region,
			  uint64_t offset, uint64_t size, uint32_t attrs,
			  uint64_t *cookie)
	VFIOMAP_DEPRECATED("vfiomap_cookie_get()");
#endif

#ifndef VFIOMAP_NO_DEPRECATED
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
 * Deprecated since 0.3: use vfiomap_cookie_put() (see libvfiomap/deprecated.h).
 *
 * Return: 0, -ENOENT (no such reference on @dev), -EOPNOTSUPP (no cookie
 * uAPI), or the kernel's error.
 */
int vfiomap_cookie_destroy(struct vfiomap_device *dev, uint64_t cookie)
	VFIOMAP_DEPRECATED("vfiomap_cookie_put()");
#endif

#ifdef __cplusplus
}
#endif

#endif
