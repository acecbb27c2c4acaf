// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Fetch region info with its full capability chain (malloc'd). */
static int fetch(struct vfiomap_device *dev, uint32_t index,
		 struct vfio_region_info **out)
{
	uint32_t argsz = sizeof(struct vfio_region_info);
	struct vfio_region_info *ri = NULL;
	int ret;

	for (int tries = 0; tries < 4; tries++) {
		struct vfio_region_info *n = realloc(ri, argsz);

		if (!n) {
			free(ri);
			return vfm__err(-ENOMEM, "out of memory");
		}
		ri = n;
		memset(ri, 0, argsz);
		ri->argsz = argsz;
		ri->index = index;
		ret = vfm__ioctl(dev, dev->fd, VFIO_DEVICE_GET_REGION_INFO, ri);
		if (ret) {
			free(ri);
			return vfm__err(ret, "VFIO_DEVICE_GET_REGION_INFO(%u): %s",
					   index, strerror(-ret));
		}
		if (ri->argsz <= argsz) {
			*out = ri;
			return 0;
		}
		if (ri->argsz > (1u << 20)) {
			uint32_t want = ri->argsz;

			free(ri);
			return vfm__err(-EPROTO, "region %u: absurd argsz %u", index,
					   want);
		}
		argsz = ri->argsz;
	}
	free(ri);
	return vfm__err(-EPROTO, "region %u: argsz keeps growing", index);
}

static int load(struct vfiomap_device *dev, uint32_t index,
		struct vfm_region_slot *slot)
{
	struct vfio_region_info *ri = NULL;
	struct vfm_caps caps = { 0 };
	int ret;

	ret = fetch(dev, index, &ri);
	if (ret)
		return ret;
	if (ri->flags & VFIO_REGION_INFO_FLAG_CAPS) {
		ret = vfm__parse_caps(ri, ri->argsz, sizeof(*ri), ri->cap_offset,
					 &caps);
		if (ret) {
			free(ri);
			return vfm__err_prefix(ret, "region %u: ", index);
		}
	}
	slot->region.index = index;
	slot->region.flags = ri->flags;
	slot->region.size = ri->size;
	slot->region.offset = ri->offset;
	slot->sparse = caps.sparse;
	slot->region.nr_sparse = caps.nr_sparse;
	slot->region.sparse = caps.sparse;
	slot->region.has_type = caps.has_type;
	slot->region.type = caps.type;
	slot->region.subtype = caps.subtype;
	slot->region.msix_mappable = caps.msix_mappable;
	slot->region.has_mmap_attrs = caps.has_mmap_attrs;
	slot->region.mmap_attrs = caps.mmap_attrs;
	free(ri);
	return 0;
}

VFIOMAP_EXPORT int vfiomap_region_get(struct vfiomap_device *dev, uint32_t index,
				      const struct vfiomap_region **out)
{
	struct vfm_region_slot *slots;
	int ret;

	if (!vfm__device_valid(dev) || !out)
		return vfm__err(-EINVAL, "vfiomap_region_get: NULL argument");

	/*
	 * Fast path, no lock: a slot is never modified after it is published
	 * (valid stored with release, loaded with acquire).
	 */
	slots = atomic_load_explicit(&dev->slots, memory_order_acquire);
	if (slots && index < dev->nr_slots &&
	    atomic_load_explicit(&slots[index].valid, memory_order_acquire)) {
		*out = &slots[index].region;
		return 0;
	}

	*out = NULL;
	vfm__dev_lock(dev);
	ret = vfm__device_info_locked(dev);
	if (ret)
		goto out;
	if (index >= dev->info.num_regions) {
		ret = vfm__err(-EINVAL, "region index %u out of range (the device has %u)",
				  index, dev->info.num_regions);
		goto out;
	}
	slots = atomic_load_explicit(&dev->slots, memory_order_relaxed);
	if (!slots) {
		slots = calloc(dev->info.num_regions, sizeof(*slots));
		if (!slots) {
			ret = vfm__err(-ENOMEM, "out of memory");
			goto out;
		}
		dev->nr_slots = dev->info.num_regions;
		atomic_store_explicit(&dev->slots, slots, memory_order_release);
	}
	if (!atomic_load_explicit(&slots[index].valid, memory_order_relaxed)) {
		ret = load(dev, index, &slots[index]);
		if (!ret)
			atomic_store_explicit(&slots[index].valid, true, memory_order_release);
	}
	if (!ret)
		*out = &slots[index].region;
out:
	vfm__dev_unlock(dev);
	return ret;
}
