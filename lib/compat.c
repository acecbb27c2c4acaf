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
