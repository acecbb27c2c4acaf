// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * region-dump: regions, offsets, flags and capabilities of a VFIO device.
 *
 *   region-dump [BDF...]       default: every device bound to vfio-pci
 */
#include <stdio.h>
#include <string.h>

#include <libvfiomap/libvfiomap.h>

#include "example-util.h"

static int dump(const char *bdf)
{
	struct vfiomap_device *dev;
	char name[256];

	if (vfiomap_device_open(bdf, NULL, &dev)) {
		fprintf(stderr, "%s: %s\n", bdf, vfiomap_last_error());
		return 1;
	}
	example_device_name(dev, name, sizeof(name));
	printf("%s: %s (%s), mmap cookies %s\n", bdf, name,
	       vfiomap_mode_name(vfiomap_device_mode(dev)),
	       vfiomap_cookie_supported(dev) == 1 ? "supported" : "not supported");
	example_print_regions(dev);
	vfiomap_device_close(dev);
	return 0;
}

int main(int argc, char **argv)
{
	char bdfs[16][32];
	int n, ret = 0;

	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			ret |= dump(argv[i]);
		return ret;
	}
	n = example_vfio_devices(bdfs, 16);
	if (n <= 0) {
		fprintf(stderr, "no device bound to vfio-pci\n");
		return 1;
	}
	for (int i = 0; i < n; i++)
		ret |= dump(bdfs[i]);
	return ret;
}
