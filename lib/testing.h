/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What libvfiomap exports for its own tests and benchmarks: not part of
 * the API, no public header declares it (since 0.3).  The tests and the
 * benchmarks include this file.  The other test hooks are environment
 * variables (VFIOMAP_SYSFS_ROOT, VFIOMAP_DEV_ROOT; docs/api.md).
 */
#ifndef LIBVFIOMAP_TESTING_H
#define LIBVFIOMAP_TESTING_H

#include <stdint.h>

struct vfiomap_device;

/**
 * vfiomap_device_ioctl_count() - ioctls the library issued on @dev
 * @dev: the device
 *
 * Useful to check that cached lookups cost nothing.  Declared in the
 * public headers of 0.1 and 0.2, so still exported (LIBVFIOMAP_0.1) for
 * the programs built against them.
 *
 * Return: the count (0 for NULL).
 */
uint64_t vfiomap_device_ioctl_count(const struct vfiomap_device *dev);

#endif
