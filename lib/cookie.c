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
	VFM_LOG_SCOPE(dev);
	int ret;

	if (!vfm__device_valid(dev))
		return vfm__err(-EINVAL, "vfiomap_cookie_supported: device is NULL");
	ret = feature(dev, VFIO_DEVICE_FEATURE_PROBE, NULL);
	if (ret == -ENOTTY || ret == -EINVAL)
		return 0;
	if (ret)
		return vfm__err(ret, "probing mmap cookies: %s", strerror(-ret));
	/*
	 * Feature 14 is ours until upstream assigns a number: another feature
	 * with that number would say yes to PROBE too.  Ours answers a QUERY
	 * of cookie 0 (never a cookie) with ENOENT, and nothing else does.
	 */
	{
		struct vfio_device_feature_mmap_cookie mc = {
			.flags = VFIO_MMAP_COOKIE_FLAG_QUERY,
		};

		ret = feature(dev, VFIO_DEVICE_FEATURE_GET, &mc);
	}
	if (ret == -ENOENT)
		return 1;
	vfm__debug("feature %u answers PROBE but a QUERY of cookie 0 with %d: not mmap cookies",
		   VFIO_DEVICE_FEATURE_MMAP_COOKIE, ret);
	return 0;
}

/* the calling thread's last cookie request: why its attributes were refused */
static _Thread_local enum vfiomap_refusal last_refusal;

/*
 * What the kernel's errno says about a refused cookie request with
 * attributes (series v3: one errno per reason; docs/uapi.md).  Only the
 * errnos that name a reason there; anything else (ENOSPC, ERANGE, ...) is
 * no refusal of the attributes.
 */
static enum vfiomap_refusal refusal_of(int err, uint32_t attrs)
{
	if (!attrs)
		return VFIOMAP_REFUSAL_NONE;
	switch (err) {
	case -EOPNOTSUPP: return VFIOMAP_REFUSAL_UNKNOWN_ATTR;
	case -ENODEV: return VFIOMAP_REFUSAL_NO_HOST_WC;
	case -EPERM: return VFIOMAP_REFUSAL_NOT_PREFETCHABLE;
	case -EACCES: return VFIOMAP_REFUSAL_MSIX;
	case -EEXIST: return VFIOMAP_REFUSAL_IOEVENTFD;
	case -EBUSY: return VFIOMAP_REFUSAL_CONFLICT;
	default: return VFIOMAP_REFUSAL_NONE;
	}
}

void vfm__set_refusal(enum vfiomap_refusal r)
{
	last_refusal = r;
}

VFIOMAP_EXPORT enum vfiomap_refusal vfiomap_last_refusal(void)
{
	return last_refusal;
}

VFIOMAP_EXPORT const char *vfiomap_refusal_name(enum vfiomap_refusal r)
{
	switch (r) {
	case VFIOMAP_REFUSAL_NONE: return "none";
	case VFIOMAP_REFUSAL_NO_UAPI: return "no mmap-cookie uAPI in this kernel";
	case VFIOMAP_REFUSAL_UNKNOWN_ATTR: return "attribute unknown to the kernel";
	case VFIOMAP_REFUSAL_NO_HOST_WC: return "no write-combining on this host";
	case VFIOMAP_REFUSAL_NOT_PREFETCHABLE: return "BAR not prefetchable";
	case VFIOMAP_REFUSAL_MSIX: return "MSI-X table or PBA pages";
	case VFIOMAP_REFUSAL_IOEVENTFD: return "ioeventfds on the BAR";
	case VFIOMAP_REFUSAL_CONFLICT: return "another memory type reserved for these pages";
	}
	return "unknown";
}

static const char *stock_msg =
	"the kernel has no mmap-cookie uAPI (VFIO_DEVICE_FEATURE_MMAP_COOKIE): "
	"a stock kernel; for write-combining, install the vfiomap-dkms package "
	"(Debian's 6.12 kernel) or apply libvfiomap's kernel-patches";

/*
 * A reference of the cookie for [offset, offset + size) of @region with
 * @attrs: the kernel (series v2) returns the live cookie of an identical
 * request with one more reference, or a new one.
 */
int vfm__cookie_new(struct vfiomap_device *dev, uint32_t region, uint64_t offset,
		    uint64_t size, uint32_t attrs, enum vfm_cookie_kind kind,
		    struct vfiomap_cookie **out, bool *no_uapi)
{
	struct vfio_device_feature_mmap_cookie mc = {
		.region_index = region, .attrs = attrs,
		.region_offset = offset, .size = size,
	};
	struct vfiomap_cookie *node;
	int ret;

	if (no_uapi)
		*no_uapi = false;
	last_refusal = VFIOMAP_REFUSAL_NONE;
	if (!vfm__device_valid(dev) || !out)
		return vfm__err(-EINVAL, "creating a cookie: NULL argument");
	if (attrs & ~VFM_ATTRS_KNOWN)
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
		/*
		 * What the region info says (fetched once, then cached), so
		 * that a BAR that is not prefetchable is refused for that
		 * reason whatever the kernel's errno for it (a v2 kernel
		 * says EOPNOTSUPP for several reasons)
		 */
		const struct vfiomap_region *r = vfm__region_cached(dev, region);

		if (!r) {
			vfm__attempt_begin();	/* the kernel answers below */
			if (vfm__region_get(dev, region, &r))
				r = NULL;
			vfm__attempt_end();
		}

		if (r && r->kind == VFIOMAP_REGION_KIND_MEMORY && !r->prefetchable) {
			last_refusal = VFIOMAP_REFUSAL_NOT_PREFETCHABLE;
			return vfm__err(-EOPNOTSUPP,
					"BAR %u does not accept write-combining (not prefetchable)",
					region);
		}
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
			last_refusal = attrs ? VFIOMAP_REFUSAL_NO_UAPI : VFIOMAP_REFUSAL_NONE;
			return vfm__err(-EOPNOTSUPP, "%s", stock_msg);
		}
		last_refusal = refusal_of(ret, attrs);
		return vfm__err(ret, "creating a cookie for region %u 0x%llx+0x%llx attrs 0x%x: %s",
				   region, (unsigned long long)offset,
				   (unsigned long long)size, attrs, strerror(-ret));
	}
	node->dev = dev;
	node->cookie = mc.cookie;
	node->region = region;
	node->attrs = attrs;
	node->offset = offset;
	node->size = size;
	node->kind = kind;
	vfm__dev_lock(dev);
	node->next = dev->cookies;
	dev->cookies = node;
	vfm__dev_unlock(dev);
	*out = node;
	vfm__debug("cookie 0x%llx for region %u 0x%llx+0x%llx attrs 0x%x",
		      (unsigned long long)mc.cookie, region,
		      (unsigned long long)offset, (unsigned long long)size, attrs);
	return 0;
}

VFIOMAP_EXPORT int vfiomap_cookie_create(struct vfiomap_device *dev,
					 uint32_t region, uint64_t offset,
					 uint64_t size, uint32_t attrs,
					 uint64_t *cookie)
{
	VFM_LOG_SCOPE(dev);
	struct vfiomap_cookie *c;
	int ret;

	if (!cookie)
		return vfm__err(-EINVAL, "vfiomap_cookie_create: NULL argument");
	ret = vfm__cookie_new(dev, region, offset, size, attrs, VFM_COOKIE_RAW, &c, NULL);
	if (!ret)
		*cookie = c->cookie;
	return ret;
}

VFIOMAP_EXPORT int vfiomap_cookie_get(struct vfiomap_device *dev, uint32_t region,
				      uint64_t offset, uint64_t size, uint32_t attrs,
				      struct vfiomap_cookie **out)
{
	VFM_LOG_SCOPE(dev);
	if (out)
		*out = NULL;
	return vfm__cookie_new(dev, region, offset, size, attrs, VFM_COOKIE_HANDLE, out, NULL);
}

int vfm__cookie_find(struct vfiomap_device *dev, uint64_t cookie,
		     struct vfiomap_cookie *out)
{
	int ret = -ENOENT;

	vfm__dev_lock(dev);
	for (struct vfiomap_cookie *n = dev->cookies; n; n = n->next) {
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

/* SET: the kernel drops one reference of @cookie. */
static int drop_ref(struct vfiomap_device *dev, uint64_t cookie)
{
	struct vfio_device_feature_mmap_cookie mc = { .cookie = cookie };
	int ret = feature(dev, VFIO_DEVICE_FEATURE_SET, &mc);

	if (ret == -ENOTTY)
		return vfm__err(-EOPNOTSUPP, "%s", stock_msg);
	if (ret)
		return vfm__err(ret, "destroying cookie 0x%llx: %s",
				   (unsigned long long)cookie, strerror(-ret));
	return 0;
}

int vfm__cookie_drop(struct vfiomap_cookie *c)
{
	struct vfiomap_device *dev = c->dev;
	int ret;

	vfm__dev_lock(dev);
	for (struct vfiomap_cookie **pp = &dev->cookies; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	vfm__dev_unlock(dev);
	ret = drop_ref(dev, c->cookie);
	free(c);
	return ret;
}

VFIOMAP_EXPORT int vfiomap_cookie_destroy(struct vfiomap_device *dev, uint64_t cookie)
{
	VFM_LOG_SCOPE(dev);
	struct vfiomap_cookie **pp, *n = NULL;
	int ret;

	if (!vfm__device_valid(dev))
		return vfm__err(-EINVAL, "vfiomap_cookie_destroy: device is NULL");
	/* one reference this device took by value: never another device's */
	vfm__dev_lock(dev);
	for (pp = &dev->cookies; *pp; pp = &(*pp)->next) {
		if ((*pp)->cookie == cookie && (*pp)->kind == VFM_COOKIE_RAW) {
			n = *pp;
			*pp = n->next;
			break;
		}
	}
	vfm__dev_unlock(dev);
	if (!n)
		return vfm__err(-ENOENT,
				"cookie 0x%llx was not created by vfiomap_cookie_create() on this device (a cookie value means something only with its device: another device's cookie may have the same value)",
				(unsigned long long)cookie);
	ret = drop_ref(dev, cookie);
	free(n);
	return ret;
}

VFIOMAP_EXPORT int vfiomap_cookie_put(struct vfiomap_cookie *c)
{
	VFM_LOG_SCOPE(c ? c->dev : NULL);
	if (!c)
		return 0;
	if (c->kind != VFM_COOKIE_HANDLE)
		return vfm__err(-EINVAL, "vfiomap_cookie_put: not a handle from vfiomap_cookie_get()");
	return vfm__cookie_drop(c);
}

VFIOMAP_EXPORT uint64_t vfiomap_cookie_offset(const struct vfiomap_cookie *c)
{
	return c ? c->cookie : 0;
}

VFIOMAP_EXPORT struct vfiomap_device *vfiomap_cookie_device(const struct vfiomap_cookie *c)
{
	return c ? c->dev : NULL;
}

/* The caller's struct_size: the least that reaches past @region. */
static int info_size(const struct vfiomap_cookie_info *info, const char *fn)
{
	return vfm__out_size(info->struct_size,
			     VFM_OUT_MIN(struct vfiomap_cookie_info, region), fn,
			     "info->struct_size", "struct vfiomap_cookie_info");
}

/* What fits of @o into the caller's @info (its struct_size). */
static void info_out(struct vfiomap_cookie_info *info, const struct vfiomap_cookie_info *o)
{
	VFM_OUT(info, info->struct_size, o, region);
	VFM_OUT(info, info->struct_size, o, attrs);
	VFM_OUT(info, info->struct_size, o, offset);
	VFM_OUT(info, info->struct_size, o, size);
}

/* 0.3: the struct starts with its size (the 0.2 layout: lib/compat.c) */
VFM_SYMVER(vfm__cookie_info, "vfiomap_cookie_info@@LIBVFIOMAP_0.3");
VFIOMAP_EXPORT int vfm__cookie_info(const struct vfiomap_cookie *c,
				    struct vfiomap_cookie_info *info)
{
	VFM_LOG_SCOPE(c ? c->dev : NULL);
	struct vfiomap_cookie_info o = { .struct_size = sizeof(o) };
	int ret;

	if (!c || !info)
		return vfm__err(-EINVAL, "vfiomap_cookie_info: NULL argument");
	ret = info_size(info, "vfiomap_cookie_info");
	if (ret)
		return ret;
	o.region = c->region;
	o.attrs = c->attrs;
	o.offset = c->offset;
	o.size = c->size;
	info_out(info, &o);
	return 0;
}

/* 0.3: the struct starts with its size (the 0.2 layout: lib/compat.c) */
VFM_SYMVER(vfm__cookie_query, "vfiomap_cookie_query@@LIBVFIOMAP_0.3");
VFIOMAP_EXPORT int vfm__cookie_query(struct vfiomap_device *dev, uint64_t cookie,
				     struct vfiomap_cookie_info *info)
{
	VFM_LOG_SCOPE(dev);
	struct vfio_device_feature_mmap_cookie mc = {
		.flags = VFIO_MMAP_COOKIE_FLAG_QUERY, .cookie = cookie,
	};
	struct vfiomap_cookie_info o = { .struct_size = sizeof(o) };
	int ret;

	if (!vfm__device_valid(dev) || !info)
		return vfm__err(-EINVAL, "vfiomap_cookie_query: NULL argument");
	ret = info_size(info, "vfiomap_cookie_query");
	if (ret)
		return ret;
	ret = feature(dev, VFIO_DEVICE_FEATURE_GET, &mc);
	if (ret == -ENOTTY)
		return vfm__err(-EOPNOTSUPP, "%s", stock_msg);
	if (ret == -ENOENT)
		return vfm__err(-ENOENT, "no live cookie 0x%llx on this device",
				(unsigned long long)cookie);
	if (ret)
		return vfm__err(ret, "querying cookie 0x%llx: %s%s", (unsigned long long)cookie,
				strerror(-ret),
				ret == -EINVAL ? " (a kernel of series v1 has no QUERY)" : "");
	o.region = mc.region_index;
	o.attrs = (uint32_t)mc.attrs;
	o.offset = mc.region_offset;
	o.size = mc.size;
	info_out(info, &o);
	return 0;
}
