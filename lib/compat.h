/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The old versions of the public functions that have more than one
 * (lib/compat.c), and the old layouts of the structs they take: what a
 * program built against the 0.1 or 0.2 headers passes.  Never in the
 * public headers; the unit tests call these functions by these names.
 */
#ifndef LIBVFIOMAP_COMPAT_H
#define LIBVFIOMAP_COMPAT_H

#include <stddef.h>
#include <stdint.h>

#include "libvfiomap/libvfiomap.h"

int vfm__region_get_v01(struct vfiomap_device *dev, uint32_t index,
			const struct vfiomap_region **out);
int vfm__device_adopt_v01(int device_fd, uint32_t flags, struct vfiomap_device **out);
int vfm__device_name_v01(const struct vfiomap_device *dev, char *buf, size_t len);

#endif
