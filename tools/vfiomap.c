// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vfiomap: command-line front end of libvfiomap.
 *
 *   vfiomap list [--json]
 *   vfiomap info ADDR [--json]
 *   vfiomap map ADDR REGION [--wc] [--offset N] [--size N] [--json]
 *
 * --sysfs-root DIR reads sysfs from DIR instead of /sys (tests; like
 * lspci -O sysfs.path): it sets the library's test hook, the environment
 * variable VFIOMAP_SYSFS_ROOT.  Device names come from libpci, here and not in
 * the library; --pci-ids FILE takes them from FILE alone (like lspci -i,
 * and not from udev's hwdb either).  Only the public API: devices are
 * listed with vfiomap_pci_functions().
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_LIBPCI
#include <pci/pci.h>
#endif

#include <libvfiomap/libvfiomap.h>


static bool json;
static const char *pci_ids;	/* --pci-ids: names from this file alone */

static void usage(FILE *f)
{
	fprintf(f, "usage: vfiomap [--sysfs-root DIR] [--pci-ids FILE] list [--json]\n"
		   "       vfiomap [--sysfs-root DIR] [--pci-ids FILE] info ADDR [--json]\n"
		   "       vfiomap [--sysfs-root DIR] map ADDR REGION [--wc] [--offset N] [--size N] [--json]\n");
}

/* @s as a JSON string: quotes, backslashes and control characters escaped. */
static void json_str(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", stdout); break;
		case '\\': fputs("\\\\", stdout); break;
		case '\n': fputs("\\n", stdout); break;
		case '\r': fputs("\\r", stdout); break;
		case '\t': fputs("\\t", stdout); break;
		default:
			if (*p < 0x20)
				printf("\\u%04x", *p);
			else
				putchar(*p);
		}
	}
	putchar('"');
}

#ifdef HAVE_LIBPCI
/*
 * libpci calls these through pointers that pci_alloc() leaves NULL (a
 * missing hwdb or pci.ids makes it warn): names are optional, stay quiet.
 */
static void cli_pci_quiet(char *msg, ...)
{
	(void)msg;
}

static __attribute__((noreturn)) void cli_pci_error(char *msg, ...)
{
	fprintf(stderr, "libpci: %s\n", msg);
	exit(1);
}
#endif

/* "Vendor Device" from libpci's pci.ids (or --pci-ids), or "vvvv:dddd". */
static void pci_name(unsigned int vendor, unsigned int device, char *buf, size_t len)
{
	snprintf(buf, len, "%04x:%04x", vendor, device);
#ifdef HAVE_LIBPCI
	struct pci_access *pacc = pci_alloc();
	int flags = PCI_LOOKUP_VENDOR | PCI_LOOKUP_DEVICE;
	char name[256];

	if (!pacc)
		return;
	pacc->warning = cli_pci_quiet;
	pacc->debug = cli_pci_quiet;
	pacc->error = cli_pci_error;
	if (pci_ids) {
		pci_set_name_list_path(pacc, (char *)pci_ids, 0);
		flags |= PCI_LOOKUP_NO_HWDB;
	}
	if (pci_lookup_name(pacc, name, sizeof(name), flags, vendor, device))
		snprintf(buf, len, "%s", name);
	pci_cleanup(pacc);
#endif
}

/* The functions bound to vfio-pci (malloc'd, *out): the count, -1 (the
 * library's error), or -2 (out of memory, said here) */
static int vfio_pci_functions(struct vfiomap_pci_function **out)
{
	int n = vfiomap_pci_functions("vfio-pci", NULL, sizeof(**out), 0);

	*out = NULL;
	if (n < 0)
		return -1;
	*out = calloc((size_t)n + 1, sizeof(**out));
	if (!*out) {
		fprintf(stderr, "vfiomap: out of memory\n");
		return -2;
	}
	n = vfiomap_pci_functions("vfio-pci", *out, sizeof(**out), (size_t)n);
	if (n < 0) {
		free(*out);
		*out = NULL;
	}
	return n < 0 ? -1 : n;
}

static int cmd_list(void)
{
	struct vfiomap_pci_function *fns;
	int n = vfio_pci_functions(&fns);

	if (n < 0) {
		if (n == -1)
			fprintf(stderr, "vfiomap: cannot list vfio-pci devices: %s\n",
				vfiomap_last_error());
		return 1;
	}
	if (json)
		printf("[");
	else
		printf("%-14s %-9s %-6s %-24s %s\n", "ADDRESS", "DRIVER", "GROUP", "CDEV", "NAME");
	for (int i = 0; i < n; i++) {
		const struct vfiomap_pci_function *f = &fns[i];
		char cdev_path[96] = "", name[256];

		if (f->cdev[0])
			snprintf(cdev_path, sizeof(cdev_path), "/dev/vfio/devices/%s", f->cdev);
		pci_name(f->vendor, f->device, name, sizeof(name));
		if (json) {
			printf("%s{\"address\":", i ? "," : "");
			json_str(f->bdf);
			printf(",\"driver\":");
			json_str(f->driver);
			printf(",\"iommu_group\":");
			json_str(f->iommu_group);
			printf(",\"cdev\":");
			json_str(cdev_path);
			printf(",\"name\":");
			json_str(name);
			printf("}");
		} else {
			printf("%-14s %-9s %-6s %-24s %s\n", f->bdf, f->driver,
			       f->iommu_group[0] ? f->iommu_group : "-",
			       cdev_path[0] ? cdev_path : "-", name);
		}
	}
	free(fns);
	if (json)
		printf("]\n");
	else if (!n)
		printf("(no device bound to vfio-pci: echo vfio-pci > /sys/bus/pci/devices/ADDR/driver_override; "
		       "echo ADDR > /sys/bus/pci/drivers_probe)\n");
	return 0;
}

static struct vfiomap_device *open_or_explain(const char *bdf)
{
	struct vfiomap_open_opts o = { .size = sizeof(o) };
	struct vfiomap_device *dev;

	if (vfiomap_device_open(bdf, &o, &dev)) {
		fprintf(stderr, "vfiomap: %s\n", vfiomap_last_error());
		return NULL;
	}
	return dev;
}

static void device_name(struct vfiomap_device *dev, char *buf, size_t len)
{
	struct vfiomap_pci_ids ids = { .size = sizeof(ids) };

	if (vfiomap_device_pci_ids(dev, &ids))
		snprintf(buf, len, "?");
	else
		pci_name(ids.vendor, ids.device, buf, len);
}

static void print_regions(struct vfiomap_device *dev, const struct vfiomap_device_info *info)
{
	static const char *names[] = { "BAR0", "BAR1", "BAR2", "BAR3", "BAR4",
				       "BAR5", "ROM", "config", "VGA" };

	printf("  %-7s %-18s %-12s %-10s %s\n", "region", "offset", "size", "flags",
	       "capabilities");
	for (uint32_t i = 0; i < info->num_regions; i++) {
		const struct vfiomap_region *r;
		char caps[128] = "";

		if (vfiomap_region_get(dev, i, &r) || !r->size)
			continue;
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
		printf("  %-7s 0x%016" PRIx64 " 0x%-10" PRIx64 " %c%c%c        %s\n",
		       i < 9 ? names[i] : "typed", r->offset, r->size,
		       r->flags & VFIOMAP_REGION_FLAG_READ ? 'r' : '-',
		       r->flags & VFIOMAP_REGION_FLAG_WRITE ? 'w' : '-',
		       r->flags & VFIOMAP_REGION_FLAG_MMAP ? 'm' : '-', caps);
	}
}

static int cmd_info(const char *bdf)
{
	struct vfiomap_device *dev = open_or_explain(bdf);
	struct vfiomap_device_info info = { .size = sizeof(info) };
	char name[256];
	int cookies;

	if (!dev)
		return 1;
	device_name(dev, name, sizeof(name));
	cookies = vfiomap_cookie_supported(dev);
	if (vfiomap_device_get_info(dev, &info)) {
		fprintf(stderr, "vfiomap: %s\n", vfiomap_last_error());
		vfiomap_device_close(dev);
		return 1;
	}
	if (!json) {
		printf("%s: %s\nmode: %s, regions: %u, irqs: %u, mmap cookies: %s\n", bdf, name,
		       vfiomap_mode_name(vfiomap_device_mode(dev)), info.num_regions,
		       info.num_irqs, cookies == 1 ? "supported" : "not supported (stock kernel)");
		print_regions(dev, &info);
		vfiomap_device_close(dev);
		return 0;
	}
	printf("{\"address\":");
	json_str(vfiomap_device_bdf(dev));
	printf(",\"name\":");
	json_str(name);
	printf(",\"mode\":");
	json_str(vfiomap_mode_name(vfiomap_device_mode(dev)));
	printf(",\"cookies\":%s,\"regions\":[", cookies == 1 ? "true" : "false");
	for (uint32_t i = 0, first = 1; i < info.num_regions; i++) {
		const struct vfiomap_region *r;

		if (vfiomap_region_get(dev, i, &r))
			continue;
		printf("%s{\"index\":%u,\"offset\":%" PRIu64 ",\"size\":%" PRIu64
		       ",\"flags\":%u,\"mmap\":%s,\"mmap_attrs\":%s,\"wc\":%s,\"msix_mappable\":%s,\"sparse\":%s,\"sparse_areas\":%u}",
		       first ? "" : ",", i, r->offset, r->size, r->flags,
		       r->flags & VFIOMAP_REGION_FLAG_MMAP ? "true" : "false",
		       r->has_mmap_attrs ? "true" : "false",
		       r->has_mmap_attrs && (r->mmap_attrs & VFIOMAP_ATTR_WC) ? "true" : "false",
		       r->msix_mappable ? "true" : "false", r->has_sparse ? "true" : "false",
		       r->nr_sparse);
		first = 0;
	}
	printf("]}\n");
	vfiomap_device_close(dev);
	return 0;
}

/* The physical start of BAR @bar of vfio-pci device @bdf (sysfs). */
static int bar_resource(const char *bdf, uint32_t bar, uint64_t *start)
{
	struct vfiomap_pci_function *fns;
	int n = vfio_pci_functions(&fns), ret = -1;

	for (int i = 0; i < n && bar < 6; i++)
		if (!strcmp(fns[i].bdf, bdf) && fns[i].bar_end[bar]) {
			*start = fns[i].bar_start[bar];
			ret = 0;
		}
	free(fns);
	return ret;
}

/* The PAT memory type over [off, off + size) of BAR @bar (x86 debugfs). */
static int memtype_of(const char *bdf, uint32_t bar, uint64_t off, uint64_t size,
		      char *type, size_t len)
{
	unsigned long long a, b;
	uint64_t s;
	char line[256], t[64];
	FILE *f;

	type[0] = 0;
	if (bar_resource(bdf, bar, &s))
		return -1;
	f = fopen("/sys/kernel/debug/x86/pat_memtype_list", "re");
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
	struct vfiomap_map_opts mo = { .size = sizeof(mo) };
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	char type[64];

	if (!dev)
		return 1;
	if (vfiomap_region_get(dev, region, &r)) {
		fprintf(stderr, "vfiomap: %s\n", vfiomap_last_error());
		vfiomap_device_close(dev);
		return 1;
	}
	if (!size && off < r->size)
		size = ((r->size - off) + page - 1) & ~(page - 1);
	mo.attrs = wc ? VFIOMAP_ATTR_WC : 0;
	if (vfiomap_map(dev, region, off, size, &mo, &m)) {
		fprintf(stderr, "vfiomap: %s\n", vfiomap_last_error());
		vfiomap_device_close(dev);
		return 1;
	}
	/* touch it so the memory type is established, then report it */
	(void)*(volatile uint32_t *)vfiomap_mapping_addr(m);
	if (memtype_of(vfiomap_device_bdf(dev), region, off, size, type, sizeof(type)) || !type[0])
		snprintf(type, sizeof(type), "%s", "uncached-minus (no reservation)");
	if (json) {
		printf("{\"address\":");
		json_str(vfiomap_device_bdf(dev));
		printf(",\"region\":%u,\"offset\":%" PRIu64 ",\"size\":%" PRIu64
		       ",\"cookie\":%" PRIu64 ",\"addr\":\"%p\",\"memtype\":",
		       region, off, size, vfiomap_mapping_cookie(m), vfiomap_mapping_addr(m));
		json_str(type);
		printf("}\n");
	} else {
		printf("mapped %s region %u [0x%" PRIx64 "+0x%" PRIx64 "] at %p\ncookie: 0x%" PRIx64
		       "%s\nmemtype: %s\n", bdf, region, off, size, vfiomap_mapping_addr(m),
		       vfiomap_mapping_cookie(m), vfiomap_mapping_cookie(m) ? "" : " (region offset)",
		       type);
	}
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
		else if (!strcmp(argv[i], "--sysfs-root") && i + 1 < argc)
			/* where the library reads sysfs (a test hook) */
			setenv("VFIOMAP_SYSFS_ROOT", argv[++i], 1);
		else if (!strcmp(argv[i], "--pci-ids") && i + 1 < argc)
			pci_ids = argv[++i];
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (argv[i][0] == '-' || n == 3) {
			usage(stderr);
			return 2;
		} else
			args[n++] = argv[i];
	}
	if (n == 1 && !strcmp(args[0], "list"))
		return cmd_list();
	if (n == 2 && !strcmp(args[0], "info"))
		return cmd_info(args[1]);
	if (n == 3 && !strcmp(args[0], "map"))
		return cmd_map(args[1], (uint32_t)strtoul(args[2], NULL, 0), wc, off, size);
	usage(stderr);
	return 2;
}
