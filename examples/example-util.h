/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Small helpers shared by the examples (sysfs scanning, names, printing).
 * Names come from libpci when the examples are built with it
 * (-DHAVE_LIBPCI, `pkg-config --cflags --libs libpci`): the library gives
 * the IDs, not names.
 */
#ifndef EXAMPLE_UTIL_H
#define EXAMPLE_UTIL_H

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_LIBPCI
#include <pci/pci.h>
#endif

#include <linux/vfio.h>
#include <libvfiomap/libvfiomap.h>

#ifdef HAVE_LIBPCI
/*
 * libpci calls these through pointers that pci_alloc() leaves NULL (a
 * missing hwdb or pci.ids makes it warn): names are optional, stay quiet.
 */
static inline void example_pci_quiet(char *msg, ...)
{
	(void)msg;
}

static inline __attribute__((noreturn)) void example_pci_error(char *msg, ...)
{
	fprintf(stderr, "libpci: %s\n", msg);
	exit(1);
}
#endif

/* "Vendor Device" (libpci), else "vvvv:dddd"; "?" if the IDs are unreadable. */
static inline void example_device_name(struct vfiomap_device *dev, char *buf, size_t len)
{
	struct vfiomap_pci_ids ids = { .size = sizeof(ids) };

	if (vfiomap_device_pci_ids(dev, &ids)) {
		snprintf(buf, len, "?");
		return;
	}
	snprintf(buf, len, "%04x:%04x", ids.vendor, ids.device);
#ifdef HAVE_LIBPCI
	struct pci_access *pacc = pci_alloc();
	char name[256];

	if (!pacc)
		return;
	pacc->warning = example_pci_quiet;
	pacc->debug = example_pci_quiet;
	pacc->error = example_pci_error;
	if (pci_lookup_name(pacc, name, sizeof(name), PCI_LOOKUP_VENDOR | PCI_LOOKUP_DEVICE,
			    ids.vendor, ids.device))
		snprintf(buf, len, "%s", name);
	pci_cleanup(pacc);
#endif
}

static inline unsigned int example_read_hex(const char *bdf, const char *file)
{
	char path[256];
	unsigned int v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", bdf, file);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%x", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

static inline int example_find_device(unsigned int vendor, unsigned int device,
				      char bdf[32])
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *e;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || strlen(e->d_name) >= 32)
			continue;
		if (example_read_hex(e->d_name, "vendor") == vendor &&
		    example_read_hex(e->d_name, "device") == device) {
			snprintf(bdf, 32, "%.31s", e->d_name);
			closedir(d);
			return 0;
		}
	}
	closedir(d);
	return -1;
}

/* Devices bound to vfio-pci; returns how many (at most max). */
static inline int example_vfio_devices(char bdfs[][32], int max)
{
	DIR *d = opendir("/sys/bus/pci/drivers/vfio-pci");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max)
		if (strchr(e->d_name, ':') && strlen(e->d_name) < 32)
			snprintf(bdfs[n++], 32, "%.31s", e->d_name);
	closedir(d);
	return n;
}

static inline void example_print_regions(struct vfiomap_device *dev)
{
	static const char *names[] = { "BAR0", "BAR1", "BAR2", "BAR3", "BAR4",
				       "BAR5", "ROM", "config", "VGA" };
	struct vfiomap_device_info info = { .size = sizeof(info) };

	if (vfiomap_device_get_info(dev, &info))
		return;
	printf("  %-7s %-18s %-12s %-10s %s\n", "region", "offset", "size", "flags",
	       "capabilities");
	for (uint32_t i = 0; i < info.num_regions; i++) {
		const struct vfiomap_region *r;
		char flags[16] = "", caps[128] = "";

		if (vfiomap_region_get(dev, i, &r) || !r->size)
			continue;
		snprintf(flags, sizeof(flags), "%s%s%s",
			 r->flags & VFIO_REGION_INFO_FLAG_READ ? "r" : "-",
			 r->flags & VFIO_REGION_INFO_FLAG_WRITE ? "w" : "-",
			 r->flags & VFIO_REGION_INFO_FLAG_MMAP ? "m" : "-");
		if (r->has_mmap_attrs)
			snprintf(caps + strlen(caps), sizeof(caps) - strlen(caps),
				 "cookies(attrs:%s) ", r->mmap_attrs & VFIOMAP_ATTR_WC ?
				 "WC" : "none");
		if (r->msix_mappable)
			snprintf(caps + strlen(caps), sizeof(caps) - strlen(caps),
				 "msix-mappable ");
		if (r->has_sparse)
			snprintf(caps + strlen(caps), sizeof(caps) - strlen(caps),
				 "sparse(%u areas) ", r->nr_sparse);
		if (r->has_type)
			snprintf(caps + strlen(caps), sizeof(caps) - strlen(caps),
				 "type(%u:%u) ", r->type, r->subtype);
		printf("  %-7s 0x%016" PRIx64 " 0x%-10" PRIx64 " %-10s %s\n",
		       i < 9 ? names[i] : "typed", r->offset, r->size, flags, caps);
	}
}

/* Print the PAT memtype lines that overlap the BAR (x86 debugfs). */
static inline void example_print_memtypes(const char *bdf, unsigned int bar)
{
	char path[256], line[256];
	unsigned long long s = 0, e = 0, fl, a, b;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource", bdf);
	f = fopen(path, "r");
	if (!f)
		return;
	for (unsigned int i = 0; i <= bar; i++)
		if (fscanf(f, "%llx %llx %llx", &s, &e, &fl) != 3)
			s = e = 0;
	fclose(f);
	f = fopen("/sys/kernel/debug/x86/pat_memtype_list", "r");
	if (!f) {
		printf("(no /sys/kernel/debug/x86/pat_memtype_list: mount debugfs as root)\n");
		return;
	}
	printf("PAT memory types over BAR%u [0x%llx-0x%llx]:\n", bar, s, e);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "PAT: [mem 0x%llx-0x%llx]", &a, &b) == 2 && a <= e && b > s)
			printf("  %s", line);
	fclose(f);
}

#endif
