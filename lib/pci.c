// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Device enumeration from sysfs: the PCI functions bound to a driver, with
 * what a program needs to open them (IOMMU group, VFIO cdev) and their
 * IDs and BARs.  The CLI lists devices with it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static void fill(const char *root, const char *bdf, struct vfiomap_pci_function *f)
{
	unsigned int v = 0, d = 0;

	snprintf(f->bdf, sizeof(f->bdf), "%s", bdf);
	if (vfm__sysfs_driver(root, bdf, f->driver, sizeof(f->driver)))
		f->driver[0] = 0;
	if (vfm__sysfs_group(root, bdf, f->iommu_group, sizeof(f->iommu_group)))
		f->iommu_group[0] = 0;
	if (vfm__sysfs_cdev(root, bdf, f->cdev, sizeof(f->cdev)))
		f->cdev[0] = 0;
	if (!vfm__sysfs_read_hex(root, bdf, "vendor", &v))
		f->vendor = (uint16_t)v;
	if (!vfm__sysfs_read_hex(root, bdf, "device", &d))
		f->device = (uint16_t)d;
	/* one read of "resource" for the six BARs; what it lacks stays 0 */
	vfm__sysfs_resources(root, bdf, 6, f->bar_start, f->bar_end, f->bar_flags);
}

VFIOMAP_EXPORT int vfiomap_pci_functions(const char *driver, void *out, size_t elem_size,
					 size_t max)
{
	const char *root = vfm__sysfs_root();
	char (*bdfs)[VFM_BDF_LEN];
	int n, cap = 64;

	if (!driver || !*driver || strchr(driver, '/'))
		return vfm__err(-EINVAL, "vfiomap_pci_functions: a driver name, not \"%s\"",
				driver ? driver : "(null)");
	if (max && !out)
		return vfm__err(-EINVAL, "vfiomap_pci_functions: out is NULL");
	/* an output struct (device.h): the members that fit, nothing else */
	if (max && elem_size < VFM_OUT_MIN(struct vfiomap_pci_function, bdf))
		return vfm__err(-EINVAL,
				"vfiomap_pci_functions: element size %zu is too small: pass sizeof(struct vfiomap_pci_function)",
				elem_size);
	/* as many as there are: grow until the listing fits */
	for (;;) {
		bdfs = calloc((size_t)cap, sizeof(*bdfs));
		if (!bdfs)
			return vfm__err(-ENOMEM, "out of memory");
		n = vfm__sysfs_driver_devices(root, driver, bdfs, cap);
		if (n < 0) {
			free(bdfs);
			return vfm__err(n, "listing %s/bus/pci/drivers/%s: %s", root, driver,
					strerror(-n));
		}
		if (n < cap || cap >= (1 << 16))
			break;
		free(bdfs);
		cap *= 4;
	}
	for (int i = 0; i < n && (size_t)i < max; i++) {
		struct vfiomap_pci_function f;
		char *e = (char *)out + (size_t)i * elem_size;

		memset(&f, 0, sizeof(f));
		f.size = sizeof(f);
		fill(root, bdfs[i], &f);
		VFM_OUT(e, elem_size, &f, size);
		VFM_OUT(e, elem_size, &f, bdf);
		VFM_OUT(e, elem_size, &f, driver);
		VFM_OUT(e, elem_size, &f, iommu_group);
		VFM_OUT(e, elem_size, &f, cdev);
		VFM_OUT(e, elem_size, &f, vendor);
		VFM_OUT(e, elem_size, &f, device);
		VFM_OUT(e, elem_size, &f, bar_start);
		VFM_OUT(e, elem_size, &f, bar_end);
		VFM_OUT(e, elem_size, &f, bar_flags);
	}
	free(bdfs);
	return n;
}
