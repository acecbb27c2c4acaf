// SPDX-License-Identifier: LGPL-2.1-or-later
/* sysfs discovery, relative to a configurable root (tests use fixtures). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* "DDDD:BB:DD.F" or "BB:DD.F" -> "dddd:bb:dd.f"; 0 or -EINVAL. */
int vfiomap_parse_bdf(const char *in, char out[16])
{
	unsigned int dom = 0, bus, dev, fn;
	char tail;
	int n;

	if (!in)
		return -EINVAL;
	for (const char *p = in; *p; p++)
		if (!isxdigit((unsigned char)*p) && *p != ':' && *p != '.')
			return -EINVAL;
	n = sscanf(in, "%x:%x:%x.%x%c", &dom, &bus, &dev, &fn, &tail);
	if (n != 4) {
		dom = 0;
		n = sscanf(in, "%x:%x.%x%c", &bus, &dev, &fn, &tail);
		if (n != 3)
			return -EINVAL;
	}
	if (dom > 0xffff || bus > 0xff || dev > 0x1f || fn > 7 || strlen(in) > 12)
		return -EINVAL;
	snprintf(out, 16, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	return 0;
}

static int dev_path(char *buf, size_t len, const char *root, const char *bdf,
		    const char *file)
{
	int n = snprintf(buf, len, "%s/bus/pci/devices/%s%s%s", root, bdf,
			 file ? "/" : "", file ? file : "");

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int vfiomap_sysfs_device_exists(const char *root, const char *bdf)
{
	char p[512];
	struct stat st;

	if (dev_path(p, sizeof(p), root, bdf, NULL))
		return -ENAMETOOLONG;
	if (stat(p, &st))
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

/* Base name of a symlink's target; "" and 0 if there is no link. */
static int link_base(const char *path, char *out, size_t len)
{
	char target[512];
	const char *b;
	ssize_t n = readlink(path, target, sizeof(target) - 1);

	if (n < 0) {
		if (errno == ENOENT) {
			out[0] = 0;
			return 0;
		}
		return -errno;
	}
	target[n] = 0;
	b = strrchr(target, '/');
	b = b ? b + 1 : target;
	if (strlen(b) >= len)
		return -ENAMETOOLONG;
	snprintf(out, len, "%s", b);
	return 0;
}

int vfiomap_sysfs_driver(const char *root, const char *bdf, char *drv, size_t len)
{
	char p[512];
	int ret = vfiomap_sysfs_device_exists(root, bdf);

	if (ret)
		return ret == -ENOENT ? -ENODEV : ret;
	if (dev_path(p, sizeof(p), root, bdf, "driver"))
		return -ENAMETOOLONG;
	return link_base(p, drv, len);
}

int vfiomap_sysfs_group(const char *root, const char *bdf, char *grp, size_t len)
{
	char p[512];
	int ret;

	if (dev_path(p, sizeof(p), root, bdf, "iommu_group"))
		return -ENAMETOOLONG;
	ret = link_base(p, grp, len);
	if (!ret && !grp[0])
		return -ENOENT;
	return ret;
}

int vfiomap_sysfs_cdev(const char *root, const char *bdf, char *name, size_t len)
{
	char p[512];
	struct dirent *e;
	DIR *d;
	int ret = -ENOENT;

	if (dev_path(p, sizeof(p), root, bdf, "vfio-dev"))
		return -ENAMETOOLONG;
	d = opendir(p);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "vfio", 4) || !isdigit((unsigned char)e->d_name[4]))
			continue;
		if (strlen(e->d_name) >= len) {
			ret = -ENAMETOOLONG;
			break;
		}
		snprintf(name, len, "%s", e->d_name);
		ret = 0;
		break;
	}
	closedir(d);
	return ret;
}

int vfiomap_sysfs_read_hex(const char *root, const char *bdf, const char *file,
			   unsigned int *val)
{
	char p[512];
	FILE *f;
	int ok;

	if (dev_path(p, sizeof(p), root, bdf, file))
		return -ENAMETOOLONG;
	f = fopen(p, "re");
	if (!f)
		return -errno;
	ok = fscanf(f, "%x", val) == 1;
	fclose(f);
	return ok ? 0 : -EINVAL;
}
