/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmtest: helpers for guest-side test programs of the VM suite.
 * Raw VFIO ioctls only (no libvfiomap), so kernel tests do not depend on
 * the library they are meant to check.
 */
#ifndef VMTEST_H
#define VMTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/vfio.h>

enum vmt_mode {
	VMT_NOIOMMU,	/* /dev/vfio/noiommu-N group, VFIO_NOIOMMU_IOMMU */
	VMT_TYPE1,	/* /dev/vfio/N group, VFIO_TYPE1v2_IOMMU container */
	VMT_CDEV,	/* /dev/vfio/devices/vfioN bound to /dev/iommu */
};

struct vmt_dev {
	int fd;		/* the device fd */
	int group;	/* group fd, or -1 */
	int container;	/* container or iommufd fd, or -1 */
};

/* Name of a mode ("noiommu", "type1", "cdev"). */
const char *vmt_mode_name(enum vmt_mode mode);

/* Find the first PCI device with this vendor:device; 0 or -errno. */
int vmt_find_device(uint16_t vendor, uint16_t device, char bdf[32]);

/* Open @bdf in @mode; 0 (d->fd valid) or -errno. */
int vmt_open(const char *bdf, enum vmt_mode mode, struct vmt_dev *d);
void vmt_close(struct vmt_dev *d);

/* Whether the kernel has CONFIG_IO_STRICT_DEVMEM (vmtest.strict_devmem=1). */
bool vmt_strict_devmem(void);

/* The modes this machine supports, in a fixed order; returns how many. */
int vmt_modes_available(enum vmt_mode out[3]);

/* VFIO_DEVICE_GET_REGION_INFO with the full capability chain (malloc'd). */
int vmt_region_info(int fd, uint32_t index, struct vfio_region_info **out);

/*
 * Entries of /sys/kernel/debug/x86/pat_memtype_list overlapping
 * [start, end): returns how many, and the type of the last in @type.
 */
int vmt_pat_lookup(uint64_t start, uint64_t end, char type[64]);

/*
 * The line of /sys/kernel/debug/page_tables/current_kernel (the current
 * mm, user part included) whose range covers @va; 0 or -errno.
 */
int vmt_pte_flags(const void *va, char *line, size_t len);
/* Read a word at @p; true if the access raised SIGBUS. */
bool vmt_faults(const volatile uint32_t *p);
/* PAT index 1 (PWT, no PCD) = WC; index 2 (PCD, no PWT) = UC-. */
bool vmt_pte_is_wc(const char *line);
bool vmt_pte_is_uc_minus(const char *line);
/* The page-table level of the line ("pte", "pmd", "pud"), or "". */
const char *vmt_pte_level(const char *line, char level[8]);

/* Physical start of a BAR from sysfs (0 if unknown). */
uint64_t vmt_bar_phys(const char *bdf, int bar);

/* Ask the host to check @len bytes at @offset of the ivshmem file. */
void vmt_hostcheck(const char *name, uint64_t offset, const void *bytes,
		   size_t len);

#endif
