/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef LIBVFIOMAP_MAP_H
#define LIBVFIOMAP_MAP_H

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
 * vfiomap_huge_align().
 *
 * Return: 0, -EINVAL (region not mmappable or bad arguments), -ENOMEM,
 * or mmap's errno.
 */
int vfiomap_map_region(struct vfiomap_device *dev, uint32_t index,
		       uint32_t flags, struct vfiomap_mapping **out);

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
 * Without cookie support in the kernel, attrs with VFIOMAP_ATTR_WC fail
 * with -EOPNOTSUPP, unless the device was opened with
 * VFIOMAP_OPEN_WC_SYSFS_FALLBACK: then sysfs resourceN_wc is mapped
 * (needs root, bypasses VFIO: no zap on reset or memory disable).
 *
 * Return: 0 or a negative errno (see vfiomap_cookie_create()).
 */
int vfiomap_map_range(struct vfiomap_device *dev, uint32_t index,
		      uint64_t offset, uint64_t size, uint32_t attrs,
		      uint32_t flags, struct vfiomap_mapping **out);

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
