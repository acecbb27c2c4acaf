// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vfiomap: command-line front end of libvfiomap.
 *
 *   vfiomap list [--json]
 *   vfiomap info ADDR [--json]
 *   vfiomap map ADDR REGION [--wc] [--offset N] [--size N] [--json]
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libvfiomap/libvfiomap.h>

#include "../examples/example-util.h"

static bool json;

static void usage(FILE *f)
{
	fprintf(f, "usage: vfiomap list [--json]\n"
		   "       vfiomap info ADDR [--json]\n"
		   "       vfiomap map ADDR REGION [--wc] [--offset N] [--size N] [--json]\n");
}

static void link_base(const char *bdf, const char *file, char *out, size_t len)
{
	char path[256], target[256];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", bdf, file);
	n = readlink(path, target, sizeof(target) - 1);
	out[0] = 0;
	if (n > 0) {
		target[n] = 0;
		const char *b = strrchr(target, '/');

		snprintf(out, len, "%.60s", b ? b + 1 : target);
	}
}

static void cdev_name(const char *bdf, char *out, size_t len)
{
	char path[256];
	struct dirent *e;
	DIR *d;

	out[0] = 0;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "vfio", 4))
			snprintf(out, len, "/dev/vfio/devices/%.40s", e->d_name);
	closedir(d);
}

static int cmd_list(void)
{
	char bdfs[64][32];
	int n = example_vfio_devices(bdfs, 64);

	if (json)
		printf("[");
	else
		printf("%-14s %-9s %-6s %-24s %s\n", "ADDRESS", "DRIVER", "GROUP", "CDEV", "NAME");
	for (int i = 0; i < n; i++) {
		struct vfiomap_device *dev;
		char drv[64], grp[64], cdev[64], name[256] = "?";

		link_base(bdfs[i], "driver", drv, sizeof(drv));
		link_base(bdfs[i], "iommu_group", grp, sizeof(grp));
		cdev_name(bdfs[i], cdev, sizeof(cdev));
		/* names come from libpci through the library */
		if (!vfiomap_device_open(bdfs[i], NULL, &dev)) {
			vfiomap_device_name(dev, name, sizeof(name));
			vfiomap_device_close(dev);
		} else {
			snprintf(name, sizeof(name), "%04x:%04x (cannot open: %s)",
				 example_read_hex(bdfs[i], "vendor"),
				 example_read_hex(bdfs[i], "device"), vfiomap_strerror());
		}
		if (json)
			printf("%s{\"address\":\"%s\",\"driver\":\"%s\",\"iommu_group\":\"%s\",\"cdev\":\"%s\",\"name\":\"%s\"}",
			       i ? "," : "", bdfs[i], drv, grp, cdev, name);
		else
			printf("%-14s %-9s %-6s %-24s %s\n", bdfs[i], drv, grp[0] ? grp : "-",
			       cdev[0] ? cdev : "-", name);
	}
	if (json)
		printf("]\n");
	else if (!n)
		printf("(no device bound to vfio-pci: echo vfio-pci > /sys/bus/pci/devices/ADDR/driver_override; "
		       "echo ADDR > /sys/bus/pci/drivers_probe)\n");
	return 0;
}

static struct vfiomap_device *open_or_explain(const char *bdf)
{
	struct vfiomap_device *dev;

	if (vfiomap_device_open(bdf, NULL, &dev)) {
		fprintf(stderr, "vfiomap: %s\n", vfiomap_strerror());
		return NULL;
	}
	return dev;
}

static int cmd_info(const char *bdf)
{
	struct vfiomap_device *dev = open_or_explain(bdf);
	struct vfiomap_device_info info;
	char name[256] = "?";
	int cookies;

	if (!dev)
		return 1;
	vfiomap_device_name(dev, name, sizeof(name));
	cookies = vfiomap_cookie_supported(dev);
	if (vfiomap_device_get_info(dev, &info)) {
		fprintf(stderr, "vfiomap: %s\n", vfiomap_strerror());
		vfiomap_device_close(dev);
		return 1;
	}
	if (!json) {
		printf("%s: %s\nmode: %s, regions: %u, irqs: %u, mmap cookies: %s\n", bdf, name,
		       example_mode_name(vfiomap_device_mode(dev)), info.num_regions,
		       info.num_irqs, cookies == 1 ? "supported" : "not supported (stock kernel)");
		example_print_regions(dev);
		vfiomap_device_close(dev);
		return 0;
	}
	printf("{\"address\":\"%s\",\"name\":\"%s\",\"mode\":\"%s\",\"cookies\":%s,\"regions\":[",
	       bdf, name, example_mode_name(vfiomap_device_mode(dev)),
	       cookies == 1 ? "true" : "false");
	for (uint32_t i = 0, first = 1; i < info.num_regions; i++) {
		const struct vfiomap_region *r;

		if (vfiomap_region_get(dev, i, &r))
			continue;
		printf("%s{\"index\":%u,\"offset\":%" PRIu64 ",\"size\":%" PRIu64
		       ",\"flags\":%u,\"mmap\":%s,\"mmap_attrs\":%s,\"wc\":%s,\"msix_mappable\":%s,\"sparse_areas\":%u}",
		       first ? "" : ",", i, r->offset, r->size, r->flags,
		       r->flags & VFIO_REGION_INFO_FLAG_MMAP ? "true" : "false",
		       r->has_mmap_attrs ? "true" : "false",
		       r->has_mmap_attrs && (r->mmap_attrs & VFIOMAP_ATTR_WC) ? "true" : "false",
		       r->msix_mappable ? "true" : "false", r->nr_sparse);
		first = 0;
	}
	printf("]}\n");
	vfiomap_device_close(dev);
	return 0;
}

static int memtype_of(const char *bdf, uint32_t bar, uint64_t off, uint64_t size,
		      char *type, size_t len)
{
	char path[256], line[256], t[64];
	unsigned long long s = 0, e, fl, a, b;
	FILE *f;

	type[0] = 0;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource", bdf);
	f = fopen(path, "r");
	if (!f)
		return -1;
	for (uint32_t i = 0; i <= bar; i++)
		if (fscanf(f, "%llx %llx %llx", &s, &e, &fl) != 3)
			s = 0;
	fclose(f);
	f = fopen("/sys/kernel/debug/x86/pat_memtype_list", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "PAT: [mem 0x%llx-0x%llx] %63s", &a, &b, t) == 3 &&
		    a <= s + off && b >= s + off + size)
			snprintf(type, len, "%s", t);
	fclose(f);
	return 0;
}

static int cmd_map(const char *bdf, uint32_t region, bool wc, uint64_t off, uint64_t size)
{
	struct vfiomap_device *dev = open_or_explain(bdf);
	const struct vfiomap_region *r;
	struct vfiomap_mapping *m;
	char type[64];

	if (!dev)
		return 1;
	if (vfiomap_region_get(dev, region, &r)) {
		fprintf(stderr, "vfiomap: %s\n", vfiomap_strerror());
		vfiomap_device_close(dev);
		return 1;
	}
	if (!size)
		size = ((r->size - off) + 4095) & ~4095ULL;
	if (vfiomap_map_range(dev, region, off, size, wc ? VFIOMAP_ATTR_WC : 0, 0, &m)) {
		fprintf(stderr, "vfiomap: %s\n", vfiomap_strerror());
		vfiomap_device_close(dev);
		return 1;
	}
	/* touch it so the memory type is established, then report it */
	(void)*(volatile uint32_t *)vfiomap_mapping_addr(m);
	if (memtype_of(bdf, region, off, size, type, sizeof(type)) || !type[0])
		snprintf(type, sizeof(type), "%s", "uncached-minus (no reservation)");
	if (json)
		printf("{\"address\":\"%s\",\"region\":%u,\"offset\":%" PRIu64 ",\"size\":%" PRIu64
		       ",\"cookie\":%" PRIu64 ",\"addr\":\"%p\",\"memtype\":\"%s\"}\n",
		       bdf, region, off, size, vfiomap_mapping_cookie(m), vfiomap_mapping_addr(m),
		       type);
	else
		printf("mapped %s region %u [0x%" PRIx64 "+0x%" PRIx64 "] at %p\ncookie: 0x%" PRIx64
		       "%s\nmemtype: %s\n", bdf, region, off, size, vfiomap_mapping_addr(m),
		       vfiomap_mapping_cookie(m), vfiomap_mapping_cookie(m) ? "" : " (region offset)",
		       type);
	vfiomap_unmap(m);
	vfiomap_device_close(dev);
	return 0;
}

int main(int argc, char **argv)
{
	const char *args[3] = { 0 };
	uint64_t off = 0, size = 0;
	bool wc = false;
	int n = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "--wc"))
			wc = true;
		else if (!strcmp(argv[i], "--offset") && i + 1 < argc)
			off = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--size") && i + 1 < argc)
			size = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (argv[i][0] == '-' || n == 3) {
			usage(stderr);
			return 2;
		} else
			args[n++] = argv[i];
	}
	if (n >= 1 && !strcmp(args[0], "list") && n == 1)
		return cmd_list();
	if (n == 2 && !strcmp(args[0], "info"))
		return cmd_info(args[1]);
	if (n == 3 && !strcmp(args[0], "map"))
		return cmd_map(args[1], (uint32_t)strtoul(args[2], NULL, 0), wc, off, size);
	usage(stderr);
	return 2;
}
