// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The layouts a program built against 0.2.0 passes, member by member
 * ("struct.member offset size"): tests/abi/run.sh builds this once against
 * the 0.2.0 headers and once with -DCURRENT against these headers and
 * lib/compat.h, and the two outputs must be the same.  With CURRENT, the
 * structs whose layout changed are the copies that the compatibility
 * entries take (lib/compat.h); the others are the current ones, of which
 * the 0.2.0 members must be where they were (struct vfiomap_region and the
 * options structs may grow at their end: their sizes are not compared).
 */
#include <stddef.h>
#include <stdio.h>

#include <libvfiomap/libvfiomap.h>

#ifdef CURRENT
#include "compat.h"
#define DEVICE_INFO	vfiomap_device_info_v01
#define PCI_IDS		vfiomap_pci_ids_v02
#define COOKIE_INFO	vfiomap_cookie_info_v02
#define SYSFS_ROOT	reserved_sysfs_root
#define DEV_ROOT	reserved_dev_root
#else
#define DEVICE_INFO	vfiomap_device_info
#define PCI_IDS		vfiomap_pci_ids
#define COOKIE_INFO	vfiomap_cookie_info
#define SYSFS_ROOT	sysfs_root
#define DEV_ROOT	dev_root
#endif

/* #s and #m: the names as written here, the same in both builds */
#define M(s, m) printf("%s.%s %zu %zu\n", #s, #m, offsetof(struct s, m), \
		       sizeof(((struct s *)NULL)->m))
#define SIZE(s) printf("sizeof(%s) %zu\n", #s, sizeof(struct s))

int main(void)
{
	M(DEVICE_INFO, flags);
	M(DEVICE_INFO, num_regions);
	M(DEVICE_INFO, num_irqs);
	SIZE(DEVICE_INFO);
	M(PCI_IDS, vendor);
	M(PCI_IDS, device);
	M(PCI_IDS, subsystem_vendor);
	M(PCI_IDS, subsystem_device);
	M(PCI_IDS, class_code);
	M(PCI_IDS, revision);
	SIZE(PCI_IDS);
	M(COOKIE_INFO, region);
	M(COOKIE_INFO, attrs);
	M(COOKIE_INFO, offset);
	M(COOKIE_INFO, size);
	SIZE(COOKIE_INFO);
	/* the 0.2 struct is a prefix of the current one (0.1's of 0.2's) */
	M(vfiomap_region, index);
	M(vfiomap_region, flags);
	M(vfiomap_region, size);
	M(vfiomap_region, offset);
	M(vfiomap_region, nr_sparse);
	M(vfiomap_region, sparse);
	M(vfiomap_region, has_type);
	M(vfiomap_region, type);
	M(vfiomap_region, subtype);
	M(vfiomap_region, msix_mappable);
	M(vfiomap_region, has_mmap_attrs);
	M(vfiomap_region, mmap_attrs);
	M(vfiomap_region, has_sparse);
	M(vfiomap_region, kind);
	M(vfiomap_region, prefetchable);
	M(vfiomap_region, mem64);
	/* the test hooks of 0.2 are reserved fields, where they were */
	M(vfiomap_open_opts, size);
	M(vfiomap_open_opts, mode);
	M(vfiomap_open_opts, flags);
	M(vfiomap_open_opts, SYSFS_ROOT);
	M(vfiomap_open_opts, DEV_ROOT);
	M(vfiomap_open_opts, container_fd);
	M(vfiomap_open_opts, iommufd);
	M(vfiomap_open_opts, ioas_id);
	M(vfiomap_open_opts, vf_token);
	M(vfiomap_adopt_opts, size);
	M(vfiomap_adopt_opts, flags);
	M(vfiomap_adopt_opts, bdf);
	M(vfiomap_adopt_opts, SYSFS_ROOT);
	return 0;
}
