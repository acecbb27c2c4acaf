/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Private copy of the mmap-cookie uAPI added by libvfiomap's kernel series
 * (kernel-patches/).  System headers win: every definition is guarded, so a
 * <linux/vfio.h> that already carries the uAPI is used as is.
 *
 * Includes <linux/vfio.h> (for struct vfio_info_cap_header).
 */
#ifndef LIBVFIOMAP_UAPI_VFIO_MMAP_COOKIE_H
#define LIBVFIOMAP_UAPI_VFIO_MMAP_COOKIE_H

#include <linux/types.h>
#include <linux/vfio.h>

#ifndef VFIO_REGION_INFO_CAP_MMAP_ATTRS
/*
 * Region-info capability: the mmap attributes (VFIO_MMAP_ATTR_*) that a
 * cookie of this region may carry.  Present on every region that accepts
 * cookies (attrs may then be 0: plain cookies only).  Version 1 (series
 * v2) ends after attrs; version 2 (series v3) adds the areas of the region
 * and the attributes each may carry: the MSI-X table and PBA pages of a
 * prefetchable BAR are listed without VFIO_MMAP_ATTR_WC.
 */
#define VFIO_REGION_INFO_CAP_MMAP_ATTRS 6

struct vfio_region_mmap_attrs_area {
	__aligned_u64 offset;
	__aligned_u64 size;
	__aligned_u64 attrs;
};

struct vfio_region_info_cap_mmap_attrs {
	struct vfio_info_cap_header header;
	__aligned_u64 attrs;
	__u32 nr_areas;		/* version 2 */
	__u32 __reserved;
	struct vfio_region_mmap_attrs_area areas[];
};
#endif

#ifndef VFIO_DEVICE_FEATURE_MMAP_COOKIE
/*
 * VFIO_DEVICE_FEATURE_MMAP_COOKIE (series v3, Linux 7.3)
 *   PROBE: 0 if the device takes cookies.
 *   GET:   create a cookie for [region_offset, region_offset + size) of
 *          region_index with attrs, or take one more reference of the
 *          existing cookie of the same region, range and attrs; the kernel
 *          fills in cookie, the offset to pass to mmap(2)/pread(2)/pwrite(2).
 *          With VFIO_MMAP_COOKIE_FLAG_QUERY: describe the live cookie.
 *   SET:   drop a reference of cookie (other fields must be 0).
 */
#define VFIO_DEVICE_FEATURE_MMAP_COOKIE 14

struct vfio_device_feature_mmap_cookie {
	__u32 flags;
#define VFIO_MMAP_COOKIE_FLAG_QUERY (1 << 0)
	__u32 region_index;
	__aligned_u64 attrs;
#define VFIO_MMAP_ATTR_WC (1ULL << 0)
	__aligned_u64 region_offset;
	__aligned_u64 size;
	__aligned_u64 cookie;
};

#define VFIO_MMAP_COOKIE_BASE (1ULL << 48)
#endif

#endif /* LIBVFIOMAP_UAPI_VFIO_MMAP_COOKIE_H */
