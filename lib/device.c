// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#include "uapi/vfio_iommufd_cdev.h"

bool vfm__device_valid(const struct vfiomap_device *dev)
{
	return dev != NULL;
}

static struct vfiomap_device *device_alloc(void)
{
	struct vfiomap_device *dev = calloc(1, sizeof(*dev));

	if (!dev)
		return NULL;
	dev->fd = dev->group = dev->container = -1;
	pthread_mutex_init(&dev->lock, NULL);
	atomic_init(&dev->ioctls, 0);
	return dev;
}

static void device_free(struct vfiomap_device *dev)
{
	vfm__log_forget(dev);	/* its sink is called no more */
	if (dev->fd >= 0 && dev->own_fd)
		close(dev->fd);
	dev->fd = -1;
	vfm__ctx_release(dev);	/* the group and context go after the device */
	struct vfm_region_slot *slots = atomic_load(&dev->slots);

	for (uint32_t i = 0; slots && i < dev->nr_slots; i++) {
		free(slots[i].sparse);
		free(slots[i].attr_areas);
	}
	free(slots);
	pthread_mutex_destroy(&dev->lock);
	free(dev);
}

/* What vfiomap_device_open() hands to the cdev and group paths. */
struct open_req {
	const char *devroot;
	int container_fd;	/* -1: a new container */
	int iommufd;		/* -1: a new iommufd */
	uint32_t ioas_id;
	const char *vf_token;
	const uint8_t *token;	/* parsed @vf_token, or NULL */
	struct vfm_ctx *ctx;	/* vfiomap_device_open_in()'s context, or NULL */
};

static int open_cdev(struct vfiomap_device *dev, const struct open_req *req)
{
	char name[64], path[512];
	bool noiommu;
	int ret;

	ret = vfm__sysfs_cdev(dev->sysfs_root, dev->bdf, name, sizeof(name));
	if (ret)
		return vfm__err(-ENOENT,
				   "%s has no VFIO cdev (kernel without VFIO_DEVICE_CDEV, or not bound to vfio-pci)",
				   dev->bdf);
	noiommu = !strncmp(name, "noiommu-", 8);
	snprintf(path, sizeof(path), "%s/vfio/devices/%s", req->devroot, name);
	dev->fd = vfm__open_node(path);
	if (dev->fd < 0)
		return vfm__open_error(dev->fd, path, "VFIO device cdev");
	ret = vfm__iommufd_attach(dev, req->devroot, noiommu, req->iommufd, req->ioas_id,
				  req->token, req->ctx);
	if (ret)
		return ret;
	dev->mode = VFIOMAP_MODE_CDEV;
	return 0;
}

static int open_group(struct vfiomap_device *dev, const struct open_req *req,
		      enum vfiomap_mode want)
{
	char grp[64], path[512], noiommu[512];
	const char *devroot = req->devroot;
	struct stat sb;
	bool is_noiommu;
	int ret;

	ret = vfm__sysfs_group(dev->sysfs_root, dev->bdf, grp, sizeof(grp));
	if (ret)
		return vfm__err(-ENOENT,
				   "%s has no IOMMU group: no IOMMU, and no-IOMMU mode is off (load vfio with enable_unsafe_noiommu_mode=1)",
				   dev->bdf);
	snprintf(path, sizeof(path), "%s/vfio/%s", devroot, grp);
	snprintf(noiommu, sizeof(noiommu), "%s/vfio/noiommu-%s", devroot, grp);
	is_noiommu = stat(noiommu, &sb) == 0;
	if (want == VFIOMAP_MODE_NOIOMMU && !is_noiommu)
		return vfm__err(-ENOENT,
				   "%s: no %s; no-IOMMU mode needs vfio.enable_unsafe_noiommu_mode=1 and a device without an IOMMU",
				   dev->bdf, noiommu);
	if (want == VFIOMAP_MODE_GROUP && is_noiommu && stat(path, &sb))
		return vfm__err(-ENOENT,
				   "%s is in a no-IOMMU group (%s); open it with VFIOMAP_MODE_NOIOMMU",
				   dev->bdf, noiommu);
	if (!is_noiommu && stat(path, &sb))
		return vfm__err(-ENOENT,
				   "%s: neither %s nor %s exists: is the device bound to vfio-pci? (for no-IOMMU mode set vfio.enable_unsafe_noiommu_mode=1)",
				   dev->bdf, path, noiommu);

	ret = vfm__group_attach(dev, devroot, is_noiommu ? noiommu : path, grp, is_noiommu,
				req->container_fd, req->ctx);
	if (ret)
		return ret;
	ret = vfm__get_device_fd(dev, req->vf_token);
	if (ret < 0)
		return ret;
	dev->fd = ret;
	dev->mode = is_noiommu ? VFIOMAP_MODE_NOIOMMU : VFIOMAP_MODE_GROUP;
	return 0;
}

static void close_fds(struct vfiomap_device *dev)
{
	if (dev->fd >= 0)
		close(dev->fd);
	dev->fd = -1;
	vfm__ctx_release(dev);
}

#define OPEN_FLAGS_ALL (VFIOMAP_OPEN_WC_SYSFS_FALLBACK | VFIOMAP_OPEN_CONTAINER | \
			VFIOMAP_OPEN_IOMMUFD)
/* the first struct vfiomap_open_opts (0.1) */
#define OPEN_OPTS_MIN offsetof(struct vfiomap_open_opts, reserved_sysfs_root)

/* Options into a request; the mode AUTO narrowed by the context asked for. */
static int check_open_opts(struct vfiomap_open_opts *o, struct open_req *req,
			   uint8_t token[16])
{
	if (o->mode > VFIOMAP_MODE_NOIOMMU)
		return vfm__err(-EINVAL, "unknown open mode %d", (int)o->mode);
	if (o->flags & ~OPEN_FLAGS_ALL)
		return vfm__err(-EINVAL, "unknown open flags 0x%x", o->flags);
	/* a 0.2 program's test hook, else the environment's (sysfs.c) */
	req->devroot = o->reserved_dev_root ? o->reserved_dev_root : vfm__dev_root();
	req->container_fd = req->iommufd = -1;
	req->ioas_id = 0;
	req->vf_token = o->vf_token;
	req->token = NULL;
	req->ctx = NULL;
	if ((o->flags & VFIOMAP_OPEN_CONTAINER) && (o->flags & VFIOMAP_OPEN_IOMMUFD))
		return vfm__err(-EINVAL,
				"VFIOMAP_OPEN_CONTAINER and VFIOMAP_OPEN_IOMMUFD exclude each other");
	if (o->flags & VFIOMAP_OPEN_CONTAINER) {
		if (o->mode == VFIOMAP_MODE_CDEV)
			return vfm__err(-EINVAL,
					"a VFIO container is for the group modes, not VFIOMAP_MODE_CDEV (use VFIOMAP_OPEN_IOMMUFD)");
		if (o->container_fd < 0)
			return vfm__err(-EBADF, "VFIOMAP_OPEN_CONTAINER: bad container fd %d",
					o->container_fd);
		req->container_fd = o->container_fd;
	} else if (o->container_fd) {
		return vfm__err(-EINVAL, "container_fd %d given without VFIOMAP_OPEN_CONTAINER",
				o->container_fd);
	}
	if (o->flags & VFIOMAP_OPEN_IOMMUFD) {
		if (o->mode == VFIOMAP_MODE_GROUP || o->mode == VFIOMAP_MODE_NOIOMMU)
			return vfm__err(-EINVAL,
					"an iommufd is for VFIOMAP_MODE_CDEV, not the group modes (use VFIOMAP_OPEN_CONTAINER)");
		if (o->iommufd < 0)
			return vfm__err(-EBADF, "VFIOMAP_OPEN_IOMMUFD: bad iommufd %d", o->iommufd);
		req->iommufd = o->iommufd;
		req->ioas_id = o->ioas_id;
		o->mode = VFIOMAP_MODE_CDEV;
	} else if (o->iommufd || o->ioas_id) {
		return vfm__err(-EINVAL, "iommufd/ioas_id given without VFIOMAP_OPEN_IOMMUFD");
	}
	if (o->vf_token) {
		if (vfm__parse_uuid(o->vf_token, token))
			return vfm__err(-EINVAL,
					"VF token '%.64s' is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
					o->vf_token);
		req->token = token;
	}
	return 0;
}

/* The context @ctx into the request: it stands for the CONTAINER/IOMMUFD flags. */
static int ctx_request(struct vfiomap_ctx *ctx, struct vfiomap_open_opts *o,
		       struct open_req *req)
{
	bool iommufd;

	if (o->flags & (VFIOMAP_OPEN_CONTAINER | VFIOMAP_OPEN_IOMMUFD))
		return vfm__err(-EINVAL,
				"vfiomap_device_open_in: the context replaces VFIOMAP_OPEN_CONTAINER and VFIOMAP_OPEN_IOMMUFD");
	req->ctx = vfm__ctx_of(ctx, &iommufd);
	if (iommufd && o->mode != VFIOMAP_MODE_AUTO && o->mode != VFIOMAP_MODE_CDEV)
		return vfm__err(-EINVAL,
				"vfiomap_device_open_in: an iommufd context takes cdevs (mode AUTO or CDEV), not %s",
				vfiomap_mode_name(o->mode));
	if (!iommufd && o->mode == VFIOMAP_MODE_CDEV)
		return vfm__err(-EINVAL,
				"vfiomap_device_open_in: a type1 context takes groups, not cdevs (VFIOMAP_MODE_CDEV)");
	if (iommufd) {
		o->mode = VFIOMAP_MODE_CDEV;
		req->iommufd = vfiomap_ctx_fd(ctx, &req->ioas_id);
	} else {
		req->container_fd = vfiomap_ctx_fd(ctx, NULL);	/* AUTO: the group */
	}
	return 0;
}

static int device_open(struct vfiomap_ctx *ctx, const char *bdf,
		       const struct vfiomap_open_opts *opts, struct vfiomap_device **out)
{
	struct vfiomap_open_opts o = { .size = sizeof(o) };
	struct vfiomap_device *dev;
	struct open_req req;
	uint8_t token[16];
	char drv[64];
	int ret;

	if (opts) {
		ret = vfm__copy_opts(&o, sizeof(o), opts, OPEN_OPTS_MIN, "vfiomap_open_opts");
		if (ret)
			return ret;
	}
	ret = check_open_opts(&o, &req, token);
	if (ret)
		return ret;
	if (ctx && (ret = ctx_request(ctx, &o, &req)))
		return ret;

	dev = device_alloc();
	if (!dev)
		return vfm__err(-ENOMEM, "out of memory");
	dev->own_fd = true;
	dev->flags = o.flags;
	if (vfm__parse_bdf(bdf, dev->bdf)) {
		device_free(dev);
		return vfm__err(-EINVAL, "'%s' is not a PCI address (DDDD:BB:DD.F)",
				   bdf ? bdf : "(null)");
	}
	snprintf(dev->sysfs_root, sizeof(dev->sysfs_root), "%s",
		 o.reserved_sysfs_root ? o.reserved_sysfs_root : vfm__sysfs_root());

	ret = vfm__sysfs_driver(dev->sysfs_root, dev->bdf, drv, sizeof(drv));
	if (ret == -ENODEV) {
		ret = vfm__err(-ENODEV, "no PCI device %s", dev->bdf);
		goto fail;
	}
	if (ret) {
		ret = vfm__err(ret, "cannot read the driver of %s: %s", dev->bdf,
				  strerror(-ret));
		goto fail;
	}
	if (!strstr(drv, "vfio")) {
		char unbind[160] = "";

		if (drv[0])
			snprintf(unbind, sizeof(unbind),
				 "echo %s > /sys/bus/pci/devices/%s/driver/unbind; ",
				 dev->bdf, dev->bdf);
		ret = vfm__err(-ENODEV,
				  "%s is %s%s, not vfio-pci; bind it: echo vfio-pci > /sys/bus/pci/devices/%s/driver_override; %secho %s > /sys/bus/pci/drivers_probe",
				  dev->bdf, drv[0] ? "bound to " : "not bound to a driver",
				  drv, dev->bdf, unbind, dev->bdf);
		goto fail;
	}

	switch (o.mode) {
	case VFIOMAP_MODE_CDEV:
		ret = open_cdev(dev, &req);
		break;
	case VFIOMAP_MODE_GROUP:
	case VFIOMAP_MODE_NOIOMMU:
		ret = open_group(dev, &req, o.mode);
		break;
	default: {
		char name[64];

		ret = -ENOENT;
		/* a no-IOMMU cdev only when asked for: AUTO prefers its group */
		if (req.container_fd < 0 &&
		    !vfm__sysfs_cdev(dev->sysfs_root, dev->bdf, name, sizeof(name)) &&
		    strncmp(name, "noiommu-", 8)) {
			/* a failure here is not the call's: logged at DEBUG */
			vfm__attempt_begin();
			ret = open_cdev(dev, &req);
			vfm__attempt_end();
			if (ret) {
				vfm__info("%s: cdev open failed, trying the group", dev->bdf);
				close_fds(dev);
			}
		}
		if (ret)
			ret = open_group(dev, &req, VFIOMAP_MODE_AUTO);
	}
	}
	if (ret)
		goto fail;
	vfm__debug("%s opened (mode %d, fd %d)", dev->bdf, (int)dev->mode, dev->fd);
	*out = dev;
	return 0;
fail:
	close_fds(dev);
	device_free(dev);
	return ret;
}

VFIOMAP_EXPORT int vfiomap_device_open(const char *bdf,
				       const struct vfiomap_open_opts *opts,
				       struct vfiomap_device **out)
{
	if (!out)
		return vfm__err(-EINVAL, "vfiomap_device_open: out is NULL");
	*out = NULL;
	return device_open(NULL, bdf, opts, out);
}

VFIOMAP_EXPORT int vfiomap_device_open_in(struct vfiomap_ctx *ctx, const char *bdf,
					  const struct vfiomap_open_opts *opts,
					  struct vfiomap_device **out)
{
	if (!out)
		return vfm__err(-EINVAL, "vfiomap_device_open_in: out is NULL");
	*out = NULL;
	if (!ctx)
		return vfm__err(-EINVAL, "vfiomap_device_open_in: context is NULL");
	return device_open(ctx, bdf, opts, out);
}

/* Check that sysfs's @bdf is the device behind dev->fd (vendor, device). */
static int check_adopt_bdf(struct vfiomap_device *dev)
{
	struct vfiomap_pci_ids ids = { .size = sizeof(ids) };
	unsigned int vendor, device;
	int ret;

	if (vfm__sysfs_device_exists(dev->sysfs_root, dev->bdf))
		return vfm__err(-ENODEV, "no PCI device %s in %s", dev->bdf, dev->sysfs_root);
	if (vfm__sysfs_read_hex(dev->sysfs_root, dev->bdf, "vendor", &vendor) ||
	    vfm__sysfs_read_hex(dev->sysfs_root, dev->bdf, "device", &device))
		return vfm__err(-ENODEV, "cannot read the IDs of %s from sysfs", dev->bdf);
	ret = vfm__device_pci_ids(dev, &ids);
	if (ret)
		return ret;
	if (ids.vendor != vendor || ids.device != device)
		return vfm__err(-EINVAL,
				"the adopted fd is a %04x:%04x, but %s is a %04x:%04x: wrong address",
				ids.vendor, ids.device, dev->bdf, vendor, device);
	return 0;
}

/*
 * How an adopted fd was opened.  It answered VFIO_DEVICE_GET_INFO, so it is
 * a VFIO device fd: a cdev (/dev/vfio/devices/vfioN) is a character
 * device, a group's device fd an anonymous inode.  Which IOMMU a group has
 * is known only with the device's address: no-IOMMU where its group is a
 * /dev/vfio/noiommu-N, type1 otherwise; without it, AUTO (unknown).
 */
static enum vfiomap_mode adopted_mode(const struct vfiomap_device *dev)
{
	char grp[64], path[512];
	struct stat sb;

	if (fstat(dev->fd, &sb))
		return VFIOMAP_MODE_AUTO;
	if (S_ISCHR(sb.st_mode))
		return VFIOMAP_MODE_CDEV;
	if (!dev->bdf[0] || vfm__sysfs_group(dev->sysfs_root, dev->bdf, grp, sizeof(grp)))
		return VFIOMAP_MODE_AUTO;
	if ((size_t)snprintf(path, sizeof(path), "%s/vfio/noiommu-%s", vfm__dev_root(), grp) >=
	    sizeof(path))
		return VFIOMAP_MODE_AUTO;
	return stat(path, &sb) == 0 ? VFIOMAP_MODE_NOIOMMU : VFIOMAP_MODE_GROUP;
}

#define ADOPT_FLAGS_ALL (VFIOMAP_ADOPT_WC_SYSFS_FALLBACK | VFIOMAP_ADOPT_OWN_FD)
#define ADOPT_OPTS_MIN (offsetof(struct vfiomap_adopt_opts, reserved_sysfs_root) + \
			sizeof(char *))

/* @own: @device_fd is handed over; else the library works on a duplicate. */
static int adopt(int device_fd, bool own, const struct vfiomap_adopt_opts *o,
		 struct vfiomap_device **out)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfiomap_device *dev;
	int ret;

	dev = device_alloc();
	if (!dev)
		return vfm__err(-ENOMEM, "out of memory");
	dev->mode = VFIOMAP_MODE_AUTO;
	snprintf(dev->sysfs_root, sizeof(dev->sysfs_root), "%s",
		 o->reserved_sysfs_root ? o->reserved_sysfs_root : vfm__sysfs_root());
	if (o->flags & VFIOMAP_ADOPT_WC_SYSFS_FALLBACK)
		dev->flags |= VFIOMAP_OPEN_WC_SYSFS_FALLBACK;
	if (o->bdf && vfm__parse_bdf(o->bdf, dev->bdf)) {
		device_free(dev);
		return vfm__err(-EINVAL, "'%s' is not a PCI address (DDDD:BB:DD.F)", o->bdf);
	}
	if (own) {
		dev->fd = device_fd;
	} else {
		dev->fd = fcntl(device_fd, F_DUPFD_CLOEXEC, 0);
		if (dev->fd < 0) {
			ret = -errno;
			device_free(dev);
			return vfm__err(ret, "cannot duplicate device fd %d: %s", device_fd,
					strerror(-ret));
		}
	}
	dev->own_fd = true;
	ret = vfm__ioctl(dev, dev->fd, VFIO_DEVICE_GET_INFO, &info);
	if (ret) {
		if (own)
			dev->own_fd = false;	/* not ours after a failure */
		device_free(dev);
		return vfm__err(ret == -EINVAL ? -ENOTTY : ret,
				   "fd %d is not a usable VFIO device: %s", device_fd,
				   strerror(-ret));
	}
	dev->info.flags = info.flags;
	dev->info.num_regions = info.num_regions;
	dev->info.num_irqs = info.num_irqs;
	dev->info_valid = true;
	if (dev->bdf[0] && (ret = check_adopt_bdf(dev))) {
		if (own)
			dev->own_fd = false;
		device_free(dev);
		return ret;
	}
	dev->mode = adopted_mode(dev);
	*out = dev;
	return 0;
}

VFIOMAP_EXPORT int vfiomap_device_adopt_opts(int device_fd,
					     const struct vfiomap_adopt_opts *opts,
					     struct vfiomap_device **out)
{
	struct vfiomap_adopt_opts o = { .size = sizeof(o) };
	int ret;

	if (!out)
		return vfm__err(-EINVAL, "vfiomap_device_adopt_opts: out is NULL");
	*out = NULL;
	if (device_fd < 0)
		return vfm__err(-EINVAL, "vfiomap_device_adopt_opts: bad fd %d", device_fd);
	if (opts) {
		ret = vfm__copy_opts(&o, sizeof(o), opts, ADOPT_OPTS_MIN, "vfiomap_adopt_opts");
		if (ret)
			return ret;
	}
	if (o.flags & ~ADOPT_FLAGS_ALL)
		return vfm__err(-EINVAL,
				"vfiomap_adopt_opts: unknown flags 0x%x (VFIOMAP_ADOPT_*, not VFIOMAP_OPEN_*)",
				o.flags);
	if ((o.flags & VFIOMAP_ADOPT_WC_SYSFS_FALLBACK) && !o.bdf)
		return vfm__err(-EINVAL,
				"VFIOMAP_ADOPT_WC_SYSFS_FALLBACK needs the device's address (bdf)");
	return adopt(device_fd, o.flags & VFIOMAP_ADOPT_OWN_FD, &o, out);
}

/* 0.3: duplicates the fd (0.2's behaviour; the 0.1 entry is lib/compat.c's) */
VFM_SYMVER(vfm__device_adopt, "vfiomap_device_adopt@@LIBVFIOMAP_0.3");
VFIOMAP_EXPORT int vfm__device_adopt(int device_fd, uint32_t flags,
				     struct vfiomap_device **out)
{
	struct vfiomap_adopt_opts o = { .size = sizeof(o) };

	if (!out)
		return vfm__err(-EINVAL, "vfiomap_device_adopt: out is NULL");
	*out = NULL;
	if (device_fd < 0)
		return vfm__err(-EINVAL, "vfiomap_device_adopt: bad fd %d", device_fd);
	if (flags & ~VFIOMAP_ADOPT_OWN_FD)
		return vfm__err(-EINVAL, "vfiomap_device_adopt: unknown flags 0x%x", flags);
	return adopt(device_fd, flags & VFIOMAP_ADOPT_OWN_FD, &o, out);
}

VFIOMAP_EXPORT void vfiomap_device_close(struct vfiomap_device *dev)
{
	VFM_LOG_SCOPE(dev);
	if (!dev)
		return;
	while (dev->mappings)
		vfiomap_unmap(dev->mappings);
	while (dev->cookies)		/* unlinks and frees, even on failure */
		vfm__cookie_drop(dev->cookies);
	device_free(dev);
}

VFIOMAP_EXPORT int vfiomap_device_fd(const struct vfiomap_device *dev)
{
	if (!dev)
		return vfm__err(-EINVAL, "vfiomap_device_fd: device is NULL");
	return dev->fd;
}

VFIOMAP_EXPORT enum vfiomap_mode vfiomap_device_mode(const struct vfiomap_device *dev)
{
	return dev ? dev->mode : VFIOMAP_MODE_AUTO;
}

VFIOMAP_EXPORT const char *vfiomap_device_bdf(const struct vfiomap_device *dev)
{
	return dev && dev->bdf[0] ? dev->bdf : NULL;
}

void vfm__dev_lock(struct vfiomap_device *dev)
{
	pthread_mutex_lock(&dev->lock);
	vfm__log_hold();
}

void vfm__dev_unlock(struct vfiomap_device *dev)
{
	pthread_mutex_unlock(&dev->lock);
	vfm__log_release();
}

int vfm__device_info_locked(struct vfiomap_device *dev)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	int ret;

	if (dev->info_valid)
		return 0;
	ret = vfm__ioctl(dev, dev->fd, VFIO_DEVICE_GET_INFO, &info);
	if (ret)
		return vfm__err(ret, "VFIO_DEVICE_GET_INFO: %s", strerror(-ret));
	dev->info.flags = info.flags;
	dev->info.num_regions = info.num_regions;
	dev->info.num_irqs = info.num_irqs;
	dev->info_valid = true;
	return 0;
}

/* 0.3: the struct starts with its size (the 0.1 layout: lib/compat.c) */
VFM_SYMVER(vfm__device_get_info, "vfiomap_device_get_info@@LIBVFIOMAP_0.3");
VFIOMAP_EXPORT int vfm__device_get_info(struct vfiomap_device *dev,
					struct vfiomap_device_info *info)
{
	VFM_LOG_SCOPE(dev);
	struct vfiomap_device_info o = { .size = sizeof(o) };
	int ret;

	if (!vfm__device_valid(dev) || !info)
		return vfm__err(-EINVAL, "vfiomap_device_get_info: NULL argument");
	ret = vfm__out_size(info->size, VFM_OUT_MIN(struct vfiomap_device_info, flags),
			    "vfiomap_device_get_info", "info->size", "struct vfiomap_device_info");
	if (ret)
		return ret;
	vfm__dev_lock(dev);
	ret = vfm__device_info_locked(dev);
	if (!ret) {
		o.flags = dev->info.flags;
		o.num_regions = dev->info.num_regions;
		o.num_irqs = dev->info.num_irqs;
	}
	vfm__dev_unlock(dev);
	if (ret)
		return ret;
	VFM_OUT(info, info->size, &o, flags);
	VFM_OUT(info, info->size, &o, num_regions);
	VFM_OUT(info, info->size, &o, num_irqs);
	return 0;
}

/* lib/testing.h: for the tests and benchmarks, exported for 0.1 and 0.2 programs */
VFIOMAP_EXPORT uint64_t vfiomap_device_ioctl_count(const struct vfiomap_device *dev)
{
	return dev ? atomic_load(&((struct vfiomap_device *)dev)->ioctls) : 0;
}

/* 0.3: the struct starts with its size (the 0.2 layout: lib/compat.c) */
VFM_SYMVER(vfm__device_pci_ids, "vfiomap_device_pci_ids@@LIBVFIOMAP_0.3");
VFIOMAP_EXPORT int vfm__device_pci_ids(struct vfiomap_device *dev,
				       struct vfiomap_pci_ids *ids)
{
	VFM_LOG_SCOPE(dev);
	struct vfiomap_pci_ids o = { .size = sizeof(o) };
	uint8_t c[0x30];
	ssize_t n;
	int ret;

	if (!vfm__device_valid(dev) || !ids)
		return vfm__err(-EINVAL, "vfiomap_device_pci_ids: NULL argument");
	ret = vfm__out_size(ids->size, VFM_OUT_MIN(struct vfiomap_pci_ids, vendor),
			    "vfiomap_device_pci_ids", "ids->size", "struct vfiomap_pci_ids");
	if (ret)
		return ret;
	/* config space: works for adopted fds too (no sysfs needed) */
	n = vfiomap_region_read(dev, VFIO_PCI_CONFIG_REGION_INDEX, 0, c, sizeof(c));
	if (n < 0)
		return (int)n;
	if (n != (ssize_t)sizeof(c))
		return vfm__err(-EIO, "short read of the config space header (%zd bytes)", n);
	o.vendor = (uint16_t)(c[0] | c[1] << 8);
	o.device = (uint16_t)(c[2] | c[3] << 8);
	o.revision = c[8];
	o.class_code = (uint32_t)(c[9] | c[10] << 8 | c[11] << 16);
	o.subsystem_vendor = (uint16_t)(c[0x2c] | c[0x2d] << 8);
	o.subsystem_device = (uint16_t)(c[0x2e] | c[0x2f] << 8);
	VFM_OUT(ids, ids->size, &o, vendor);
	VFM_OUT(ids, ids->size, &o, device);
	VFM_OUT(ids, ids->size, &o, subsystem_vendor);
	VFM_OUT(ids, ids->size, &o, subsystem_device);
	VFM_OUT(ids, ids->size, &o, class_code);
	VFM_OUT(ids, ids->size, &o, revision);
	return 0;
}

/* 0.3: "vvvv:dddd", as since 0.2 (0.1 gave libpci's names; lib/compat.c) */
VFM_SYMVER(vfm__device_name, "vfiomap_device_name@@LIBVFIOMAP_0.3");
VFIOMAP_EXPORT int vfm__device_name(const struct vfiomap_device *dev, char *buf,
				    size_t len)
{
	VFM_LOG_SCOPE(dev);
	struct vfiomap_pci_ids ids = { .size = sizeof(ids) };
	int ret;

	if (!dev || !buf || !len)
		return vfm__err(-EINVAL, "vfiomap_device_name: NULL argument");
	ret = vfm__device_pci_ids((struct vfiomap_device *)dev, &ids);
	if (ret)
		return ret;
	snprintf(buf, len, "%04x:%04x", ids.vendor, ids.device);
	return 0;
}

VFIOMAP_EXPORT const char *vfiomap_mode_name(enum vfiomap_mode mode)
{
	switch (mode) {
	case VFIOMAP_MODE_AUTO: return "auto";
	case VFIOMAP_MODE_CDEV: return "iommufd cdev";
	case VFIOMAP_MODE_GROUP: return "type1 group";
	case VFIOMAP_MODE_NOIOMMU: return "no-IOMMU group";
	}
	return "unknown";
}
