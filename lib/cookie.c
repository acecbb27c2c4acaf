// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct feature_buf {
	struct vfio_device_feature hdr;
	struct vfio_device_feature_mmap_cookie mc;
};

static int feature(struct vfiomap_device *dev, uint32_t flags,
		   struct vfio_device_feature_mmap_cookie *mc)
{
	struct feature_buf f;
	int ret;

	memset(&f, 0, sizeof(f));
	f.hdr.argsz = mc ? sizeof(f) : sizeof(f.hdr);
	f.hdr.flags = flags | VFIO_DEVICE_FEATURE_MMAP_COOKIE;
	if (mc)
		f.mc = *mc;
	ret = vfm__ioctl(dev, dev->fd, VFIO_DEVICE_FEATURE, &f);
	if (!ret && mc)
		*mc = f.mc;
	return ret;
}

VFIOMAP_EXPORT int vfiomap_cookie_supported(struct vfiomap_device *dev)
{
	int ret;

	if (!vfm__device_valid(dev))
		return vfm__err(-EINVAL, "vfiomap_cookie_supported: device is NULL");
	ret = feature(dev, VFIO_DEVICE_FEATURE_PROBE, NULL);
	if (!ret)
		return 1;
	if (ret == -ENOTTY || ret == -EINVAL)
		return 0;
	return vfm__err(ret, "probing mmap cookies: %s", strerror(-ret));
}

static const char *stock_msg =
	"the kernel has no mmap-cookie uAPI (VFIO_DEVICE_FEATURE_MMAP_COOKIE): "
	"a stock kernel; apply libvfiomap's kernel-patches for write-combining";

VFIOMAP_EXPORT int vfiomap_cookie_create(struct vfiomap_device *dev,
					 uint32_t region, uint64_t offset,
					 uint64_t size, uint32_t attrs,
					 uint64_t *cookie)
{
	return vfm__cookie_create(dev, region, offset, size, attrs, cookie, NULL);
}

/*
 * vfiomap_cookie_create(); *@no_uapi (if given) tells whether an
 * -EOPNOTSUPP means "the kernel has no cookie uAPI" rather than "these
 * attributes are refused for this range".
 */
int vfm__cookie_create(struct vfiomap_device *dev, uint32_t region, uint64_t offset,
		       uint64_t size, uint32_t attrs, uint64_t *cookie, bool *no_uapi)
{
	struct vfio_device_feature_mmap_cookie mc = {
		.region_index = region, .attrs = attrs,
		.region_offset = offset, .size = size,
	};
	struct vfm_cookie_node *node;
	int ret;

	if (no_uapi)
		*no_uapi = false;
	if (!vfm__device_valid(dev) || !cookie)
		return vfm__err(-EINVAL, "vfiomap_cookie_create: NULL argument");
	if (attrs & ~VFIOMAP_ATTR_ALL)
		return vfm__err(-EINVAL, "unknown cookie attributes 0x%x", attrs);
	if (!size)
		return vfm__err(-EINVAL, "cookie size is zero");
	if (!vfm__is_page_aligned(offset) || !vfm__is_page_aligned(size))
		return vfm__err(-EINVAL,
				   "cookie range 0x%llx+0x%llx is not page aligned",
				   (unsigned long long)offset, (unsigned long long)size);
	if (offset + size < offset)
		return vfm__err(-EOVERFLOW, "cookie range 0x%llx+0x%llx wraps",
				   (unsigned long long)offset, (unsigned long long)size);
	if (attrs & VFIOMAP_ATTR_WC) {
		/* what the cached info already says, without asking the kernel */
		const struct vfiomap_region *r = vfm__region_cached(dev, region);

		if (r && r->kind == VFIOMAP_REGION_KIND_MEMORY && !r->prefetchable)
			return vfm__err(-EOPNOTSUPP,
					"BAR %u does not accept write-combining (not prefetchable)",
					region);
		if (r && r->has_mmap_attrs && !(r->mmap_attrs & VFIOMAP_ATTR_WC))
			return vfm__err(-EOPNOTSUPP,
					"region %u does not accept write-combining (the kernel offers attrs 0x%x)",
					region, r->mmap_attrs);
	}
	node = calloc(1, sizeof(*node));
	if (!node)
		return vfm__err(-ENOMEM, "out of memory");

	ret = feature(dev, VFIO_DEVICE_FEATURE_GET, &mc);
	if (ret) {
		free(node);
		if (ret == -ENOTTY) {
			if (no_uapi)
				*no_uapi = true;
			return vfm__err(-EOPNOTSUPP, "%s", stock_msg);
		}
		return vfm__err(ret, "creating a cookie for region %u 0x%llx+0x%llx attrs 0x%x: %s",
				   region, (unsigned long long)offset,
				   (unsigned long long)size, attrs, strerror(-ret));
	}
	node->cookie = mc.cookie;
	node->region = region;
	node->attrs = attrs;
	node->offset = offset;
	node->size = size;
	vfm__dev_lock(dev);
	node->next = dev->cookies;
	dev->cookies = node;
	vfm__dev_unlock(dev);
	*cookie = mc.cookie;
	vfm__debug("cookie 0x%llx for region %u 0x%llx+0x%llx attrs 0x%x",
		      (unsigned long long)mc.cookie, region,
		      (unsigned long long)offset, (unsigned long long)size, attrs);
	return 0;
}

int vfm__cookie_find(struct vfiomap_device *dev, uint64_t cookie,
		     struct vfm_cookie_node *out)
{
	int ret = -ENOENT;

	vfm__dev_lock(dev);
	for (struct vfm_cookie_node *n = dev->cookies; n; n = n->next) {
		if (n->cookie == cookie) {
			*out = *n;
			out->next = NULL;
			ret = 0;
			break;
		}
	}
	vfm__dev_unlock(dev);
	return ret;
}

VFIOMAP_EXPORT int vfiomap_cookie_destroy(struct vfiomap_device *dev, uint64_t cookie)
{
	struct vfio_device_feature_mmap_cookie mc = { .cookie = cookie };
	struct vfm_cookie_node **pp, *n = NULL;
	int ret;

	if (!vfm__device_valid(dev))
		return vfm__err(-EINVAL, "vfiomap_cookie_destroy: device is NULL");
	ret = feature(dev, VFIO_DEVICE_FEATURE_SET, &mc);
	vfm__dev_lock(dev);
	for (pp = &dev->cookies; *pp; pp = &(*pp)->next) {
		if ((*pp)->cookie == cookie) {
			n = *pp;
			*pp = n->next;
			break;
		}
	}
	vfm__dev_unlock(dev);
	free(n);
	if (ret == -ENOTTY)
		return vfm__err(-EOPNOTSUPP, "%s", stock_msg);
	if (ret)
		return vfm__err(ret, "destroying cookie 0x%llx: %s",
				   (unsigned long long)cookie, strerror(-ret));
	return 0;
}
