// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * IOMMU contexts: the VFIO container (group modes) or the iommufd + IOAS
 * (cdev mode) a device is attached to.  A context is shared by the
 * devices opened into it and lives until the last of them closes.  A VFIO
 * group can be opened only once, so its fd is shared too: the contexts
 * of this process are in one list (under ctx_lock), and a second device
 * of an open group finds its group there.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

#include "uapi/vfio_iommufd_cdev.h"

/* VFIO_DEVICE_BIND_IOMMUFD as of Linux 6.17 (the token appended) */
struct vfm_bind_iommufd {
	uint32_t argsz;
	uint32_t flags;
	int32_t iommufd;
	uint32_t out_devid;
	uint64_t token_uuid_ptr __attribute__((aligned(8)));
};
#define VFM_BIND_FLAG_TOKEN (1u << 0)

struct vfm_group {
	char path[512];		/* the group node: the key */
	int fd;
	unsigned int refs;	/* devices */
	struct vfm_group *next;
};

struct vfm_ctx {
	int fd;			/* container or iommufd: the library's */
	bool iommufd;
	bool noiommu;		/* a no-IOMMU container */
	bool iommu_set;		/* VFIO_SET_IOMMU done (containers) */
	bool adopted;		/* the caller made it: its state is unknown */
	uint32_t ioas_id;
	unsigned int refs;	/* devices */
	pid_t pid;		/* the process that made it (see ctx_ours()) */
	bool ioas_ours;		/* the library allocated ioas_id: it destroys it */
	struct vfm_group *groups;
	struct vfm_ctx *next;
};

static pthread_mutex_t ctx_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vfm_ctx *contexts;

/*
 * fork(): a child inherits the list with the parent's contexts and group
 * fds, which are the parent's: the child never joins them (opening a device
 * of such a group again in the child gets the kernel's EBUSY, not the
 * parent's container), it only drops its copies when it closes inherited
 * handles.  And no fork() happens while a thread holds ctx_lock or the log
 * lock: the child would inherit them locked.
 */
static bool ctx_ours(const struct vfm_ctx *c)
{
	return c->pid == getpid();
}

static void atfork_prepare(void)
{
	pthread_mutex_lock(&ctx_lock);
	vfm__log_lock_for_fork();
}

static void atfork_parent(void)
{
	vfm__log_unlock_after_fork(false);
	pthread_mutex_unlock(&ctx_lock);
}

static void atfork_child(void)
{
	vfm__log_unlock_after_fork(true);
	pthread_mutex_unlock(&ctx_lock);
}

__attribute__((constructor)) static void atfork_register(void)
{
	/* nothing to report if it fails (ENOMEM): forks then take no locks */
	(void)pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

/* The log callback never runs under ctx_lock (see error.c). */
static void lock(void)
{
	pthread_mutex_lock(&ctx_lock);
	vfm__log_hold();
}

static void unlock(void)
{
	pthread_mutex_unlock(&ctx_lock);
	vfm__log_release();
}

int vfm__open_error(int err, const char *path, const char *what)
{
	switch (err) {
	case -EACCES:
	case -EPERM:
		return vfm__err(err,
				"no permission to open %s (%s): run as root or grant access to the VFIO nodes",
				path, what);
	case -ENOENT:
		return vfm__err(-ENOENT, "%s does not exist (%s)", path, what);
	case -EBUSY:
		return vfm__err(-EBUSY, "%s is busy (%s already open elsewhere?)", path, what);
	default:
		return vfm__err(err, "cannot open %s (%s): %s", path, what, strerror(-err));
	}
}

static int open_node(const char *path, const char *what)
{
	int fd = vfm__open_node(path);

	return fd >= 0 ? fd : vfm__open_error(fd, path, what);
}

/* A UUID "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" into 16 bytes. */
int vfm__parse_uuid(const char *s, uint8_t out[16])
{
	int n = 0;

	if (!s)
		return -EINVAL;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -EINVAL;
			continue;
		}
		char c = s[i];
		int v = c >= '0' && c <= '9' ? c - '0' :
			c >= 'a' && c <= 'f' ? c - 'a' + 10 :
			c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

		if (v < 0)
			return -EINVAL;
		if (n % 2 == 0)
			out[n / 2] = (uint8_t)(v << 4);
		else
			out[n / 2] |= (uint8_t)v;
		n++;
	}
	return s[36] ? -EINVAL : 0;
}

/*
 * Is @fd (the caller's) the context's open file?  Our own fd number, or a
 * descriptor of the same open file (kcmp(2)): fd numbers alone are not
 * enough, the caller may have closed the fd we duplicated and got its
 * number back for another container.  Without kcmp only our own number
 * matches.
 */
static bool ctx_has_fd(const struct vfm_ctx *c, int fd)
{
	if (fd < 0)
		return false;
	if (c->fd == fd)
		return true;
#ifdef SYS_kcmp
	pid_t pid = getpid();

	return syscall(SYS_kcmp, pid, pid, 0 /* KCMP_FILE */, c->fd, fd) == 0;
#else
	return false;
#endif
}

static struct vfm_group *find_group(const char *path, struct vfm_ctx **owner)
{
	for (struct vfm_ctx *c = contexts; c; c = c->next)
		for (struct vfm_group *g = c->groups; g && ctx_ours(c); g = g->next)
			if (!strcmp(g->path, path)) {
				*owner = c;
				return g;
			}
	return NULL;
}

static int ctx_new(int user_fd, const char *what, struct vfm_ctx **out)
{
	struct vfm_ctx *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (!c)
		return vfm__err(-ENOMEM, "out of memory");
	c->fd = -1;
	if (user_fd >= 0) {
		/* ours: the caller may close theirs whenever it likes */
		c->fd = fcntl(user_fd, F_DUPFD_CLOEXEC, 0);
		if (c->fd < 0) {
			int err = -errno;

			free(c);
			return vfm__err(err, "cannot duplicate the %s fd %d: %s", what,
					user_fd, strerror(-err));
		}
		c->adopted = true;
	}
	c->pid = getpid();
	*out = c;
	return 0;
}

/*
 * Free a context: what the library allocated goes, nothing else.  An IOAS
 * the library allocated in a caller's iommufd would outlive our duplicate
 * of the fd (the caller's keeps the iommufd, and every IOAS in it, alive),
 * so it is destroyed first; its devices are closed by then (a device fd
 * is closed before its context is released), which detached them.
 */
static void ctx_free(struct vfm_ctx *c)
{
	if (c->fd >= 0 && c->iommufd && c->ioas_ours) {
		struct iommu_destroy d = { .size = sizeof(d), .id = c->ioas_id };
		int ret = vfm__ioctl(NULL, c->fd, IOMMU_DESTROY, &d);

		if (ret)
			vfm__debug("IOMMU_DESTROY of IOAS %u: %s", c->ioas_id, strerror(-ret));
	}
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

static void ctx_link(struct vfm_ctx *c)
{
	c->next = contexts;
	contexts = c;
}

static void ctx_unlink(struct vfm_ctx *c)
{
	for (struct vfm_ctx **pp = &contexts; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			return;
		}
}

/*
 * Attach the group at @path to a container: the one the group is already
 * in (another device of the group is open), the caller's @container_fd
 * (-1: none), or a new one.  Sets dev->ctx, dev->grp, dev->group,
 * dev->container.
 */
int vfm__group_attach(struct vfiomap_device *dev, const char *devroot,
		      const char *path, const char *grp, bool noiommu, int container_fd)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	struct vfm_ctx *c = NULL, *owner;
	struct vfm_group *g;
	bool new_ctx = false;
	int ret;

	lock();
	g = find_group(path, &owner);
	if (g) {
		if (container_fd >= 0 && !ctx_has_fd(owner, container_fd)) {
			ret = vfm__err(-EBUSY,
				       "group %s of %s is already attached to another container of this process (fd %d): a group can be opened once; open its devices with that container",
				       grp, dev->bdf, owner->fd);
			goto out;
		}
		g->refs++;
		owner->refs++;
		c = owner;
		goto done;
	}
	for (struct vfm_ctx *i = contexts; i && container_fd >= 0; i = i->next)
		if (ctx_ours(i) && ctx_has_fd(i, container_fd)) {
			c = i;
			break;
		}
	if (c && c->iommufd) {
		ret = vfm__err(-EINVAL, "fd %d is an iommufd (cdev mode), not a VFIO container",
			       container_fd);
		goto out;
	}
	if (c && c->iommu_set && c->noiommu != noiommu) {
		ret = vfm__err(-EINVAL,
			       "%s: a %s group cannot join a %s container",
			       dev->bdf, noiommu ? "no-IOMMU" : "type1",
			       c->noiommu ? "no-IOMMU" : "type1");
		goto out;
	}
	if (!c) {
		char cpath[512];

		ret = ctx_new(container_fd, "container", &c);
		if (ret)
			goto out;
		new_ctx = true;
		c->noiommu = noiommu;
		if (c->fd < 0) {
			snprintf(cpath, sizeof(cpath), "%s/vfio/vfio", devroot);
			c->fd = open_node(cpath, "VFIO container");
			if (c->fd < 0) {
				ret = c->fd;
				goto fail_ctx;
			}
		}
	}
	g = calloc(1, sizeof(*g));
	if (!g) {
		ret = vfm__err(-ENOMEM, "out of memory");
		goto fail_ctx;
	}
	snprintf(g->path, sizeof(g->path), "%s", path);
	g->fd = open_node(path, "VFIO group");
	if (g->fd < 0) {
		ret = g->fd;
		goto fail_group;
	}
	ret = vfm__ioctl(dev, g->fd, VFIO_GROUP_GET_STATUS, &st);
	if (ret) {
		ret = vfm__err(ret, "VFIO_GROUP_GET_STATUS: %s", strerror(-ret));
		goto fail_group;
	}
	if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		ret = vfm__err(-EBUSY,
			       "group %s of %s is not viable: bind every device of the group to vfio-pci",
			       grp, dev->bdf);
		goto fail_group;
	}
	ret = vfm__ioctl(dev, g->fd, VFIO_GROUP_SET_CONTAINER, &c->fd);
	if (ret) {
		ret = vfm__err(ret, "VFIO_GROUP_SET_CONTAINER (group %s, container fd %d): %s",
			       grp, c->fd, strerror(-ret));
		goto fail_group;
	}
	if (!c->iommu_set) {
		ret = vfm__ioctl(dev, c->fd, VFIO_SET_IOMMU,
				 (void *)(uintptr_t)(noiommu ? VFIO_NOIOMMU_IOMMU
							     : VFIO_TYPE1v2_IOMMU));
		/* the caller's container may have its IOMMU set already */
		if (ret == -EINVAL && c->adopted) {
			vfm__debug("container fd %d: VFIO_SET_IOMMU refused, taken as set",
				   container_fd);
			ret = 0;
		}
		if (ret) {
			ret = vfm__err(ret, "VFIO_SET_IOMMU (%s): %s",
				       noiommu ? "no-IOMMU" : "type1v2", strerror(-ret));
			goto fail_group;
		}
		c->iommu_set = true;
		c->noiommu = noiommu;
	}
	g->refs = 1;
	g->next = c->groups;
	c->groups = g;
	c->refs++;
	if (new_ctx)
		ctx_link(c);
done:
	dev->ctx = c;
	dev->grp = g;
	dev->group = g->fd;
	dev->container = c->fd;
	ret = 0;
	goto out;
fail_group:
	if (g->fd >= 0)
		close(g->fd);	/* also takes the group out of the container */
	free(g);
fail_ctx:
	if (new_ctx)
		ctx_free(c);
out:
	unlock();
	return ret;
}

/* VFIO_GROUP_GET_DEVICE_FD on the device's group, with the VF token */
int vfm__get_device_fd(struct vfiomap_device *dev, const char *vf_token)
{
	char name[VFM_BDF_LEN + 64];
	int ret;

	if (vf_token)
		snprintf(name, sizeof(name), "%s vf_token=%s", dev->bdf, vf_token);
	else
		snprintf(name, sizeof(name), "%s", dev->bdf);
	ret = vfm__ioctl(dev, dev->group, VFIO_GROUP_GET_DEVICE_FD, name);
	if (ret < 0)
		return vfm__err(ret, "VFIO_GROUP_GET_DEVICE_FD %s%s: %s", dev->bdf,
				vf_token ? " (with a VF token)" : "", strerror(-ret));
	return ret;
}

/*
 * Bind the cdev dev->fd to an iommufd and attach it to an IOAS: the
 * caller's (@iommufd >= 0, @ioas_id; 0 allocates one), or a new one.
 */
int vfm__iommufd_attach(struct vfiomap_device *dev, const char *devroot, bool noiommu,
			int iommufd, uint32_t ioas_id, const uint8_t *token)
{
	struct vfm_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
	struct vfm_ctx *c = NULL;
	bool new_ctx = false;
	int ret;

	lock();
	for (struct vfm_ctx *i = contexts; i && iommufd >= 0 && ioas_id; i = i->next)
		if (ctx_ours(i) && ctx_has_fd(i, iommufd) && i->iommufd &&
		    i->ioas_id == ioas_id) {
			c = i;
			break;
		}
	for (struct vfm_ctx *i = contexts; !c && i && iommufd >= 0; i = i->next)
		if (ctx_ours(i) && ctx_has_fd(i, iommufd) && !i->iommufd) {
			ret = vfm__err(-EINVAL, "fd %d is a VFIO container (group mode), not an iommufd",
				       iommufd);
			goto out;
		}
	if (!c) {
		char path[512];

		ret = ctx_new(iommufd, "iommufd", &c);
		if (ret)
			goto out;
		new_ctx = true;
		c->iommufd = true;
		if (c->fd < 0) {
			snprintf(path, sizeof(path), "%s/iommu", devroot);
			c->fd = open_node(path, "iommufd");
			if (c->fd < 0) {
				ret = c->fd;
				goto fail;
			}
		}
	}
	bind.iommufd = c->fd;
	if (token) {
		bind.flags = VFM_BIND_FLAG_TOKEN;
		bind.token_uuid_ptr = (uintptr_t)token;
	}
	ret = vfm__ioctl(dev, dev->fd, VFIO_DEVICE_BIND_IOMMUFD, &bind);
	if (ret) {
		ret = vfm__err(ret, "VFIO_DEVICE_BIND_IOMMUFD on %s%s%s: %s", dev->bdf,
			       noiommu ? " (no-IOMMU cdev: needs CAP_SYS_RAWIO)" : "",
			       token && ret == -EINVAL ?
			       " (a VF token needs Linux 6.17+ in cdev mode; use the group)" : "",
			       strerror(-ret));
		goto fail;
	}
	if (noiommu) {
		/* nothing to attach: no IOMMU translates for this device */
		ret = 0;
		goto done;
	}
	if (new_ctx && !ioas_id) {
		struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };

		ret = vfm__ioctl(dev, c->fd, IOMMU_IOAS_ALLOC, &alloc);
		if (ret) {
			ret = vfm__err(ret, "IOMMU_IOAS_ALLOC: %s", strerror(-ret));
			goto fail;
		}
		ioas_id = alloc.out_ioas_id;
		c->ioas_ours = true;
	}
	if (new_ctx)
		c->ioas_id = ioas_id;
	at.pt_id = c->ioas_id;
	ret = vfm__ioctl(dev, dev->fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at);
	if (ret) {
		ret = vfm__err(ret, "VFIO_DEVICE_ATTACH_IOMMUFD_PT on %s (IOAS %u): %s",
			       dev->bdf, c->ioas_id, strerror(-ret));
		goto fail;
	}
done:
	c->refs++;
	if (new_ctx)
		ctx_link(c);
	dev->ctx = c;
	dev->container = c->fd;
	goto out;
fail:
	/* the bind goes with the device fd, which the caller closes */
	if (new_ctx)
		ctx_free(c);
out:
	unlock();
	return ret;
}

/* Drop the device's references of its group and context (fd closed first). */
void vfm__ctx_release(struct vfiomap_device *dev)
{
	struct vfm_ctx *c = dev->ctx;
	struct vfm_group *g = dev->grp;

	if (!c)
		return;
	lock();
	if (g && !--g->refs) {
		for (struct vfm_group **pp = &c->groups; *pp; pp = &(*pp)->next)
			if (*pp == g) {
				*pp = g->next;
				break;
			}
		close(g->fd);
		free(g);
	}
	if (!--c->refs) {
		ctx_unlink(c);
		ctx_free(c);
	}
	unlock();
	dev->ctx = NULL;
	dev->grp = NULL;
	dev->group = dev->container = -1;
}

VFIOMAP_EXPORT int vfiomap_device_container_fd(const struct vfiomap_device *dev)
{
	if (!dev)
		return vfm__err(-EINVAL, "vfiomap_device_container_fd: device is NULL");
	if (!dev->ctx || dev->ctx->iommufd)
		return vfm__err(-ENOENT, "%s has no VFIO container (%s)",
				dev->bdf[0] ? dev->bdf : "the adopted device",
				dev->ctx ? "opened as an iommufd cdev: see vfiomap_device_iommufd()"
					 : "adopted: its IOMMU context is its owner's");
	return dev->ctx->fd;
}

VFIOMAP_EXPORT int vfiomap_device_iommufd(const struct vfiomap_device *dev, uint32_t *ioas_id)
{
	if (!dev)
		return vfm__err(-EINVAL, "vfiomap_device_iommufd: device is NULL");
	if (!dev->ctx || !dev->ctx->iommufd)
		return vfm__err(-ENOENT, "%s has no iommufd (%s)",
				dev->bdf[0] ? dev->bdf : "the adopted device",
				dev->ctx ? "opened through its group: see vfiomap_device_container_fd()"
					 : "adopted: its IOMMU context is its owner's");
	if (ioas_id)
		*ioas_id = dev->ctx->ioas_id;
	return dev->ctx->fd;
}
