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
		      const char *path, const char *grp, bool noiommu, int container_fd,
		      struct vfm_ctx *want)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	struct vfm_ctx *c = NULL, *owner;
	struct vfm_group *g;
	bool new_ctx = false;
	int ret;

	lock();
	if (want && !ctx_ours(want)) {
		ret = vfm__err(-EINVAL, "the IOMMU context was made by the parent process: a child does not join it");
		goto out;
	}
	g = find_group(path, &owner);
	if (g) {
		if ((want && owner != want) ||
		    (!want && container_fd >= 0 && !ctx_has_fd(owner, container_fd))) {
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
	c = want;
	for (struct vfm_ctx *i = contexts; !c && i && container_fd >= 0; i = i->next)
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
			int iommufd, uint32_t ioas_id, const uint8_t *token,
			struct vfm_ctx *want)
{
	struct vfm_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
	struct vfm_ctx *c = want;
	bool new_ctx = false;
	int ret;

	lock();
	if (want && !ctx_ours(want)) {
		ret = vfm__err(-EINVAL, "the IOMMU context was made by the parent process: a child does not join it");
		goto out;
	}
	for (struct vfm_ctx *i = contexts; !c && i && iommufd >= 0 && ioas_id; i = i->next)
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
		/* the kernel drops the IOMMU (and its mappings) with the last group */
		if (!c->groups && !c->adopted)
			c->iommu_set = c->noiommu = false;
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
	VFM_LOG_SCOPE(dev);
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
	VFM_LOG_SCOPE(dev);
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

/*
 * The public context (vfiomap_ctx_create(), vfiomap_ctx_adopt()): a
 * reference of a struct vfm_ctx, linked like the ones vfiomap_device_open()
 * makes, so that devices opened into it find it.  The handle holds one
 * reference, each device one more.
 */
struct vfiomap_ctx {
	struct vfm_ctx *c;
};

#define CTX_OPTS_MIN (offsetof(struct vfiomap_ctx_opts, mode) + sizeof(enum vfiomap_ctx_mode))

struct vfm_ctx *vfm__ctx_of(struct vfiomap_ctx *ctx, bool *iommufd)
{
	*iommufd = ctx->c->iommufd;
	return ctx->c;
}

static int handle_new(struct vfm_ctx *c, struct vfiomap_ctx **out)
{
	struct vfiomap_ctx *h = calloc(1, sizeof(*h));

	if (!h) {
		ctx_free(c);
		return vfm__err(-ENOMEM, "out of memory");
	}
	h->c = c;
	c->refs = 1;
	lock();
	ctx_link(c);
	unlock();
	*out = h;
	return 0;
}

/* A new iommufd with a new IOAS, or a new container: into *@out. */
static int ctx_create(bool iommufd, struct vfm_ctx **out)
{
	char path[512];
	struct vfm_ctx *c;
	int ret;

	ret = ctx_new(-1, NULL, &c);
	if (ret)
		return ret;
	c->iommufd = iommufd;
	snprintf(path, sizeof(path), iommufd ? "%s/iommu" : "%s/vfio/vfio", vfm__dev_root());
	c->fd = open_node(path, iommufd ? "iommufd" : "VFIO container");
	if (c->fd < 0) {
		ret = c->fd;
		free(c);
		return ret;
	}
	if (iommufd) {
		struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };

		ret = vfm__ioctl(NULL, c->fd, IOMMU_IOAS_ALLOC, &alloc);
		if (ret) {
			ctx_free(c);
			return vfm__err(ret, "IOMMU_IOAS_ALLOC: %s", strerror(-ret));
		}
		c->ioas_id = alloc.out_ioas_id;
		c->ioas_ours = true;
	}
	*out = c;
	return 0;
}

VFIOMAP_EXPORT int vfiomap_ctx_create(const struct vfiomap_ctx_opts *opts,
				      struct vfiomap_ctx **out)
{
	struct vfiomap_ctx_opts o = { .size = sizeof(o) };
	struct vfm_ctx *c;
	int ret;

	if (!out)
		return vfm__err(-EINVAL, "vfiomap_ctx_create: out is NULL");
	*out = NULL;
	if (opts) {
		ret = vfm__copy_opts(&o, sizeof(o), opts, CTX_OPTS_MIN, "vfiomap_ctx_opts");
		if (ret)
			return ret;
	}
	if (o.mode > VFIOMAP_CTX_IOMMUFD)
		return vfm__err(-EINVAL, "vfiomap_ctx_create: unknown mode %d", (int)o.mode);
	if (o.flags)
		return vfm__err(-EINVAL, "vfiomap_ctx_create: unknown flags 0x%x", o.flags);
	if (o.mode == VFIOMAP_CTX_AUTO) {
		/* a failure here is not the call's: logged at DEBUG */
		vfm__attempt_begin();
		ret = ctx_create(true, &c);
		vfm__attempt_end();
		if (ret) {
			vfm__info("no usable /dev/iommu, a type1 container instead");
			ret = ctx_create(false, &c);
		}
	} else {
		ret = ctx_create(o.mode == VFIOMAP_CTX_IOMMUFD, &c);
	}
	return ret ? ret : handle_new(c, out);
}

VFIOMAP_EXPORT int vfiomap_ctx_adopt(enum vfiomap_ctx_mode mode, int fd, uint32_t ioas_id,
				     struct vfiomap_ctx **out)
{
	struct vfm_ctx *c;
	int ret;

	if (!out)
		return vfm__err(-EINVAL, "vfiomap_ctx_adopt: out is NULL");
	*out = NULL;
	if (mode != VFIOMAP_CTX_TYPE1 && mode != VFIOMAP_CTX_IOMMUFD)
		return vfm__err(-EINVAL,
				"vfiomap_ctx_adopt: mode must be VFIOMAP_CTX_TYPE1 or VFIOMAP_CTX_IOMMUFD, not %d",
				(int)mode);
	if (fd < 0)
		return vfm__err(-EINVAL, "vfiomap_ctx_adopt: bad fd %d", fd);
	if (mode == VFIOMAP_CTX_IOMMUFD && !ioas_id)
		return vfm__err(-EINVAL, "vfiomap_ctx_adopt: an iommufd context needs its IOAS id");
	if (mode == VFIOMAP_CTX_TYPE1 && ioas_id)
		return vfm__err(-EINVAL, "vfiomap_ctx_adopt: a VFIO container has no IOAS (ioas_id %u)",
				ioas_id);
	ret = ctx_new(fd, mode == VFIOMAP_CTX_IOMMUFD ? "iommufd" : "container", &c);
	if (ret)
		return ret;
	c->iommufd = mode == VFIOMAP_CTX_IOMMUFD;
	c->ioas_id = ioas_id;
	return handle_new(c, out);
}

VFIOMAP_EXPORT int vfiomap_ctx_destroy(struct vfiomap_ctx *ctx)
{
	struct vfm_ctx *c;

	if (!ctx)
		return 0;
	c = ctx->c;
	lock();
	if (c->refs > 1) {
		unsigned int n = c->refs - 1;

		unlock();
		return vfm__err(-EBUSY,
				"vfiomap_ctx_destroy: %u device%s opened into the context still open: close them first",
				n, n == 1 ? " is" : "s are");
	}
	ctx_unlink(c);
	unlock();
	ctx_free(c);
	free(ctx);
	return 0;
}

VFIOMAP_EXPORT enum vfiomap_ctx_mode vfiomap_ctx_mode(const struct vfiomap_ctx *ctx)
{
	if (!ctx)
		return VFIOMAP_CTX_AUTO;
	return ctx->c->iommufd ? VFIOMAP_CTX_IOMMUFD : VFIOMAP_CTX_TYPE1;
}

VFIOMAP_EXPORT int vfiomap_ctx_fd(const struct vfiomap_ctx *ctx, uint32_t *ioas_id)
{
	if (!ctx)
		return vfm__err(-EINVAL, "vfiomap_ctx_fd: context is NULL");
	if (ioas_id)
		*ioas_id = ctx->c->ioas_id;
	return ctx->c->fd;
}

/* Can @c map DMA now?  @fn names the caller in the message. */
static int ctx_dma_ready(const struct vfm_ctx *c, const char *fn)
{
	bool noiommu, set;

	lock();
	noiommu = c->noiommu;
	set = c->iommu_set;
	unlock();
	if (noiommu)
		return vfm__err(-EOPNOTSUPP,
				"%s: a no-IOMMU context has no DMA mapping (devices use physical addresses)",
				fn);
	if (!c->iommufd && !c->adopted && !set)
		return vfm__err(-EINVAL,
				"%s: the type1 container has no IOMMU yet: open a device into the context first",
				fn);
	return 0;
}

static int check_dma_range(const char *fn, uint64_t iova, uint64_t size)
{
	uint64_t pg = vfm__page_size();

	if (!size)
		return vfm__err(-EINVAL, "%s: size is 0", fn);
	if (!vfm__is_page_aligned(iova) || !vfm__is_page_aligned(size))
		return vfm__err(-EINVAL,
				"%s: iova 0x%llx and size 0x%llx must be multiples of the page size 0x%llx",
				fn, (unsigned long long)iova, (unsigned long long)size,
				(unsigned long long)pg);
	if (iova + size - 1 < iova)
		return vfm__err(-EINVAL, "%s: iova 0x%llx + size 0x%llx overflows", fn,
				(unsigned long long)iova, (unsigned long long)size);
	return 0;
}

VFIOMAP_EXPORT int vfiomap_ctx_map_dma(struct vfiomap_ctx *ctx, void *vaddr, uint64_t iova,
				       uint64_t size, uint32_t flags)
{
	static const char fn[] = "vfiomap_ctx_map_dma";
	uintptr_t va = (uintptr_t)vaddr;
	struct vfm_ctx *c;
	int ret;

	if (!ctx || !vaddr)
		return vfm__err(-EINVAL, "%s: NULL argument", fn);
	c = ctx->c;
	if (!flags || (flags & ~(VFIOMAP_DMA_READ | VFIOMAP_DMA_WRITE)))
		return vfm__err(-EINVAL,
				"%s: flags 0x%x: VFIOMAP_DMA_READ and/or VFIOMAP_DMA_WRITE", fn, flags);
	ret = check_dma_range(fn, iova, size);
	if (ret)
		return ret;
	if (!vfm__is_page_aligned(va))
		return vfm__err(-EINVAL, "%s: vaddr %p is not page aligned", fn, vaddr);
	if (va + size - 1 < va || size > UINTPTR_MAX)
		return vfm__err(-EINVAL, "%s: vaddr %p + size 0x%llx overflows", fn, vaddr,
				(unsigned long long)size);
	ret = ctx_dma_ready(c, fn);
	if (ret)
		return ret;
	if (c->iommufd) {
		struct iommu_ioas_map m = {
			.size = sizeof(m), .ioas_id = c->ioas_id, .user_va = va,
			.length = size, .iova = iova,
			.flags = IOMMU_IOAS_MAP_FIXED_IOVA |
				 (flags & VFIOMAP_DMA_READ ? IOMMU_IOAS_MAP_READABLE : 0) |
				 (flags & VFIOMAP_DMA_WRITE ? IOMMU_IOAS_MAP_WRITEABLE : 0),
		};

		ret = vfm__ioctl(NULL, c->fd, IOMMU_IOAS_MAP, &m);
	} else {
		struct vfio_iommu_type1_dma_map m = {
			.argsz = sizeof(m), .vaddr = va, .iova = iova, .size = size,
			.flags = (flags & VFIOMAP_DMA_READ ? VFIO_DMA_MAP_FLAG_READ : 0) |
				 (flags & VFIOMAP_DMA_WRITE ? VFIO_DMA_MAP_FLAG_WRITE : 0),
		};

		ret = vfm__ioctl(NULL, c->fd, VFIO_IOMMU_MAP_DMA, &m);
	}
	if (ret)
		return vfm__err(ret, "%s (iova 0x%llx, 0x%llx bytes): %s",
				c->iommufd ? "IOMMU_IOAS_MAP" : "VFIO_IOMMU_MAP_DMA",
				(unsigned long long)iova, (unsigned long long)size, strerror(-ret));
	return 0;
}

VFIOMAP_EXPORT int vfiomap_ctx_unmap_dma(struct vfiomap_ctx *ctx, uint64_t iova, uint64_t size)
{
	static const char fn[] = "vfiomap_ctx_unmap_dma";
	struct vfm_ctx *c;
	int ret;

	if (!ctx)
		return vfm__err(-EINVAL, "%s: context is NULL", fn);
	c = ctx->c;
	ret = check_dma_range(fn, iova, size);
	if (!ret)
		ret = ctx_dma_ready(c, fn);
	if (ret)
		return ret;
	if (c->iommufd) {
		struct iommu_ioas_unmap u = {
			.size = sizeof(u), .ioas_id = c->ioas_id, .iova = iova, .length = size,
		};

		ret = vfm__ioctl(NULL, c->fd, IOMMU_IOAS_UNMAP, &u);
	} else {
		struct vfio_iommu_type1_dma_unmap u = {
			.argsz = sizeof(u), .iova = iova, .size = size,
		};

		ret = vfm__ioctl(NULL, c->fd, VFIO_IOMMU_UNMAP_DMA, &u);
		/* the kernel unmaps whole mappings only: say if it did less */
		if (!ret && !u.size)
			return vfm__err(-ENOENT,
					"VFIO_IOMMU_UNMAP_DMA (iova 0x%llx, 0x%llx bytes): nothing mapped there",
					(unsigned long long)iova, (unsigned long long)size);
		if (!ret && u.size != size)
			return vfm__err(-EINVAL,
					"VFIO_IOMMU_UNMAP_DMA (iova 0x%llx, 0x%llx bytes) unmapped 0x%llx bytes: unmap whole mappings",
					(unsigned long long)iova, (unsigned long long)size,
					(unsigned long long)u.size);
	}
	if (ret)
		return vfm__err(ret, "%s (iova 0x%llx, 0x%llx bytes): %s",
				c->iommufd ? "IOMMU_IOAS_UNMAP" : "VFIO_IOMMU_UNMAP_DMA",
				(unsigned long long)iova, (unsigned long long)size, strerror(-ret));
	return 0;
}

/* The most a VFIO_IOMMU_GET_INFO reply may ask for: a bound, not a limit */
#define IOMMU_INFO_MAX (64u << 10)

/*
 * The IOVA ranges of a type1 container's VFIO_IOMMU_GET_INFO reply @buf
 * of @len bytes: the capability chain checked as a region's is
 * (vfm__cap_step()), the ranges inside the capability's room.
 */
static int type1_ranges(const uint8_t *buf, size_t len, uint32_t first,
			struct vfiomap_iova_range *ranges, size_t max, size_t *nr)
{
	struct vfm_cap_walk w = { .off = first,
				  .prev_end = sizeof(struct vfio_iommu_type1_info) };

	while (w.off) {
		struct vfio_info_cap_header h;
		struct vfio_iommu_type1_info_cap_iova_range r;
		size_t off = w.off, end;
		int ret;

		ret = vfm__cap_step(buf, len, "VFIO_IOMMU_GET_INFO capability chain", &w, &h,
				    &end);
		if (ret)
			return ret;
		if (h.id != VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE)
			continue;
		if (end - off < sizeof(r))
			return vfm__err(-EPROTO, "VFIO_IOMMU_GET_INFO: IOVA-range capability truncated");
		memcpy(&r, buf + off, sizeof(r));
		if (r.nr_iovas > (end - off - sizeof(r)) / sizeof(struct vfio_iova_range))
			return vfm__err(-EPROTO,
					"VFIO_IOMMU_GET_INFO: %u IOVA ranges claimed, no room for them",
					r.nr_iovas);
		for (size_t i = 0; i < r.nr_iovas && i < max; i++) {
			struct vfio_iova_range v;

			memcpy(&v, buf + off + sizeof(r) + i * sizeof(v), sizeof(v));
			ranges[i].start = v.start;
			ranges[i].last = v.end;
		}
		*nr = r.nr_iovas;
		return 0;
	}
	return vfm__err(-EOPNOTSUPP, "VFIO_IOMMU_GET_INFO: the container reports no IOVA ranges");
}

static int type1_iova_ranges(struct vfm_ctx *c, struct vfiomap_iova_range *ranges,
			     size_t max, size_t *nr)
{
	struct vfio_iommu_type1_info *info;
	uint32_t argsz = sizeof(*info);
	int ret;

	for (;;) {
		info = calloc(1, argsz);
		if (!info)
			return vfm__err(-ENOMEM, "out of memory");
		info->argsz = argsz;
		ret = vfm__ioctl(NULL, c->fd, VFIO_IOMMU_GET_INFO, info);
		if (ret) {
			free(info);
			return vfm__err(ret, "VFIO_IOMMU_GET_INFO: %s", strerror(-ret));
		}
		if (info->argsz <= argsz)
			break;
		if (info->argsz > IOMMU_INFO_MAX) {
			ret = vfm__err(-EPROTO, "VFIO_IOMMU_GET_INFO wants %u bytes", info->argsz);
			free(info);
			return ret;
		}
		argsz = info->argsz;
		free(info);
	}
	if (!(info->flags & VFIO_IOMMU_INFO_CAPS) || !info->cap_offset)
		ret = vfm__err(-EOPNOTSUPP,
			       "VFIO_IOMMU_GET_INFO: the container reports no IOVA ranges");
	else
		ret = type1_ranges((const uint8_t *)info, info->argsz, info->cap_offset,
				   ranges, max, nr);
	free(info);
	return ret;
}

static int iommufd_iova_ranges(struct vfm_ctx *c, struct vfiomap_iova_range *ranges,
			       size_t max, size_t *nr)
{
	struct iommu_ioas_iova_ranges q = { .size = sizeof(q), .ioas_id = c->ioas_id };
	struct iommu_iova_range *r = NULL;
	uint32_t n = 0;
	int ret;

	/* ask how many, then fetch them all (they may change in between: retry) */
	for (int tries = 0; tries < 4; tries++) {
		q.num_iovas = n;
		q.allowed_iovas = (uintptr_t)r;
		ret = vfm__ioctl(NULL, c->fd, IOMMU_IOAS_IOVA_RANGES, &q);
		if (ret != -EMSGSIZE)
			break;
		free(r);
		n = q.num_iovas;
		r = calloc(n ? n : 1, sizeof(*r));
		if (!r)
			return vfm__err(-ENOMEM, "out of memory");
	}
	if (ret) {
		free(r);
		return vfm__err(ret, "IOMMU_IOAS_IOVA_RANGES (IOAS %u): %s", c->ioas_id,
				strerror(-ret));
	}
	for (size_t i = 0; i < q.num_iovas && i < max; i++) {
		ranges[i].start = r[i].start;
		ranges[i].last = r[i].last;
	}
	*nr = q.num_iovas;
	free(r);
	return 0;
}

VFIOMAP_EXPORT int vfiomap_ctx_iova_ranges(struct vfiomap_ctx *ctx,
					   struct vfiomap_iova_range *ranges,
					   size_t max, size_t *nr)
{
	static const char fn[] = "vfiomap_ctx_iova_ranges";
	size_t n = 0;
	int ret;

	if (!ctx || !nr || (max && !ranges))
		return vfm__err(-EINVAL, "%s: NULL argument", fn);
	*nr = 0;
	ret = ctx_dma_ready(ctx->c, fn);
	if (ret)
		return ret;
	ret = ctx->c->iommufd ? iommufd_iova_ranges(ctx->c, ranges, max, &n)
			      : type1_iova_ranges(ctx->c, ranges, max, &n);
	if (!ret)
		*nr = n;
	return ret;
}
