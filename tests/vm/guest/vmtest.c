// SPDX-License-Identifier: LGPL-2.1-or-later
#include "vmtest.h"

#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vfio_iommufd_cdev.h"

const char *vmt_mode_name(enum vmt_mode mode)
{
	switch (mode) {
	case VMT_NOIOMMU: return "noiommu";
	case VMT_TYPE1: return "type1";
	case VMT_CDEV: return "cdev";
	}
	return "?";
}

static int read_hex(const char *bdf, const char *file, unsigned int *v)
{
	char path[256];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", bdf, file);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	ok = fscanf(f, "%x", v) == 1;
	fclose(f);
	return ok ? 0 : -EINVAL;
}

int vmt_find_device(uint16_t vendor, uint16_t device, char bdf[32])
{
	DIR *dir = opendir("/sys/bus/pci/devices");
	struct dirent *e;
	unsigned int v, d;

	if (!dir)
		return -errno;
	while ((e = readdir(dir))) {
		if (e->d_name[0] == '.' || strlen(e->d_name) >= 32)
			continue;
		if (read_hex(e->d_name, "vendor", &v) || read_hex(e->d_name, "device", &d))
			continue;
		if (v == vendor && d == device) {
			snprintf(bdf, 32, "%.31s", e->d_name);
			closedir(dir);
			return 0;
		}
	}
	closedir(dir);
	return -ENODEV;
}

static int group_number(const char *bdf, char *out, size_t len)
{
	char path[256], link[256];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = 0;
	base = strrchr(link, '/');
	snprintf(out, len, "%.63s", base ? base + 1 : link);
	return 0;
}

static int open_group(const char *bdf, bool noiommu, struct vmt_dev *d)
{
	char grp[64], path[128];
	struct vfio_group_status st = { .argsz = sizeof(st) };
	int ret;

	ret = group_number(bdf, grp, sizeof(grp));
	if (ret)
		return ret;
	snprintf(path, sizeof(path), noiommu ? "/dev/vfio/noiommu-%s" : "/dev/vfio/%s", grp);
	d->group = open(path, O_RDWR);
	if (d->group < 0)
		return -errno;
	if (ioctl(d->group, VFIO_GROUP_GET_STATUS, &st))
		return -errno;
	if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE))
		return -EBUSY;
	d->container = open("/dev/vfio/vfio", O_RDWR);
	if (d->container < 0)
		return -errno;
	if (ioctl(d->group, VFIO_GROUP_SET_CONTAINER, &d->container))
		return -errno;
	if (ioctl(d->container, VFIO_SET_IOMMU,
		  noiommu ? VFIO_NOIOMMU_IOMMU : VFIO_TYPE1v2_IOMMU))
		return -errno;
	d->fd = ioctl(d->group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	return d->fd < 0 ? -errno : 0;
}

static int open_cdev(const char *bdf, struct vmt_dev *d)
{
	char path[256], node[300] = "";
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
	struct iommu_ioas_alloc ioas = { .size = sizeof(ioas) };
	struct dirent *e;
	DIR *dir;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((e = readdir(dir)))
		if (!strncmp(e->d_name, "vfio", 4))
			snprintf(node, sizeof(node), "/dev/vfio/devices/%.200s", e->d_name);
	closedir(dir);
	if (!node[0])
		return -ENODEV;
	d->fd = open(node, O_RDWR);
	if (d->fd < 0)
		return -errno;
	d->container = open("/dev/iommu", O_RDWR);
	if (d->container < 0)
		return -errno;
	bind.iommufd = d->container;
	if (ioctl(d->fd, VFIO_DEVICE_BIND_IOMMUFD, &bind))
		return -errno;
	if (ioctl(d->container, IOMMU_IOAS_ALLOC, &ioas))
		return -errno;
	at.pt_id = ioas.out_ioas_id;
	if (ioctl(d->fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at))
		return -errno;
	return 0;
}

int vmt_open(const char *bdf, enum vmt_mode mode, struct vmt_dev *d)
{
	int ret;

	d->fd = d->group = d->container = -1;
	if (mode == VMT_CDEV)
		ret = open_cdev(bdf, d);
	else
		ret = open_group(bdf, mode == VMT_NOIOMMU, d);
	if (ret)
		vmt_close(d);
	return ret;
}

void vmt_close(struct vmt_dev *d)
{
	if (d->fd >= 0)
		close(d->fd);
	if (d->group >= 0)
		close(d->group);
	if (d->container >= 0)
		close(d->container);
	d->fd = d->group = d->container = -1;
}

bool vmt_strict_devmem(void)
{
	const char *v = getenv("VMTEST_STRICT_DEVMEM");

	return v && !strcmp(v, "1");
}

int vmt_modes_available(enum vmt_mode out[3])
{
	const char *m = getenv("VMTEST_MACHINE");
	int n = 0;

	if (m && !strcmp(m, "iommu")) {
		const char *iommufd = getenv("VMTEST_IOMMUFD");

		out[n++] = VMT_TYPE1;
		/* a kernel without IOMMUFD (Debian's) has no device cdevs */
		if (!iommufd || strcmp(iommufd, "0"))
			out[n++] = VMT_CDEV;
	} else {
		out[n++] = VMT_NOIOMMU;
	}
	return n;
}

int vmt_region_info(int fd, uint32_t index, struct vfio_region_info **out)
{
	struct vfio_region_info *ri = calloc(1, sizeof(*ri));
	uint32_t argsz;

	if (!ri)
		return -ENOMEM;
	ri->argsz = sizeof(*ri);
	ri->index = index;
	if (ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, ri)) {
		int e = errno;

		free(ri);
		return -e;
	}
	if (ri->argsz > sizeof(*ri)) {
		argsz = ri->argsz;
		free(ri);
		ri = calloc(1, argsz);
		if (!ri)
			return -ENOMEM;
		ri->argsz = argsz;
		ri->index = index;
		if (ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, ri)) {
			int e = errno;

			free(ri);
			return -e;
		}
	}
	*out = ri;
	return 0;
}

int vmt_pat_lookup(uint64_t start, uint64_t end, char type[64])
{
	FILE *f = fopen("/sys/kernel/debug/x86/pat_memtype_list", "r");
	char line[256], t[64];
	unsigned long long a, b;
	int n = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "PAT: [mem 0x%llx-0x%llx] %63s", &a, &b, t) != 3)
			continue;
		if (a < end && b > start) {
			snprintf(type, 64, "%s", t);
			n++;
		}
	}
	fclose(f);
	return n;
}

int vmt_pte_flags(const void *va, char *line, size_t len)
{
	FILE *f = fopen("/sys/kernel/debug/page_tables/current_kernel", "r");
	unsigned long long a, b, v = (uintptr_t)va;
	char buf[512];

	/* a kernel without PTDUMP_DEBUGFS: the suite's helper (ptdump/) */
	if (!f && errno == ENOENT)
		f = fopen("/sys/kernel/debug/vfiomap_ptdump/current", "r");
	if (!f)
		return -errno;
	while (fgets(buf, sizeof(buf), f)) {
		if (sscanf(buf, "0x%llx-0x%llx", &a, &b) == 2 && v >= a && v < b) {
			snprintf(line, len, "%s", buf);
			fclose(f);
			return 0;
		}
	}
	fclose(f);
	return -ENOENT;
}

static bool has_word(const char *line, const char *w)
{
	size_t n = strlen(w);
	const char *p;

	for (p = strstr(line, w); p; p = strstr(p + n, w))
		if ((p == line || p[-1] == ' ') &&
		    (p[n] == ' ' || p[n] == '\n' || p[n] == 0))
			return true;
	return false;
}

static sigjmp_buf sigbus_jb;
static volatile sig_atomic_t got_sigbus;

static void on_sigbus(int sig)
{
	(void)sig;
	got_sigbus = 1;
	siglongjmp(sigbus_jb, 1);
}

bool vmt_faults(const volatile uint32_t *p)
{
	struct sigaction sa = { .sa_handler = on_sigbus }, old;
	bool bus;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old);
	got_sigbus = 0;
	if (sigsetjmp(sigbus_jb, 1) == 0)
		(void)*p;
	bus = got_sigbus;
	sigaction(SIGBUS, &old, NULL);
	return bus;
}

bool vmt_pte_is_wc(const char *line)
{
	return has_word(line, "PWT") && !has_word(line, "PCD");
}

bool vmt_pte_is_uc_minus(const char *line)
{
	return has_word(line, "PCD") && !has_word(line, "PWT");
}

const char *vmt_pte_level(const char *line, char level[8])
{
	const char *lv[] = { "pte", "pmd", "pud", "p4d", "pgd" };

	level[0] = 0;
	for (size_t i = 0; i < sizeof(lv) / sizeof(lv[0]); i++)
		if (has_word(line, lv[i]))
			snprintf(level, 8, "%s", lv[i]);
	return level;
}

uint64_t vmt_bar_phys(const char *bdf, int bar)
{
	char path[256];
	unsigned long long s = 0, e, fl;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource", bdf);
	f = fopen(path, "r");
	if (!f)
		return 0;
	for (int i = 0; i <= bar; i++)
		if (fscanf(f, "%llx %llx %llx", &s, &e, &fl) != 3)
			s = 0;
	fclose(f);
	return s;
}

void vmt_hostcheck(const char *name, uint64_t offset, const void *bytes,
		   size_t len)
{
	const unsigned char *b = bytes;

	fflush(stdout);
	printf("@@HOSTCHECK %s %llu ", name, (unsigned long long)offset);
	for (size_t i = 0; i < len; i++)
		printf("%02x", b[i]);
	printf("\n");
	fflush(stdout);
}
