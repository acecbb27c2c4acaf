/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef LIBVFIOMAP_MAP_H
#define LIBVFIOMAP_MAP_H

#include <libvfiomap/deprecated.h>

#include <stddef.h>
#include <stdint.h>

/* what map.h used to declare (source compatibility) */
#include <libvfiomap/align.h>
#include <libvfiomap/region.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vfiomap_device;
struct vfiomap_mapping;
struct vfiomap_cookie;

/* struct vfiomap_map_opts.flags */
/* At opts->addr (page aligned), replacing what is there: a reservation. */
#define VFIOMAP_MAP_FIXED	(1u << 0)
/* Map an existing cookie: opts->cookie_handle, or opts->cookie (raw value). */
#define VFIOMAP_MAP_COOKIE	(1u << 1)
/* madvise(MADV_DONTFORK): a fork() child does not inherit the mapping. */
#define VFIOMAP_MAP_DONTFORK	(1u << 2)
/*
 * (0.3) Write-combining wherever the kernel allows it, uncached elsewhere,
 * in one contiguous mapping: the MSI-X table and PBA pages of the BAR (and
 * anything the kernel refuses WC, see vfiomap_last_refusal()) are mapped
 * through the region offset.  attrs must be 0; not with VFIOMAP_MAP_COOKIE.
 * A 0.2 library refuses the flag (-EINVAL).
 */
#define VFIOMAP_MAP_WC_WHERE_ALLOWED	(1u << 3)

/**
 * struct vfiomap_map_opts - options of vfiomap_map()
 * @size: sizeof(struct vfiomap_map_opts).  A struct from a newer header
 *	(larger) is accepted when the fields this library does not know are
 *	zero.
 * @flags: VFIOMAP_MAP_* flags
 * @attrs: VFIOMAP_ATTR_* to map through a cookie created for the mapping
 *	(destroyed by vfiomap_unmap()); 0 maps the region's own offset
 * @prot: PROT_READ and/or PROT_WRITE; 0 takes what the region allows
 *	(its READ/WRITE flags)
 * @addr: with VFIOMAP_MAP_FIXED, where the mapping goes (page aligned)
 * @cookie: with VFIOMAP_MAP_COOKIE and no @cookie_handle, the raw cookie
 *	value to map: one this device created, or (since 0.3) one created
 *	through the same file by another component, which the library asks
 *	the kernel about (QUERY); not destroyed by vfiomap_unmap()
 * @cookie_handle: with VFIOMAP_MAP_COOKIE, the cookie to map, from
 *	vfiomap_cookie_get() on the same device (checked: -EXDEV otherwise);
 *	@cookie must then be 0.  The handle must outlive the mapping's use
 *	by the caller only: the kernel keeps mapped pages valid.
 */
struct vfiomap_map_opts {
	size_t size;
	uint32_t flags;
	uint32_t attrs;
	int prot;
	void *addr;
	uint64_t cookie;
	const struct vfiomap_cookie *cookie_handle;
};

/**
 * vfiomap_map() - map (part of) a region, with options
 * @dev: the device
 * @index: region index
 * @offset: page-aligned offset in the region
 * @size: page-aligned size; 0 maps from @offset to the end of the region
 * @opts: options, or NULL (region offset, protection from the region,
 *	huge-aligned address of the library's choice)
 * @out: the mapping
 *
 * Sparse regions: without attrs or a cookie, the parts of the range in
 * the region's mmappable areas are mapped and the rest stays
 * inaccessible (PROT_NONE); with either, the range must lie in one area.
 * The protection is the region's (read-only regions map read-only); a
 * @opts->prot the region does not allow is refused.  With
 * VFIOMAP_MAP_FIXED the mapping replaces [@opts->addr, +size) (a
 * reservation the caller made, as QEMU and DPDK secondary processes do),
 * and vfiomap_unmap() turns the range back into an inaccessible
 * reservation instead of unmapping it.  VFIOMAP_MAP_COOKIE maps part of
 * an existing cookie of @dev: [@offset, +size) must lie in the cookie's
 * range; a cookie of another device is refused.
 *
 * Write-combining (@opts->attrs) goes through the first backend that
 * serves it: the kernel's mmap cookies, then (opt-in, kernels without
 * the cookie uAPI) sysfs resourceN_wc, verified against the PAT.
 *
 * Return: 0; -EINVAL (bad arguments, options or flags, not mmappable,
 * not inside one area), -ERANGE/-EOVERFLOW (outside the region or the
 * cookie), -EACCES (@opts->prot beyond the region's), -ENOENT (not a
 * cookie of this device), -EXDEV (@opts->cookie_handle belongs to another
 * device), -ENOMEM, or what vfiomap_cookie_create() or mmap(2) return.
 */
int vfiomap_map(struct vfiomap_device *dev, uint32_t index, uint64_t offset,
		uint64_t size, const struct vfiomap_map_opts *opts,
		struct vfiomap_mapping **out);

#ifndef VFIOMAP_NO_DEPRECATED
/**
 * vfiomap_map_region() - map a whole region
 * @dev: the device
 * @index: region index
 * @flags: 0 (reserved)
 * @out: the mapping
 *
 * Honours the sparse-mmap capability: only the listed areas are mapped,
 * the rest of the span (an MSI-X table, say) stays inaccessible
 * (PROT_NONE).  The address is aligned for huge pfnmap, see
 * vfiomap_huge_align().  The same as vfiomap_map() with offset and size 0
 * and no options.
 *
 * Deprecated since 0.3: use vfiomap_map() (see libvfiomap/deprecated.h).
 *
 * Return: 0, -EINVAL (region not mmappable or bad arguments), -ENOMEM,
 * or mmap's errno.
 */
int vfiomap_map_region(struct vfiomap_device *dev, uint32_t index,
		       uint32_t flags, struct vfiomap_mapping **out)
	VFIOMAP_DEPRECATED("vfiomap_map()");
#endif

#ifndef VFIOMAP_NO_DEPRECATED
/**
 * vfiomap_map_range() - map part of a region, with attributes
 * @dev: the device
 * @index: region index
 * @offset: page-aligned offset in the region
 * @size: page-aligned, non-zero size
 * @attrs: 0 for the region's own offset, or VFIOMAP_ATTR_* to map through
 *	a cookie created for this mapping (destroyed by vfiomap_unmap())
 * @flags: 0 (reserved)
 * @out: the mapping
 *
 * The range must lie inside one mmappable area of a sparse region.
 * Without cookie support in the kernel, attrs with VFIOMAP_ATTR_WC fail
 * with -EOPNOTSUPP, unless the device was opened with
 * VFIOMAP_OPEN_WC_SYSFS_FALLBACK: then sysfs resourceN_wc is mapped
 * (needs root, bypasses VFIO: no zap on reset or memory disable).  The
 * same as vfiomap_map() with @attrs in the options.
 *
 * Deprecated since 0.3: use vfiomap_map() (see libvfiomap/deprecated.h).
 *
 * Return: 0 or a negative errno (see vfiomap_cookie_create()).
 */
int vfiomap_map_range(struct vfiomap_device *dev, uint32_t index,
		      uint64_t offset, uint64_t size, uint32_t attrs,
		      uint32_t flags, struct vfiomap_mapping **out)
	VFIOMAP_DEPRECATED("vfiomap_map()");
#endif

/**
 * vfiomap_unmap() - unmap and free a mapping (destroys its cookie)
 * @m: the mapping, or NULL
 *
 * @m must be a live mapping: the caller keeps handles valid (see
 * docs/api.md, "Handles").  After the call @m is freed; unmapping it
 * again, or after its device's vfiomap_device_close(), is undefined.
 *
 * Return: 0, or the cookie destroy's error (the mapping is gone anyway).
 */
int vfiomap_unmap(struct vfiomap_mapping *m);

/**
 * vfiomap_mapping_addr() - where the mapping starts
 * @m: the mapping
 *
 * Return: the address (NULL for NULL).
 */
void *vfiomap_mapping_addr(const struct vfiomap_mapping *m);

/**
 * vfiomap_mapping_size() - bytes mapped
 * @m: the mapping
 *
 * Return: the size (0 for NULL).
 */
size_t vfiomap_mapping_size(const struct vfiomap_mapping *m);

/**
 * vfiomap_mapping_cookie() - the cookie behind the mapping
 * @m: the mapping
 *
 * Return: the cookie, or 0 for a mapping of the region offset.
 */
uint64_t vfiomap_mapping_cookie(const struct vfiomap_mapping *m);

/**
 * vfiomap_mapping_region() - the region a mapping maps
 * @m: the mapping
 *
 * Return: the region index, or -EINVAL for NULL.
 */
int vfiomap_mapping_region(const struct vfiomap_mapping *m);

/**
 * vfiomap_mapping_offset() - where in its region a mapping starts
 * @m: the mapping
 *
 * Return: the offset in the region (0 for NULL).
 */
uint64_t vfiomap_mapping_offset(const struct vfiomap_mapping *m);

/**
 * vfiomap_mapping_attrs() - the attributes a mapping was made with
 * @m: the mapping
 *
 * Return: VFIOMAP_ATTR_* (those of the cookie it maps; 0 for a mapping of
 * the region's own offset, or NULL).
 */
uint32_t vfiomap_mapping_attrs(const struct vfiomap_mapping *m);

/**
 * vfiomap_mapping_wc_size() - bytes of a mapping that are write-combining
 *	(since 0.3)
 * @m: the mapping
 *
 * For a VFIOMAP_MAP_WC_WHERE_ALLOWED mapping, the bytes mapped through WC
 * cookies (the rest is uncached); for another mapping, its size if it was
 * made with VFIOMAP_ATTR_WC (or maps a WC cookie), else 0.
 *
 * Return: the bytes (0 for NULL).
 */
uint64_t vfiomap_mapping_wc_size(const struct vfiomap_mapping *m);

/**
 * vfiomap_mapping_is_sysfs_wc() - made by the sysfs resourceN_wc fallback?
 * @m: the mapping
 *
 * Return: 1 if so, 0 if not.
 */
int vfiomap_mapping_is_sysfs_wc(const struct vfiomap_mapping *m);

#ifdef __cplusplus
}
#endif

#endif
