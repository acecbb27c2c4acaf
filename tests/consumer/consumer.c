// SPDX-License-Identifier: LGPL-2.1-or-later
/* A separate program built against an installed (or subproject) libvfiomap. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libvfiomap/libvfiomap.h>

int main(void)
{
	struct vfiomap_device *dev = NULL;
	int ret = vfiomap_device_open("not-an-address", NULL, &dev);

	if (ret != -EINVAL || dev || !strstr(vfiomap_last_error(), "not-an-address")) {
		printf("FAIL open: %d %s\n", ret, vfiomap_last_error());
		return 1;
	}
	if (vfiomap_huge_align(1ULL << 30, 0) != 1ULL << 30) {
		printf("FAIL huge_align\n");
		return 1;
	}
	printf("consumer OK: %s\n", vfiomap_last_error());
	return 0;
}
