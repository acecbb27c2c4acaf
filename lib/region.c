// SPDX-License-Identifier: LGPL-2.1-or-later
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

_Static_assert(VFIOMAP_REGION_CONFIG == VFIO_PCI_CONFIG_REGION_INDEX &&
	       VFIOMAP_REGION_ROM == VFIO_PCI_ROM_REGION_INDEX &&
	       VFIOMAP_REGION_VGA == VFIO_PCI_VGA_REGION_INDEX &&
	       VFIOMAP_REGION_BAR5 == VFIO_PCI_BAR5_REGION_INDEX, "region indexes");
_Static_assert(VFIOMAP_REGION_FLAG_READ == VFIO_REGION_INFO_FLAG_READ &&
	       VFIOMAP_REGION_FLAG_WRITE == VFIO_REGION_INFO_FLAG_WRITE &&
	       VFIOMAP_REGION_FLAG_MMAP == VFIO_REGION_INFO_FLAG_MMAP &&
	       VFIOMAP_REGION_FLAG_CAPS == VFIO_REGION_INFO_FLAG_CAPS, "region flags");

#define PCI_BAR_IO		0x1u
#define PCI_BAR_MEM_TYPE_64	0x4u
#define PCI_BAR_PREFETCH	0x8u

/*
 * Kind of region @index from its place and, for a BAR, from the BAR's
 * config register (I/O bit, 64-bit type, prefetchable bit).  Called under
 * dev->lock.  An unreadable BAR leaves the kind UNKNOWN: the region info
 * itself is still good.
 */
static void classify(struct vfiomap_device *dev, uint32_t index, struct vfiomap_region *r)
{
	uint32_t bar;

	r->kind = VFIOMAP_REGION_KIND_UNKNOWN;
	if (!(dev->info.flags & VFIO_DEVICE_FLAGS_PCI))
		return;
	if (index > VFIOMAP_REGION_VGA) {
		r->kind = VFIOMAP_REGION_KIND_DEVICE_SPECIFIC;
		return;
	}
	if (!r->size) {
		r->kind = VFIOMAP_REGION_KIND_NONE;
		return;
	}
	switch (index) {
	case VFIOMAP_REGION_ROM: r->kind = VFIOMAP_REGION_KIND_ROM; return;
	case VFIOMAP_REGION_CONFIG: r->kind = VFIOMAP_REGION_KIND_CONFIG; return;
	case VFIOMAP_REGION_VGA: r->kind = VFIOMAP_REGION_KIND_VGA; return;
	}
	if (!dev->config_offset_valid) {
		struct vfio_region_info *ci;

		vfm__attempt_begin();	/* not this call's failure */
		if (!fetch(dev, VFIOMAP_REGION_CONFIG, &ci)) {
			dev->config_offset = ci->offset;
			dev->config_offset_valid = true;
			free(ci);
		}
		vfm__attempt_end();
		if (!dev->config_offset_valid)
			return;
	}
	if (pread(dev->fd, &bar, 4, (off_t)(dev->config_offset + 0x10 + 4 * index)) != 4)
		return;
	bar = le32toh(bar);
	if (bar & PCI_BAR_IO) {
		r->kind = VFIOMAP_REGION_KIND_IO;
		return;
	}
	r->kind = VFIOMAP_REGION_KIND_MEMORY;
	r->prefetchable = bar & PCI_BAR_PREFETCH;
	r->mem64 = bar & PCI_BAR_MEM_TYPE_64;
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
	if (caps.has_mmap_attrs && caps.mmap_attrs_version < 2) {
		/* version 1: the attributes hold for the whole region */
		caps.attr_areas = calloc(1, sizeof(*caps.attr_areas));
		if (!caps.attr_areas) {
			free(ri);
			vfm__caps_free(&caps);
			return vfm__err(-ENOMEM, "out of memory");
		}
		caps.attr_areas[0].size = vfm__page_round_up(ri->size);
		caps.attr_areas[0].attrs = caps.mmap_attrs;
		caps.nr_attr_areas = 1;
	}
	slot->region.index = index;
	slot->region.flags = ri->flags;
	slot->region.size = ri->size;
	slot->region.offset = ri->offset;
	slot->sparse = caps.sparse;
	slot->region.nr_sparse = caps.nr_sparse;
	slot->region.sparse = caps.sparse;
	slot->region.has_sparse = caps.has_sparse;
	slot->region.has_type = caps.has_type;
	slot->region.type = caps.type;
	slot->region.subtype = caps.subtype;
	slot->region.msix_mappable = caps.msix_mappable;
	slot->region.has_mmap_attrs = caps.has_mmap_attrs;
	slot->region.mmap_attrs = caps.mmap_attrs;
	slot->attr_areas = caps.attr_areas;
	slot->nr_attr_areas = caps.nr_attr_areas;
	free(ri);
	classify(dev, index, &slot->region);
	return 0;
}

const struct vfiomap_region *vfm__region_cached(struct vfiomap_device *dev,
						 uint32_t index)
{
	struct vfm_region_slot *slots = atomic_load_explicit(&dev->slots, memory_order_acquire);

	if (slots && index < dev->nr_slots &&
	    atomic_load_explicit(&slots[index].valid, memory_order_acquire))
		return &slots[index].region;
	return NULL;
}

static int region_get_slow(struct vfiomap_device *dev, uint32_t index,
			   const struct vfiomap_region **out);

/* 0.3: the struct that 0.2 grew (a 0.1 program gets lib/compat.c's) */
VFM_SYMVER(vfm__region_get, "vfiomap_region_get@@LIBVFIOMAP_0.3");
VFIOMAP_EXPORT int vfm__region_get(struct vfiomap_device *dev, uint32_t index,
				   const struct vfiomap_region **out)
{
	struct vfm_region_slot *slots;

	/*
	 * Fast path, no lock: a slot is never modified after it is published
	 * (valid stored with release, loaded with acquire).  Everything else,
	 * argument errors included, is the out-of-line slow path, so that a
	 * cached lookup costs a handful of instructions.
	 */
	if (__builtin_expect(dev && out, 1)) {
		slots = atomic_load_explicit(&dev->slots, memory_order_acquire);
		if (slots && index < dev->nr_slots &&
		    atomic_load_explicit(&slots[index].valid, memory_order_acquire)) {
			*out = &slots[index].region;
			return 0;
		}
	}
	return region_get_slow(dev, index, out);
}

/* The first lookup of a region (or a bad argument): under the device lock */
static __attribute__((noinline)) int region_get_slow(struct vfiomap_device *dev,
						     uint32_t index,
						     const struct vfiomap_region **out)
{
	VFM_LOG_SCOPE(dev);
	struct vfm_region_slot *slots;
	int ret;

	if (!vfm__device_valid(dev) || !out)
		return vfm__err(-EINVAL, "vfiomap_region_get: NULL argument");

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

static ssize_t region_io(struct vfiomap_device *dev, uint32_t index,
			 uint64_t offset, void *buf, size_t len, bool write)
{
	const struct vfiomap_region *r;
	size_t done = 0;
	int ret;

	if (!buf && len)
		return vfm__err(-EINVAL, "region I/O: buffer is NULL");
	ret = vfm__region_get(dev, index, &r);
	if (ret)
		return ret;
	if (!(r->flags & (write ? VFIO_REGION_INFO_FLAG_WRITE : VFIO_REGION_INFO_FLAG_READ)))
		return vfm__err(-EINVAL, "region %u is not %s", index,
				   write ? "writable" : "readable");
	if (offset > r->size)
		return vfm__err(-ERANGE, "offset 0x%llx past the end of region %u",
				   (unsigned long long)offset, index);
	if (len > r->size - offset)
		len = r->size - offset;
	while (done < len) {
		ssize_t n = write ?
			pwrite(dev->fd, (const uint8_t *)buf + done, len - done,
			       (off_t)(r->offset + offset + done)) :
			pread(dev->fd, (uint8_t *)buf + done, len - done,
			      (off_t)(r->offset + offset + done));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (done)
				break;
			return vfm__err(-errno, "%s of region %u at 0x%llx: %s",
					   write ? "pwrite" : "pread", index,
					   (unsigned long long)offset, strerror(errno));
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

VFIOMAP_EXPORT ssize_t vfiomap_region_read(struct vfiomap_device *dev, uint32_t index,
					   uint64_t offset, void *buf, size_t len)
{
	VFM_LOG_SCOPE(dev);
	return region_io(dev, index, offset, buf, len, false);
}

VFIOMAP_EXPORT ssize_t vfiomap_region_write(struct vfiomap_device *dev, uint32_t index,
					    uint64_t offset, const void *buf, size_t len)
{
	VFM_LOG_SCOPE(dev);
	return region_io(dev, index, offset, (void *)buf, len, true);
}

VFIOMAP_EXPORT int vfiomap_region_attr_areas(struct vfiomap_device *dev, uint32_t index,
					     struct vfiomap_attr_area *areas, uint32_t max)
{
	VFM_LOG_SCOPE(dev);
	const struct vfiomap_region *r;
	const struct vfm_region_slot *slot;
	int ret;

	if (!areas && max)
		return vfm__err(-EINVAL, "vfiomap_region_attr_areas: NULL areas");
	ret = vfm__region_get(dev, index, &r);
	if (ret)
		return ret;
	if (!r->has_mmap_attrs)
		return vfm__err(-ENODATA,
				"region %u has no mmap-attrs capability: no cookies there (a kernel without the cookie uAPI, or a region that takes none)",
				index);
	/* the region is the first member of its slot */
	slot = (const struct vfm_region_slot *)(const void *)r;
	if (slot->nr_attr_areas > INT32_MAX)
		return vfm__err(-EOVERFLOW, "region %u: %u areas", index, slot->nr_attr_areas);
	for (uint32_t i = 0; i < slot->nr_attr_areas && i < max; i++)
		areas[i] = slot->attr_areas[i];
	return (int)slot->nr_attr_areas;
}
