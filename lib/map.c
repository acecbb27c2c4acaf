// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

/*
 * Reserve @span bytes at an @align-aligned address: map span + align of
 * inaccessible memory, then trim the unaligned head and the tail.
 */
static void *reserve_aligned(size_t span, uint64_t align)
{
	size_t len = span + align;
	uint8_t *raw, *base;

	if (len < span)
		return NULL;
	raw = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		   -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	base = (uint8_t *)(((uintptr_t)raw + align - 1) & ~(uintptr_t)(align - 1));
	if (base > raw)
		munmap(raw, base - raw);
	if (raw + len > base + span)
		munmap(base + span, raw + len - (base + span));
	return base;
}

static int map_into(void *at, size_t size, int fd, uint64_t off)
{
	void *p = mmap(at, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
		       (off_t)off);

	return p == MAP_FAILED ? -errno : 0;
}

static struct vfiomap_mapping *mapping_new(struct vfiomap_device *dev)
{
	struct vfiomap_mapping *m = calloc(1, sizeof(*m));

	if (m)
		m->dev = dev;
	return m;
}

static int mapping_link(struct vfiomap_mapping *m)
{
	vfm__dev_lock(m->dev);
	m->prev = NULL;
	m->next = m->dev->mappings;
	if (m->next)
		m->next->prev = m;
	m->dev->mappings = m;
	vfm__dev_unlock(m->dev);
	return 0;
}

VFIOMAP_EXPORT int vfiomap_map_region(struct vfiomap_device *dev, uint32_t index,
				      uint32_t flags, struct vfiomap_mapping **out)
{
	const struct vfiomap_region *r;
	struct vfiomap_mapping *m;
	size_t span;
	uint8_t *base;
	int ret;

	if (!out)
		return vfm__err(-EINVAL, "vfiomap_map_region: out is NULL");
	*out = NULL;
	if (flags)
		return vfm__err(-EINVAL, "vfiomap_map_region: unknown flags 0x%x", flags);
	ret = vfiomap_region_get(dev, index, &r);
	if (ret)
		return ret;
	if (!(r->flags & VFIO_REGION_INFO_FLAG_MMAP) || !r->size)
		return vfm__err(-EINVAL, "region %u cannot be mmapped", index);
	if (r->has_sparse && !r->nr_sparse)
		return vfm__err(-EINVAL,
				"region %u: its sparse-mmap capability lists no areas: nothing is mmappable",
				index);
	span = vfm__page_round_up(r->size);
	m = mapping_new(dev);
	if (!m)
		return vfm__err(-ENOMEM, "out of memory");
	base = reserve_aligned(span, vfiomap_huge_align(span, 0));
	if (!base) {
		free(m);
		return vfm__err(-ENOMEM, "cannot reserve %zu bytes of address space", span);
	}
	if (r->has_sparse) {
		/* Only the listed areas; the rest of the span stays PROT_NONE. */
		for (uint32_t i = 0; i < r->nr_sparse; i++) {
			const struct vfiomap_area *a = &r->sparse[i];

			if (!a->size)
				continue;
			if (vfm__check_range(a->offset, a->size, span) ||
			    !vfm__is_page_aligned(a->offset) ||
			    !vfm__is_page_aligned(a->size)) {
				ret = vfm__err(-EPROTO,
						  "region %u: sparse area %u (0x%llx+0x%llx) is unusable",
						  index, i, (unsigned long long)a->offset,
						  (unsigned long long)a->size);
				goto fail;
			}
			ret = map_into(base + a->offset, a->size, dev->fd,
				       r->offset + a->offset);
			if (ret) {
				ret = vfm__err(ret, "mmap of region %u area %u: %s", index,
						  i, strerror(-ret));
				goto fail;
			}
		}
	} else {
		ret = map_into(base, span, dev->fd, r->offset);
		if (ret) {
			ret = vfm__err(ret, "mmap of region %u: %s", index, strerror(-ret));
			goto fail;
		}
	}
	m->addr = m->span = base;
	m->size = m->span_len = span;
	ret = mapping_link(m);
	if (ret)
		goto fail;
	*out = m;
	return 0;
fail:
	munmap(base, span);
	free(m);
	return ret;
}

static int map_sysfs_wc(struct vfiomap_device *dev, uint32_t index,
			uint64_t offset, uint64_t size, struct vfiomap_mapping *m)
{
	char path[512];
	void *base;
	int fd, ret;

	if (index > VFIO_PCI_BAR5_REGION_INDEX || !dev->bdf[0])
		return vfm__err(-EOPNOTSUPP,
				   "sysfs write-combining fallback needs a PCI BAR of a device opened by address");
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/resource%u_wc",
		 dev->sysfs_root, dev->bdf, index);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return vfm__err(-errno == -ENOENT ? -EOPNOTSUPP : -errno,
				   "sysfs write-combining fallback: cannot open %s: %s",
				   path, strerror(errno));
	base = reserve_aligned(size, vfiomap_huge_align(size, offset));
	if (!base) {
		close(fd);
		return vfm__err(-ENOMEM, "cannot reserve address space");
	}
	ret = map_into(base, size, fd, offset);
	close(fd);
	if (ret) {
		munmap(base, size);
		return vfm__err(ret, "mmap of %s: %s", path, strerror(-ret));
	}
	m->addr = m->span = base;
	m->size = m->span_len = size;
	m->sysfs_wc = true;
	vfm__debug("%s mapped through sysfs %s (no VFIO zap on reset)", dev->bdf, path);
	return 0;
}

VFIOMAP_EXPORT int vfiomap_map_range(struct vfiomap_device *dev, uint32_t index,
				     uint64_t offset, uint64_t size, uint32_t attrs,
				     uint32_t flags, struct vfiomap_mapping **out)
{
	const struct vfiomap_region *r;
	struct vfiomap_mapping *m;
	uint64_t cookie, file_off;
	void *base;
	int ret;

	if (!out)
		return vfm__err(-EINVAL, "vfiomap_map_range: out is NULL");
	*out = NULL;
	if (flags)
		return vfm__err(-EINVAL, "vfiomap_map_range: unknown flags 0x%x", flags);
	if (attrs & ~VFIOMAP_ATTR_ALL)
		return vfm__err(-EINVAL, "unknown attributes 0x%x", attrs);
	if (!vfm__is_page_aligned(offset) || !vfm__is_page_aligned(size) || !size)
		return vfm__err(-EINVAL, "range 0x%llx+0x%llx is empty or not page aligned",
				   (unsigned long long)offset, (unsigned long long)size);
	ret = vfiomap_region_get(dev, index, &r);
	if (ret)
		return ret;
	ret = vfm__check_range(offset, size,
				  vfm__page_round_up(r->size));
	if (ret)
		return vfm__err(ret, "range 0x%llx+0x%llx is outside region %u (0x%llx bytes)",
				   (unsigned long long)offset, (unsigned long long)size,
				   index, (unsigned long long)r->size);
	if (!(r->flags & VFIO_REGION_INFO_FLAG_MMAP))
		return vfm__err(-EINVAL, "region %u cannot be mmapped", index);
	if (r->has_sparse && !r->nr_sparse)
		return vfm__err(-EINVAL,
				"region %u: its sparse-mmap capability lists no areas: nothing is mmappable",
				index);
	if (r->has_sparse && vfm__area_containing(r->sparse, r->nr_sparse, offset, size) < 0)
		return vfm__err(-EINVAL,
				   "range 0x%llx+0x%llx of region %u is not inside one mmappable area",
				   (unsigned long long)offset, (unsigned long long)size, index);
	m = mapping_new(dev);
	if (!m)
		return vfm__err(-ENOMEM, "out of memory");

	if (!attrs) {
		file_off = r->offset + offset;
	} else {
		bool may_fall_back = (attrs & VFIOMAP_ATTR_WC) &&
				     (dev->flags & VFIOMAP_OPEN_WC_SYSFS_FALLBACK);
		bool no_uapi, fallback;

		/* with a fallback, a stock kernel's refusal is not an error */
		if (may_fall_back)
			vfm__attempt_begin();
		ret = vfm__cookie_create(dev, index, offset, size, attrs, &cookie, &no_uapi);
		if (may_fall_back)
			vfm__attempt_end();
		/* only for a kernel without the uAPI: never map WC over a refusal */
		fallback = ret && may_fall_back && no_uapi;
		if (ret && may_fall_back && !fallback)
			vfm__err_report(ret);
		if (ret && fallback) {
			vfm__info("%s: no mmap-cookie uAPI, mapping sysfs resource%u_wc",
				     dev->bdf, index);
			ret = map_sysfs_wc(dev, index, offset, size, m);
			if (!ret) {
				ret = mapping_link(m);
				if (ret)
					munmap(m->span, m->span_len);
			}
			if (ret) {
				free(m);
				return ret;
			}
			*out = m;
			return 0;
		}
		if (ret) {
			free(m);
			return ret;
		}
		m->cookie = cookie;
		m->owns_cookie = true;
		file_off = cookie;
	}
	base = reserve_aligned(size, vfiomap_huge_align(size, offset));
	if (!base) {
		ret = vfm__err(-ENOMEM, "cannot reserve address space");
		goto fail;
	}
	ret = map_into(base, size, dev->fd, file_off);
	if (ret) {
		munmap(base, size);
		ret = vfm__err(ret, "mmap of region %u 0x%llx+0x%llx%s: %s", index,
				  (unsigned long long)offset, (unsigned long long)size,
				  attrs ? " (cookie)" : "", strerror(-ret));
		goto fail;
	}
	m->addr = m->span = base;
	m->size = m->span_len = size;
	ret = mapping_link(m);
	if (ret) {
		munmap(base, size);
		goto fail;
	}
	*out = m;
	return 0;
fail:
	if (m->owns_cookie)
		vfiomap_cookie_destroy(dev, m->cookie);
	free(m);
	return ret;
}

VFIOMAP_EXPORT int vfiomap_unmap(struct vfiomap_mapping *m)
{
	struct vfiomap_device *dev;
	int ret = 0;

	if (!m)
		return 0;
	dev = m->dev;
	vfm__dev_lock(dev);
	if (m->prev)
		m->prev->next = m->next;
	else
		dev->mappings = m->next;
	if (m->next)
		m->next->prev = m->prev;
	vfm__dev_unlock(dev);
	if (munmap(m->span, m->span_len))
		ret = vfm__err(-errno, "munmap: %s", strerror(errno));
	if (m->owns_cookie) {
		int r = vfiomap_cookie_destroy(dev, m->cookie);

		if (r && !ret)
			ret = r;
	}
	free(m);
	return ret;
}

VFIOMAP_EXPORT void *vfiomap_mapping_addr(const struct vfiomap_mapping *m)
{
	return m ? m->addr : NULL;
}

VFIOMAP_EXPORT size_t vfiomap_mapping_size(const struct vfiomap_mapping *m)
{
	return m ? m->size : 0;
}

VFIOMAP_EXPORT uint64_t vfiomap_mapping_cookie(const struct vfiomap_mapping *m)
{
	return m ? m->cookie : 0;
}

VFIOMAP_EXPORT int vfiomap_mapping_is_sysfs_wc(const struct vfiomap_mapping *m)
{
	return m && m->sysfs_wc;
}
