/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Private copy of the iommufd cdev uAPI (Linux 6.6+) used to open a VFIO
 * device cdev: Debian 12's 6.1 headers predate it.  Guarded so that system
 * headers win when they have it.
 */
#ifndef LIBVFIOMAP_UAPI_VFIO_IOMMUFD_CDEV_H
#define LIBVFIOMAP_UAPI_VFIO_IOMMUFD_CDEV_H

#include <linux/types.h>
#include <linux/vfio.h>

#ifndef VFIO_DEVICE_BIND_IOMMUFD
struct vfio_device_bind_iommufd {
	__u32 argsz;
	__u32 flags;
	__s32 iommufd;
	__u32 out_devid;
};
#define VFIO_DEVICE_BIND_IOMMUFD _IO(VFIO_TYPE, VFIO_BASE + 18)

struct vfio_device_attach_iommufd_pt {
	__u32 argsz;
	__u32 flags;
	__u32 pt_id;
};
#define VFIO_DEVICE_ATTACH_IOMMUFD_PT _IO(VFIO_TYPE, VFIO_BASE + 19)
#endif

#ifndef IOMMU_IOAS_ALLOC
struct iommu_ioas_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_ioas_id;
};
#define IOMMU_IOAS_ALLOC _IO(';', 0x81)
#endif

#ifndef IOMMU_DESTROY
struct iommu_destroy {
	__u32 size;
	__u32 id;
};
#define IOMMU_DESTROY _IO(';', 0x80)
#endif

#ifndef IOMMU_IOAS_MAP
/* DMA mapping in an IOAS (vfiomap_ctx_map_dma()) */
#define IOMMU_IOAS_MAP_FIXED_IOVA	(1 << 0)
#define IOMMU_IOAS_MAP_WRITEABLE	(1 << 1)
#define IOMMU_IOAS_MAP_READABLE		(1 << 2)
struct iommu_ioas_map {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 __reserved;
	__aligned_u64 user_va;
	__aligned_u64 length;
	__aligned_u64 iova;
};
#define IOMMU_IOAS_MAP _IO(';', 0x85)

struct iommu_ioas_unmap {
	__u32 size;
	__u32 ioas_id;
	__aligned_u64 iova;
	__aligned_u64 length;
};
#define IOMMU_IOAS_UNMAP _IO(';', 0x86)
#endif

#ifndef IOMMU_IOAS_IOVA_RANGES
struct iommu_iova_range {
	__aligned_u64 start;
	__aligned_u64 last;
};
struct iommu_ioas_iova_ranges {
	__u32 size;
	__u32 ioas_id;
	__u32 num_iovas;
	__u32 __reserved;
	__aligned_u64 allowed_iovas;
	__aligned_u64 out_iova_alignment;
};
#define IOMMU_IOAS_IOVA_RANGES _IO(';', 0x84)
#endif

#endif
