// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Compatibility entries: the versions of LIBVFIOMAP_0.1 and LIBVFIOMAP_0.2
 * of the functions whose behaviour or output struct changed since they
 * were released.  A program linked against an older libvfiomap.so.0 keeps
 * calling these (the dynamic linker binds it to the version it was linked
 * against); a program built now links against the LIBVFIOMAP_0.3 default
 * and refuses to start with an older library instead of misbehaving.
 * See docs/api.md, "ABI and versioning".
 */
#include <errno.h>

#include "internal.h"
#include "compat.h"

/**
 * vfm__region_get_v01() - vfiomap_region_get@LIBVFIOMAP_0.1
 * @dev: the device
 * @index: region index
 * @out: the region
 *
 * struct vfiomap_region grew in 0.2 (members appended, the 0.1 layout
 * unchanged before them): the 0.1 struct is a prefix of the current one,
 * so the same pointer serves a 0.1 program, which reads only the prefix.
 *
 * Return: what vfiomap_region_get() returns.
 */
VFM_SYMVER(vfm__region_get_v01, "vfiomap_region_get@LIBVFIOMAP_0.1");
VFIOMAP_EXPORT int vfm__region_get_v01(struct vfiomap_device *dev, uint32_t index,
				       const struct vfiomap_region **out)
{
	return vfm__region_get(dev, index, out);
}

/**
 * vfm__device_adopt_v01() - vfiomap_device_adopt@LIBVFIOMAP_0.1
 * @device_fd: an open VFIO device fd
 * @flags: 0 or VFIOMAP_ADOPT_OWN_FD
 * @out: the device on success
 *
 * 0.1 borrowed @device_fd without VFIOMAP_ADOPT_OWN_FD (the library used
 * the caller's number and never closed it); 0.2 works on a duplicate
 * under the same version, and so does this entry, which serves both: the
 * duplicate is the same open file (the same device session, the same
 * cookies), so every call a 0.1 program makes on the device behaves as
 * before, and the library still never closes the caller's fd.  What a 0.1
 * program can tell apart: vfiomap_device_fd() returns the duplicate's
 * number (the same device), one more fd is open until
 * vfiomap_device_close(), and closing its own fd early no longer breaks
 * the device.  Borrowing again would break the 0.2 programs that close
 * their fd after the call, as 0.2 allows.  VFIOMAP_ADOPT_OWN_FD hands
 * the fd over, as in 0.1.
 *
 * Return: what vfiomap_device_adopt() returns.
 */
VFM_SYMVER(vfm__device_adopt_v01, "vfiomap_device_adopt@LIBVFIOMAP_0.1");
VFIOMAP_EXPORT int vfm__device_adopt_v01(int device_fd, uint32_t flags,
					 struct vfiomap_device **out)
{
	return vfm__device_adopt(device_fd, flags, out);
}

/**
 * vfm__device_name_v01() - vfiomap_device_name@LIBVFIOMAP_0.1
 * @dev: the device
 * @buf: output
 * @len: size of @buf
 *
 * 0.1 wrote libpci's vendor and device names; since 0.2 the library has
 * no libpci and writes "vvvv:dddd", here too (a 0.1 program gets the IDs
 * where it had names: a readable string still, and no other answer is
 * possible without libpci).
 *
 * Return: what vfiomap_device_name() returns.
 */
VFM_SYMVER(vfm__device_name_v01, "vfiomap_device_name@LIBVFIOMAP_0.1");
VFIOMAP_EXPORT int vfm__device_name_v01(const struct vfiomap_device *dev, char *buf,
					size_t len)
{
	return vfm__device_name(dev, buf, len);
}

/**
 * vfm__device_get_info_v01() - vfiomap_device_get_info@LIBVFIOMAP_0.1
 * @dev: the device
 * @info: output, the 0.1 struct (no size: three members)
 *
 * The struct of 0.1 and 0.2; 0.3's starts with its size.
 *
 * Return: what vfiomap_device_get_info() returns.
 */
VFM_SYMVER(vfm__device_get_info_v01, "vfiomap_device_get_info@LIBVFIOMAP_0.1");
VFIOMAP_EXPORT int vfm__device_get_info_v01(struct vfiomap_device *dev,
					    struct vfiomap_device_info_v01 *info)
{
	struct vfiomap_device_info n = { .size = sizeof(n) };
	int ret;

	if (!info)
		return vfm__err(-EINVAL, "vfiomap_device_get_info: NULL argument");
	ret = vfm__device_get_info(dev, &n);
	if (ret)
		return ret;
	info->flags = n.flags;
	info->num_regions = n.num_regions;
	info->num_irqs = n.num_irqs;
	return 0;
}

/**
 * vfm__device_pci_ids_v02() - vfiomap_device_pci_ids@LIBVFIOMAP_0.2
 * @dev: the device
 * @ids: output, the 0.2 struct (no size)
 *
 * Return: what vfiomap_device_pci_ids() returns.
 */
VFM_SYMVER(vfm__device_pci_ids_v02, "vfiomap_device_pci_ids@LIBVFIOMAP_0.2");
VFIOMAP_EXPORT int vfm__device_pci_ids_v02(struct vfiomap_device *dev,
					   struct vfiomap_pci_ids_v02 *ids)
{
	struct vfiomap_pci_ids n = { .size = sizeof(n) };
	int ret;

	if (!ids)
		return vfm__err(-EINVAL, "vfiomap_device_pci_ids: NULL argument");
	ret = vfm__device_pci_ids(dev, &n);
	if (ret)
		return ret;
	ids->vendor = n.vendor;
	ids->device = n.device;
	ids->subsystem_vendor = n.subsystem_vendor;
	ids->subsystem_device = n.subsystem_device;
	ids->class_code = n.class_code;
	ids->revision = n.revision;
	return 0;
}

/* the 0.2 struct from the current one */
static void cookie_info_v02(struct vfiomap_cookie_info_v02 *info,
			    const struct vfiomap_cookie_info *n)
{
	info->region = n->region;
	info->attrs = n->attrs;
	info->offset = n->offset;
	info->size = n->size;
}

/**
 * vfm__cookie_info_v02() - vfiomap_cookie_info@LIBVFIOMAP_0.2
 * @c: the handle
 * @info: output, the 0.2 struct (no size)
 *
 * Return: what vfiomap_cookie_info() returns.
 */
VFM_SYMVER(vfm__cookie_info_v02, "vfiomap_cookie_info@LIBVFIOMAP_0.2");
VFIOMAP_EXPORT int vfm__cookie_info_v02(const struct vfiomap_cookie *c,
					struct vfiomap_cookie_info_v02 *info)
{
	struct vfiomap_cookie_info n = { .struct_size = sizeof(n) };
	int ret;

	if (!info)
		return vfm__err(-EINVAL, "vfiomap_cookie_info: NULL argument");
	ret = vfm__cookie_info(c, &n);
	if (!ret)
		cookie_info_v02(info, &n);
	return ret;
}

/**
 * vfm__cookie_query_v02() - vfiomap_cookie_query@LIBVFIOMAP_0.2
 * @dev: the device
 * @cookie: a live cookie of @dev
 * @info: output, the 0.2 struct (no size)
 *
 * Return: what vfiomap_cookie_query() returns.
 */
VFM_SYMVER(vfm__cookie_query_v02, "vfiomap_cookie_query@LIBVFIOMAP_0.2");
VFIOMAP_EXPORT int vfm__cookie_query_v02(struct vfiomap_device *dev, uint64_t cookie,
					 struct vfiomap_cookie_info_v02 *info)
{
	struct vfiomap_cookie_info n = { .struct_size = sizeof(n) };
	int ret;

	if (!info)
		return vfm__err(-EINVAL, "vfiomap_cookie_query: NULL argument");
	ret = vfm__cookie_query(dev, cookie, &n);
	if (!ret)
		cookie_info_v02(info, &n);
	return ret;
}
