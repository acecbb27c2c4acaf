/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef LIBVFIOMAP_REGION_H
#define LIBVFIOMAP_REGION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vfiomap_device;

/* Fixed region indexes of a PCI device (the kernel's VFIO_PCI_*_REGION_INDEX) */
#define VFIOMAP_REGION_BAR0	0
#define VFIOMAP_REGION_BAR1	1
#define VFIOMAP_REGION_BAR2	2
#define VFIOMAP_REGION_BAR3	3
#define VFIOMAP_REGION_BAR4	4
#define VFIOMAP_REGION_BAR5	5
#define VFIOMAP_REGION_ROM	6
#define VFIOMAP_REGION_CONFIG	7
#define VFIOMAP_REGION_VGA	8	/* legacy VGA ranges, if any */
/* indexes from 9 on are device specific (see @type, @subtype) */

/* struct vfiomap_region.flags (the kernel's VFIO_REGION_INFO_FLAG_*) */
#define VFIOMAP_REGION_FLAG_READ	(1u << 0)
#define VFIOMAP_REGION_FLAG_WRITE	(1u << 1)
#define VFIOMAP_REGION_FLAG_MMAP	(1u << 2)
#define VFIOMAP_REGION_FLAG_CAPS	(1u << 3)

/**
 * enum vfiomap_region_kind - what a region is
 * @VFIOMAP_REGION_KIND_UNKNOWN: not a PCI device, or its BAR unreadable
 * @VFIOMAP_REGION_KIND_NONE: size 0 (unimplemented BAR, the upper half of
 *	a 64-bit BAR, no VGA)
 * @VFIOMAP_REGION_KIND_MEMORY: a memory BAR (see @prefetchable, @mem64)
 * @VFIOMAP_REGION_KIND_IO: an I/O-port BAR
 * @VFIOMAP_REGION_KIND_ROM: the expansion ROM
 * @VFIOMAP_REGION_KIND_CONFIG: the config space
 * @VFIOMAP_REGION_KIND_VGA: the legacy VGA ranges
 * @VFIOMAP_REGION_KIND_DEVICE_SPECIFIC: a typed region (index 9 and up)
 */
enum vfiomap_region_kind {
	VFIOMAP_REGION_KIND_UNKNOWN = 0,
	VFIOMAP_REGION_KIND_NONE,
	VFIOMAP_REGION_KIND_MEMORY,
	VFIOMAP_REGION_KIND_IO,
	VFIOMAP_REGION_KIND_ROM,
	VFIOMAP_REGION_KIND_CONFIG,
	VFIOMAP_REGION_KIND_VGA,
	VFIOMAP_REGION_KIND_DEVICE_SPECIFIC,
};

/** struct vfiomap_area - a mmappable area of a region (sparse mmap) */
struct vfiomap_area {
	uint64_t offset;	/* from the start of the region */
	uint64_t size;
};

/**
 * struct vfiomap_region - VFIO_DEVICE_GET_REGION_INFO, parsed
 * @index: region index
 * @flags: VFIOMAP_REGION_FLAG_* (= VFIO_REGION_INFO_FLAG_*)
 * @size: bytes
 * @offset: the region's file offset (stable; never decoded)
 * @nr_sparse: number of entries in @sparse
 * @sparse: the mmappable areas, when @has_sparse
 * @has_type: the type capability was present
 * @type: @subtype: its values
 * @msix_mappable: the MSI-X table of this BAR may be mapped
 * @has_mmap_attrs: the mmap-attrs capability was present (cookies work)
 * @mmap_attrs: VFIO_MMAP_ATTR_* a cookie of this region may carry
 * @has_sparse: the region has a sparse-mmap capability: only its areas
 *	may be mmapped; with @nr_sparse 0 nothing may be (QEMU reads it so)
 * @kind: what the region is (BAR kinds from the BAR's config register)
 * @prefetchable: a prefetchable memory BAR (write-combining is allowed)
 * @mem64: a 64-bit memory BAR (the next BAR is its upper half)
 */
struct vfiomap_region {
	uint32_t index;
	uint32_t flags;
	uint64_t size;
	uint64_t offset;
	uint32_t nr_sparse;
	const struct vfiomap_area *sparse;
	bool has_type;
	uint32_t type;
	uint32_t subtype;
	bool msix_mappable;
	bool has_mmap_attrs;
	uint32_t mmap_attrs;
	/* 0.2: appended, the layout above is unchanged */
	bool has_sparse;
	enum vfiomap_region_kind kind;
	bool prefetchable;
	bool mem64;
};

/**
 * vfiomap_region_get() - region info, cached
 * @dev: the device
 * @index: region index (typed regions beyond the standard ones too)
 * @out: the region, owned by @dev, valid until vfiomap_device_close()
 *
 * The first call for an index asks the kernel (with the argsz it requests,
 * so the whole capability chain comes back) and parses the chain with
 * bounds and cycle checks; later calls make no ioctl and return the same
 * object, hence the same offset.
 *
 * Return: 0, -EINVAL (bad index or arguments), -EPROTO (malformed
 * capability chain), -ENOMEM, or the ioctl's error.
 */
int vfiomap_region_get(struct vfiomap_device *dev, uint32_t index,
		       const struct vfiomap_region **out);

/**
 * struct vfiomap_attr_area - a part of a region and the cookie attributes
 *	it may carry
 * @offset: from the start of the region
 * @size: bytes
 * @attrs: VFIOMAP_ATTR_* that a cookie inside this area may carry; 0 for
 *	an area that takes none (the pages of an MSI-X table or PBA in a BAR
 *	that otherwise takes write-combining)
 * @reserved: 0
 */
struct vfiomap_attr_area {
	uint64_t offset;
	uint64_t size;
	uint32_t attrs;
	uint32_t reserved;
};

/**
 * vfiomap_region_attr_areas() - where in a region cookies may carry which
 *	attributes (since 0.3)
 * @dev: the device
 * @index: region index
 * @areas: output, room for @max areas (may be NULL when @max is 0)
 * @max: how many areas @areas holds
 *
 * From the region's mmap-attrs capability (cached with the region info,
 * no ioctl after the first vfiomap_region_get()): version 2 lists the
 * areas in order, covering the region rounded up to a page, so that a
 * caller never has to guess where write-combining is allowed (the kernel
 * refuses it on MSI-X table and PBA pages with -EACCES); version 1 (a v2
 * kernel series) gives one area, the whole region, with its attributes.
 * A capability with libvfiomap's number but not its version and size (a
 * kernel that gave the number to something else) is not taken for it.
 *
 * Return: the number of areas the region has (the first min(@max, that)
 * are filled in); -ENODATA if the region has no mmap-attrs capability (a
 * kernel without the cookie uAPI, or a region that takes no cookies);
 * -EINVAL for bad arguments; or vfiomap_region_get()'s error.
 */
int vfiomap_region_attr_areas(struct vfiomap_device *dev, uint32_t index,
			      struct vfiomap_attr_area *areas, uint32_t max);

/**
 * vfiomap_region_read() - pread() from a region, bounds-checked
 * @dev: the device
 * @index: region index
 * @offset: offset in the region
 * @buf: destination
 * @len: bytes
 *
 * Return: bytes read (short only at the end of the region), or a
 * negative errno.
 */
ssize_t vfiomap_region_read(struct vfiomap_device *dev, uint32_t index,
			    uint64_t offset, void *buf, size_t len);

/**
 * vfiomap_region_write() - pwrite() to a region, bounds-checked
 * @dev: the device
 * @index: region index
 * @offset: offset in the region
 * @buf: source
 * @len: bytes
 *
 * Return: bytes written, or a negative errno.
 */
ssize_t vfiomap_region_write(struct vfiomap_device *dev, uint32_t index,
			     uint64_t offset, const void *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif
