/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The old versions of the public functions that have more than one
 * (lib/compat.c), and the old layouts of the structs they take: what a
 * program built against the 0.1 or 0.2 headers passes.  Never in the
 * public headers; the unit tests call these functions by these names.
 * Self-contained (no public header), so that tests/abi can check these
 * layouts against the released headers.
 */
#ifndef LIBVFIOMAP_COMPAT_H
#define LIBVFIOMAP_COMPAT_H

#include <stddef.h>
#include <stdint.h>

struct vfiomap_device;
struct vfiomap_region;
struct vfiomap_cookie;

/* struct vfiomap_device_info of 0.1 and 0.2 */
struct vfiomap_device_info_v01 {
	uint32_t flags;
	uint32_t num_regions;
	uint32_t num_irqs;
};

/* struct vfiomap_pci_ids of 0.2 */
struct vfiomap_pci_ids_v02 {
	uint16_t vendor;
	uint16_t device;
	uint16_t subsystem_vendor;
	uint16_t subsystem_device;
	uint32_t class_code;
	uint8_t revision;
};

/* struct vfiomap_cookie_info of 0.2 */
struct vfiomap_cookie_info_v02 {
	uint32_t region;
	uint32_t attrs;
	uint64_t offset;
	uint64_t size;
};

int vfm__region_get_v01(struct vfiomap_device *dev, uint32_t index,
			const struct vfiomap_region **out);
int vfm__device_adopt_v01(int device_fd, uint32_t flags, struct vfiomap_device **out);
int vfm__device_name_v01(const struct vfiomap_device *dev, char *buf, size_t len);
int vfm__device_get_info_v01(struct vfiomap_device *dev,
			     struct vfiomap_device_info_v01 *info);
int vfm__device_pci_ids_v02(struct vfiomap_device *dev, struct vfiomap_pci_ids_v02 *ids);
int vfm__cookie_info_v02(const struct vfiomap_cookie *c,
			 struct vfiomap_cookie_info_v02 *info);
int vfm__cookie_query_v02(struct vfiomap_device *dev, uint64_t cookie,
			  struct vfiomap_cookie_info_v02 *info);

#endif
