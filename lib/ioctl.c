// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The one place the library calls ioctl(2) (counted, errno returned) and
 * opens VFIO nodes: the host tests replace this file with a fake kernel.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>

#include "internal.h"

int vfm__ioctl(struct vfiomap_device *dev, int fd, unsigned long req,
		  void *arg)
{
	int ret;

	if (dev)
		atomic_fetch_add(&dev->ioctls, 1);
	do {
		ret = ioctl(fd, req, arg);
	} while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : ret;
}

int vfm__open_node(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}
