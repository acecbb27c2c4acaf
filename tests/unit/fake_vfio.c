// SPDX-License-Identifier: LGPL-2.1-or-later
/* A fake VFIO kernel behind the library's ioctl entry point (see fake_vfio.h). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fake_vfio.h"
#include "uapi/vfio_iommufd_cdev.h"

struct fake_vfio fake = { .memfd = -1 };

static void die(const char *what)
{
	perror(what);
	abort();
}

static void put_config_u32(int off, uint32_t v)
{
	if (pwrite(fake.memfd, &v, 4,
		   ((off_t)VFIO_PCI_CONFIG_REGION_INDEX << FAKE_REGION_SHIFT) + off) != 4)
		die("pwrite config");
}

static void put_config_bar(int bar, uint32_t v)
{
	put_config_u32(0x10 + 4 * bar, v);
}

void fake_reset(void)
{
	if (fake.memfd >= 0)
		close(fake.memfd);
	memset(&fake, 0, sizeof(fake));
	fake.memfd = memfd_create("fake-vfio-device", MFD_CLOEXEC);
	if (fake.memfd < 0 || ftruncate(fake.memfd, 1LL << 40))
		die("memfd");
	fake.num_regions = VFIO_PCI_NUM_REGIONS;
	fake.regions[0] = (struct fake_region){ .size = 16 << 10,
		.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
			 VFIO_REGION_INFO_FLAG_MMAP };
	fake.regions[2] = (struct fake_region){ .size = 2 << 20,
		.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
			 VFIO_REGION_INFO_FLAG_MMAP };
	fake.regions[4] = (struct fake_region){ .size = 256,
		.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE };
	fake.regions[VFIO_PCI_ROM_REGION_INDEX] = (struct fake_region){ .size = 64 << 10,
		.flags = VFIO_REGION_INFO_FLAG_READ };
	fake.regions[VFIO_PCI_CONFIG_REGION_INDEX] = (struct fake_region){ .size = 256,
		.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE };
	fake.cookie_uapi = true;
	put_config_u32(0, 0x11101af4);			/* 1af4:1110 */
	put_config_u32(8, 0x05000001);			/* RAM controller, rev 1 */
	put_config_u32(0x2c, 0x11001af4);		/* subsystem 1af4:1100 */
	put_config_bar(0, 0xfe000000);			/* 32-bit memory */
	put_config_bar(2, 0xfd00000c);			/* 64-bit prefetchable */
	put_config_bar(3, 0);
	put_config_bar(4, 0x0000c001);			/* I/O */
}

struct vfiomap_device *fake_adopt(void)
{
	struct vfiomap_device *dev = NULL;
	int fd = fcntl(fake.memfd, F_DUPFD_CLOEXEC, 0);

	if (fd < 0 || vfiomap_device_adopt(fd, VFIOMAP_ADOPT_OWN_FD, &dev))
		die("adopt");
	return dev;
}

int fake_pread(uint32_t index, uint64_t off, void *buf, size_t len)
{
	ssize_t n = pread(fake.memfd, buf, len,
			  (off_t)(((uint64_t)index << FAKE_REGION_SHIFT) + off));

	return n == (ssize_t)len ? 0 : -1;
}

void fake_set_sparse(uint32_t index, uint32_t n, const uint64_t *areas)
{
	struct fake_region *r = &fake.regions[index];
	struct vfio_region_info_cap_sparse_mmap h = {
		.header = { .id = VFIO_REGION_INFO_CAP_SPARSE_MMAP, .version = 1 },
		.nr_areas = n,
	};

	r->caps_len = sizeof(h) + n * sizeof(struct vfio_region_sparse_mmap_area);
	if (r->caps_len > sizeof(r->caps))
		abort();
	memcpy(r->caps, &h, sizeof(h));
	for (uint32_t i = 0; i < n; i++) {
		struct vfio_region_sparse_mmap_area a = {
			.offset = areas[2 * i], .size = areas[2 * i + 1] };

		memcpy(r->caps + sizeof(h) + i * sizeof(a), &a, sizeof(a));
	}
}

static int region_info(struct vfio_region_info *ri)
{
	struct fake_region *r;
	uint32_t need;

	if (ri->index >= fake.num_regions)
		return -EINVAL;
	r = &fake.regions[ri->index];
	if (r->err)
		return -r->err;
	need = sizeof(*ri) + (uint32_t)r->caps_len;
	ri->flags = r->flags;
	ri->size = r->size;
	ri->offset = (uint64_t)ri->index << FAKE_REGION_SHIFT;
	ri->cap_offset = 0;
	if (r->caps_len) {
		ri->flags |= VFIO_REGION_INFO_FLAG_CAPS;
		if (ri->argsz >= need) {
			memcpy((uint8_t *)ri + sizeof(*ri), r->caps, r->caps_len);
			ri->cap_offset = sizeof(*ri);
		}
	}
	ri->argsz = r->argsz ? r->argsz : need;
	return 0;
}

struct feature_buf {
	struct vfio_device_feature hdr;
	struct vfio_device_feature_mmap_cookie mc;
};

static int cookie_feature(struct feature_buf *f)
{
	struct vfio_device_feature_mmap_cookie *mc = &f->mc;

	if ((f->hdr.flags & VFIO_DEVICE_FEATURE_MASK) != VFIO_DEVICE_FEATURE_MMAP_COOKIE ||
	    !fake.cookie_uapi)
		return -ENOTTY;
	if (f->hdr.flags & VFIO_DEVICE_FEATURE_PROBE)
		return 0;
	if (f->hdr.flags & VFIO_DEVICE_FEATURE_GET) {
		struct fake_region *r;

		if (mc->region_index >= fake.num_regions)
			return -ENXIO;
		r = &fake.regions[mc->region_index];
		if (!(r->flags & VFIO_REGION_INFO_FLAG_MMAP))
			return -ENXIO;
		if (mc->region_offset + mc->size < mc->region_offset ||
		    mc->region_offset + mc->size > r->size)
			return -ERANGE;
		if ((mc->attrs & VFIO_MMAP_ATTR_WC) && mc->region_index != 2)
			return -EOPNOTSUPP;	/* only BAR2 is prefetchable */
		if (fake.cookie_err)
			return -fake.cookie_err;
		if (fake.nr_cookies == FAKE_MAX_COOKIES)
			return -ENOSPC;
		mc->cookie = FAKE_COOKIE_BASE + (fake.next_cookie++ << 30);
		fake.cookies[fake.nr_cookies++] = (struct fake_cookie){
			.cookie = mc->cookie, .region = mc->region_index,
			.attrs = mc->attrs, .offset = mc->region_offset, .size = mc->size };
		return 0;
	}
	for (unsigned int i = 0; i < fake.nr_cookies; i++) {
		if (fake.cookies[i].cookie == mc->cookie) {
			fake.cookies[i] = fake.cookies[--fake.nr_cookies];
			return 0;
		}
	}
	return -ENOENT;
}

static int dispatch(unsigned long req, void *arg)
{
	switch (req) {
	case VFIO_DEVICE_GET_INFO: {
		struct vfio_device_info *i = arg;

		i->flags = VFIO_DEVICE_FLAGS_PCI;
		i->num_regions = fake.num_regions;
		i->num_irqs = VFIO_PCI_NUM_IRQS;
		return 0;
	}
	case VFIO_DEVICE_GET_REGION_INFO:
		return region_info(arg);
	case VFIO_DEVICE_FEATURE:
		return cookie_feature(arg);
	case VFIO_GROUP_GET_STATUS:
		((struct vfio_group_status *)arg)->flags = VFIO_GROUP_FLAGS_VIABLE;
		return 0;
	case VFIO_GROUP_SET_CONTAINER:
		return 0;
	case VFIO_SET_IOMMU:
		fake.nr_set_iommu++;
		return 0;
	case VFIO_GROUP_GET_DEVICE_FD: {
		int fd = fcntl(fake.memfd, F_DUPFD_CLOEXEC, 0);

		return fd < 0 ? -errno : fd;
	}
	case VFIO_DEVICE_BIND_IOMMUFD:
		fake.nr_bind++;
		fake.bind_iommufd = ((struct vfio_device_bind_iommufd *)arg)->iommufd;
		((struct vfio_device_bind_iommufd *)arg)->out_devid = 1;
		return 0;
	case IOMMU_IOAS_ALLOC:
		fake.nr_ioas_alloc++;
		((struct iommu_ioas_alloc *)arg)->out_ioas_id = 2;
		return 0;
	case VFIO_DEVICE_ATTACH_IOMMUFD_PT:
		fake.nr_attach++;
		return 0;
	default:
		return -ENOTTY;
	}
}

/* The library's one ioctl entry point (lib/ioctl.c is not linked). */
int vfm__ioctl(struct vfiomap_device *dev, int fd, unsigned long req, void *arg)
{
	int ret;

	(void)fd;
	if (dev)
		atomic_fetch_add(&dev->ioctls, 1);
	fake.nr_ioctls++;
	if (fake.hook) {
		ret = fake.hook(req, arg);
		if (ret)
			return ret;
	}
	return dispatch(req, arg);
}

static void mkpath(const char *root, const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	for (char *s = p + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = 0;
		if (mkdir(p, 0755) && errno != EEXIST)
			die(p);
		*s = '/';
	}
	if (mkdir(p, 0755) && errno != EEXIST)
		die(p);
}

static void put_file(const char *root, const char *rel, const char *text, off_t size)
{
	char p[512];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		die(p);
	if ((text && write(fd, text, strlen(text)) != (ssize_t)strlen(text)) ||
	    (size && ftruncate(fd, size)))
		die(p);
	close(fd);
}

static void put_link(const char *root, const char *rel, const char *target)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	if (symlink(target, p))
		die(p);
}

void fake_tree_create(struct fake_tree *t, const char *bdf, const char *cdev,
		      bool iommufd)
{
	char d[256];

	snprintf(t->root, sizeof(t->root), "/tmp/vfiomap-fake-XXXXXX");
	if (!mkdtemp(t->root))
		die("mkdtemp");
	snprintf(t->sysfs, sizeof(t->sysfs), "%s/sys", t->root);
	snprintf(t->dev, sizeof(t->dev), "%s/dev", t->root);
	mkpath(t->root, "sys/bus/pci/drivers/vfio-pci");
	mkpath(t->root, "sys/kernel/iommu_groups/7");
	snprintf(d, sizeof(d), "sys/bus/pci/devices/%s", bdf);
	mkpath(t->root, d);
	mkpath(t->root, "dev/vfio/devices");
	put_file(t->root, "dev/vfio/7", "", 0);
	put_file(t->root, "dev/vfio/vfio", "", 0);
	if (iommufd)
		put_file(t->root, "dev/iommu", "", 0);
	snprintf(d, sizeof(d), "sys/bus/pci/devices/%s/driver", bdf);
	put_link(t->root, d, "../../../../bus/pci/drivers/vfio-pci");
	snprintf(d, sizeof(d), "sys/bus/pci/devices/%s/iommu_group", bdf);
	put_link(t->root, d, "../../../../kernel/iommu_groups/7");
	snprintf(d, sizeof(d), "sys/bus/pci/devices/%s/vendor", bdf);
	put_file(t->root, d, "0x1af4\n", 0);
	snprintf(d, sizeof(d), "sys/bus/pci/devices/%s/device", bdf);
	put_file(t->root, d, "0x1110\n", 0);
	snprintf(d, sizeof(d), "sys/bus/pci/devices/%s/resource2_wc", bdf);
	put_file(t->root, d, NULL, 2 << 20);
	if (cdev) {
		snprintf(d, sizeof(d), "sys/bus/pci/devices/%s/vfio-dev/%s", bdf, cdev);
		mkpath(t->root, d);
		snprintf(d, sizeof(d), "dev/vfio/devices/%s", cdev);
		put_file(t->root, d, "", 0);
	}
}

static int rm_one(const char *p, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	return type == FTW_DP ? rmdir(p) : unlink(p);
}

void fake_tree_destroy(struct fake_tree *t)
{
	if (t->root[0])
		nftw(t->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	t->root[0] = 0;
}
