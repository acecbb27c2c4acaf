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

/* @n hex digits of @p (1 to @max of them) into @v; the end or NULL. */
/* @name's value if set and not empty, else @dflt; setuid programs: @dflt */
static const char *env_root(const char *name, const char *dflt)
{
	const char *r = secure_getenv(name);

	return r && *r ? r : dflt;
}

const char *vfm__sysfs_root(void)
{
	return env_root("VFIOMAP_SYSFS_ROOT", "/sys");
}

const char *vfm__dev_root(void)
{
	return env_root("VFIOMAP_DEV_ROOT", "/dev");
}

static const char *hex_field(const char *p, int max, unsigned int *v)
{
	int n = 0;

	*v = 0;
	while (isxdigit((unsigned char)p[n])) {
		if (++n > max)
			return NULL;
		*v = *v * 16 + (unsigned int)(isdigit((unsigned char)p[n - 1]) ?
			p[n - 1] - '0' : (tolower((unsigned char)p[n - 1]) - 'a' + 10));
	}
	return n ? p + n : NULL;
}

/*
 * "DOMAIN:BB:DD.F" or "BB:DD.F" -> "dddd:bb:dd.f" (the domain printed with
 * at least four digits, as sysfs does: VMD domains are 10000 and up);
 * 0 or -EINVAL.
 */
int vfm__parse_bdf(const char *in, char out[VFM_BDF_LEN])
{
	unsigned int f[4];
	const char *p = in;
	int n = 0;

	if (!in)
		return -EINVAL;
	/* up to three ':'-separated fields, then ".F" */
	for (;;) {
		if (n == 3)
			return -EINVAL;
		p = hex_field(p, 8, &f[n++]);
		if (!p)
			return -EINVAL;
		if (*p != ':')
			break;
		p++;
	}
	if (n < 2 || *p != '.' || !(p = hex_field(p + 1, 1, &f[n])) || *p)
		return -EINVAL;
	if (n == 2) {		/* no domain */
		f[3] = f[2];
		f[2] = f[1];
		f[1] = f[0];
		f[0] = 0;
	}
	if (f[1] > 0xff || f[2] > 0x1f || f[3] > 7)
		return -EINVAL;
	snprintf(out, VFM_BDF_LEN, "%04x:%02x:%02x.%x", f[0], f[1], f[2], f[3]);
	return 0;
}

static int dev_path(char *buf, size_t len, const char *root, const char *bdf,
		    const char *file)
{
	int n = snprintf(buf, len, "%s/bus/pci/devices/%s%s%s", root, bdf,
			 file ? "/" : "", file ? file : "");

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int vfm__sysfs_device_exists(const char *root, const char *bdf)
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

int vfm__sysfs_driver(const char *root, const char *bdf, char *drv, size_t len)
{
	char p[512];
	int ret = vfm__sysfs_device_exists(root, bdf);

	if (ret)
		return ret == -ENOENT ? -ENODEV : ret;
	if (dev_path(p, sizeof(p), root, bdf, "driver"))
		return -ENAMETOOLONG;
	return link_base(p, drv, len);
}

int vfm__sysfs_group(const char *root, const char *bdf, char *grp, size_t len)
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

int vfm__sysfs_cdev(const char *root, const char *bdf, char *name, size_t len)
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
		/* "vfioN", or "noiommu-vfioN" for a no-IOMMU device */
		const char *v = e->d_name;

		if (!strncmp(v, "noiommu-", 8))
			v += 8;
		if (strncmp(v, "vfio", 4) || !isdigit((unsigned char)v[4]))
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

int vfm__sysfs_read_hex(const char *root, const char *bdf, const char *file,
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

static int cmp_bdf(const void *a, const void *b)
{
	return strcmp(a, b);
}

/*
 * PCI addresses of the devices bound to @driver, sorted; at most @max.
 * Returns how many, 0 if the driver is not loaded.
 */
int vfm__sysfs_driver_devices(const char *root, const char *driver,
				 char (*bdfs)[VFM_BDF_LEN], int max)
{
	char p[512];
	struct dirent *e;
	int n = 0;
	DIR *d;

	if (snprintf(p, sizeof(p), "%s/bus/pci/drivers/%s", root, driver) >= (int)sizeof(p))
		return -ENAMETOOLONG;
	d = opendir(p);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d)) && n < max)
		if (!vfm__parse_bdf(e->d_name, bdfs[n]) && !strcmp(bdfs[n], e->d_name))
			n++;
	closedir(d);
	qsort(bdfs, (size_t)n, sizeof(*bdfs), cmp_bdf);
	return n;
}

/*
 * The first @n lines of sysfs "resource" (BAR 0, 1, ...): start, end,
 * IORESOURCE_* flags each.  Returns how many lines there were (at most @n)
 * or -errno; one open for all of them.
 */
int vfm__sysfs_resources(const char *root, const char *bdf, unsigned int n,
			 uint64_t *start, uint64_t *end, uint64_t *flags)
{
	unsigned long long s, e, f;
	char p[512];
	unsigned int i;
	FILE *fp;

	if (dev_path(p, sizeof(p), root, bdf, "resource"))
		return -ENAMETOOLONG;
	fp = fopen(p, "re");
	if (!fp)
		return -errno;
	for (i = 0; i < n && fscanf(fp, "%llx %llx %llx", &s, &e, &f) == 3; i++) {
		start[i] = s;
		end[i] = e;
		flags[i] = f;
	}
	fclose(fp);
	return (int)i;
}

/* Line @bar of sysfs "resource": start, end, IORESOURCE_* flags. */
int vfm__sysfs_resource(const char *root, const char *bdf, unsigned int bar,
			   uint64_t *start, uint64_t *end, uint64_t *flags)
{
	/* the file has at most 17 lines (BARs, ROM, IOV BARs, windows) */
	uint64_t s[17], e[17], f[17];
	int n;

	if (bar >= 17)
		return -ENOENT;
	n = vfm__sysfs_resources(root, bdf, bar + 1, s, e, f);
	if (n < 0)
		return n;
	if ((unsigned int)n <= bar)
		return -ENOENT;
	*start = s[bar];
	*end = e[bar];
	*flags = f[bar];
	return 0;
}
