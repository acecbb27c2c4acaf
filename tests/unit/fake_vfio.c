// SPDX-License-Identifier: LGPL-2.1-or-later
/* A fake VFIO kernel behind the library's ioctl entry point (see fake_vfio.h). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fake_vfio.h"
#include "uapi/vfio_iommufd_cdev.h"

struct fake_vfio fake = { .memfd = -1 };

/* Inside the fake's own code: its libc calls are not the library's. */
static unsigned int in_fake;

const char *const fake_call_names[FAKE_NR_CALLS] = {
	[FAKE_CALL_IOCTL] = "ioctl", [FAKE_CALL_OPEN_NODE] = "open_node",
	[FAKE_CALL_OPEN] = "open", [FAKE_CALL_FOPEN] = "fopen",
	[FAKE_CALL_OPENDIR] = "opendir", [FAKE_CALL_STAT] = "stat",
	[FAKE_CALL_READLINK] = "readlink", [FAKE_CALL_FCNTL] = "fcntl",
	[FAKE_CALL_PREAD] = "pread", [FAKE_CALL_MMAP] = "mmap",
	[FAKE_CALL_MADVISE] = "madvise", [FAKE_CALL_CALLOC] = "calloc",
	[FAKE_CALL_REALLOC] = "realloc",
};

void fake_inject_arm(unsigned int fail_at, int err)
{
	memset(&fake.inj, 0, sizeof(fake.inj));
	fake.inj.fail_at = fail_at;
	fake.inj.err = err;
	fake.inj.armed = true;
}

bool fake_inject_disarm(void)
{
	fake.inj.armed = false;
	return fake.inj.hit;
}

bool fake_inject(enum fake_call kind, const char *fmt, ...)
{
	struct fake_inject *in = &fake.inj;
	va_list ap;
	int n;

	if (!in->armed || in_fake)
		return false;
	in->by_kind[kind]++;
	if (++in->calls != in->fail_at)
		return false;
	in->hit = true;
	n = snprintf(in->what, sizeof(in->what), "call %u, %s ", in->calls,
		     fake_call_names[kind]);
	va_start(ap, fmt);
	vsnprintf(in->what + n, sizeof(in->what) - (size_t)n, fmt, ap);
	va_end(ap);
	return true;
}

void fake_inject_mapped(void *addr, size_t len)
{
	struct fake_inject *in = &fake.inj;

	if (!in->armed || in_fake)
		return;
	if (in->nr_mmaps == FAKE_MAX_MMAPS)
		abort();
	in->mmaps[in->nr_mmaps].addr = (uintptr_t)addr;
	in->mmaps[in->nr_mmaps++].len = len;
}

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
	struct vfiomap_adopt_opts o = { .size = sizeof(o), .flags = VFIOMAP_ADOPT_OWN_FD };
	struct vfiomap_device *dev = NULL;
	int fd = fcntl(fake.memfd, F_DUPFD_CLOEXEC, 0);

	if (fd < 0 || vfiomap_device_adopt_opts(fd, &o, &dev))
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
	if (mc->flags & ~VFIO_MMAP_COOKIE_FLAG_QUERY)
		return -EINVAL;
	if (mc->flags & VFIO_MMAP_COOKIE_FLAG_QUERY) {
		if (!(f->hdr.flags & VFIO_DEVICE_FEATURE_GET))
			return -EINVAL;
		for (unsigned int i = 0; i < fake.nr_cookies; i++) {
			struct fake_cookie *c = &fake.cookies[i];

			if (c->cookie == mc->cookie) {
				mc->region_index = c->region;
				mc->attrs = c->attrs;
				mc->region_offset = c->offset;
				mc->size = c->size;
				return 0;
			}
		}
		return -ENOENT;
	}
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
		for (unsigned int i = 0; i < fake.nr_cookies; i++) {
			struct fake_cookie *c = &fake.cookies[i];

			if (c->region == mc->region_index && c->attrs == mc->attrs &&
			    c->offset == mc->region_offset && c->size == mc->size) {
				c->refs++;		/* de-duplicated */
				mc->cookie = c->cookie;
				return 0;
			}
		}
		if (fake.nr_cookies == FAKE_MAX_COOKIES)
			return -ENOSPC;
		mc->cookie = FAKE_COOKIE_BASE + (fake.next_cookie++ << 30);
		fake.cookies[fake.nr_cookies++] = (struct fake_cookie){
			.cookie = mc->cookie, .region = mc->region_index,
			.attrs = mc->attrs, .offset = mc->region_offset, .size = mc->size,
			.refs = 1 };
		return 0;
	}
	for (unsigned int i = 0; i < fake.nr_cookies; i++) {
		if (fake.cookies[i].cookie == mc->cookie) {
			if (!--fake.cookies[i].refs)
				fake.cookies[i] = fake.cookies[--fake.nr_cookies];
			return 0;
		}
	}
	return -ENOENT;
}

struct fake_file *fake_file_of(int fd)
{
	int id = fake_id_of(fd);

	return id ? &fake.files[id - 1] : NULL;
}

int fake_id_of(int fd)
{
	off_t id = lseek(fd, 0, SEEK_CUR);

	return id > 0 && id <= (off_t)fake.nr_files ? (int)id : 0;
}

static bool still_open(const struct fake_file *f, int id)
{
	struct stat st;

	return fcntl(f->fd, F_GETFD) >= 0 && !fstat(f->fd, &st) && st.st_ino == f->ino &&
	       lseek(f->fd, 0, SEEK_CUR) == id;
}

static enum fake_kind kind_of(const char *path)
{
	const char *b = strrchr(path, '/');

	b = b ? b + 1 : path;
	if (!strcmp(b, "vfio"))
		return FAKE_CONTAINER;
	if (!strcmp(b, "iommu"))
		return FAKE_IOMMUFD;
	if (!strncmp(b, "noiommu-", 8) && b[8] >= '0' && b[8] <= '9')
		return FAKE_GROUP;
	if (b[0] >= '0' && b[0] <= '9')
		return FAKE_GROUP;
	return FAKE_OTHER;
}

static int open_node(const char *path);

/* The library's one open of VFIO nodes (lib/ioctl.c is not linked). */
int vfm__open_node(const char *path)
{
	int ret;

	if (fake_inject(FAKE_CALL_OPEN_NODE, "%s", path))
		return -fake.inj.err;
	in_fake++;
	ret = open_node(path);
	in_fake--;
	return ret;
}

static int open_node(const char *path)
{
	enum fake_kind kind = kind_of(path);
	struct fake_file *f;
	struct stat st;
	int fd;

	if (strstr(path, "/vfio/devices/")) {	/* a cdev: the fake device */
		if (stat(path, &st))
			return -errno;
		fd = fcntl(fake.memfd, F_DUPFD_CLOEXEC, 0);
		return fd < 0 ? -errno : fd;
	}
	if (kind == FAKE_GROUP) {		/* a group opens once */
		for (unsigned int i = 0; i < fake.nr_files; i++)
			if (!strcmp(fake.files[i].path, path) &&
			    still_open(&fake.files[i], (int)i + 1))
				return -EBUSY;
		fake.nr_group_opens++;
	}
	if (fake.nr_files == FAKE_MAX_FILES)
		return -EMFILE;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	f = &fake.files[fake.nr_files++];
	memset(f, 0, sizeof(*f));
	snprintf(f->path, sizeof(f->path), "%s", path);
	f->kind = kind;
	f->fd = fd;
	fstat(fd, &st);
	f->ino = st.st_ino;
	lseek(fd, (off_t)fake.nr_files, SEEK_SET);	/* the id, shared by dups */
	return fd;
}

uint32_t fake_ioas_alloc(int fd)
{
	struct fake_file *f = fake_file_of(fd);

	if (!f || f->kind != FAKE_IOMMUFD || f->nr_ioas == FAKE_MAX_IOAS)
		abort();
	f->ioas[f->nr_ioas] = 100 * (uint32_t)fake_id_of(fd) + f->nr_ioas + 1;
	return f->ioas[f->nr_ioas++];
}

/* Open groups set to the container @id. */
static unsigned int live_groups(int id)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < fake.nr_files; i++)
		n += fake.files[i].kind == FAKE_GROUP && fake.files[i].container == id &&
		     still_open(&fake.files[i], (int)i + 1);
	return n;
}

static bool has_ioas(const struct fake_file *f, uint32_t id)
{
	for (unsigned int k = 0; k < f->nr_ioas; k++)
		if (f->ioas[k] == id)
			return true;
	return false;
}

static int dma_map(struct fake_file *f, uint32_t ioas, uint64_t va, uint64_t iova,
		   uint64_t size, bool read, bool write)
{
	if (!size || iova + size - 1 < iova || (iova & 4095) || (size & 4095) || (va & 4095))
		return -EINVAL;
	if (iova <= FAKE_IOVA_HOLE_END && iova + size - 1 >= FAKE_IOVA_HOLE)
		return -EINVAL;
	for (unsigned int k = 0; k < f->nr_dma; k++) {
		const struct fake_dma *d = &f->dma[k];

		if (d->ioas == ioas && iova <= d->iova + d->size - 1 &&
		    d->iova <= iova + size - 1)
			return -EEXIST;
	}
	if (f->nr_dma == FAKE_MAX_DMA)
		return -ENOSPC;
	f->dma[f->nr_dma++] = (struct fake_dma){ .ioas = ioas, .iova = iova, .size = size,
		.vaddr = va, .read = read, .write = write };
	return 0;
}

/* Unmap the mappings wholly inside the range: the bytes unmapped. */
static uint64_t dma_unmap(struct fake_file *f, uint32_t ioas, uint64_t iova, uint64_t size)
{
	uint64_t done = 0;

	for (unsigned int k = 0; k < f->nr_dma;) {
		const struct fake_dma *d = &f->dma[k];

		if (d->ioas == ioas && d->iova >= iova && d->iova + d->size - 1 <= iova + size - 1) {
			done += d->size;
			f->dma[k] = f->dma[--f->nr_dma];
		} else {
			k++;
		}
	}
	return done;
}

struct fake_dma *fake_dma_at(uint64_t iova)
{
	for (unsigned int i = 0; i < fake.nr_files; i++) {
		struct fake_file *f = &fake.files[i];

		if (!still_open(f, (int)i + 1))
			continue;
		for (unsigned int k = 0; k < f->nr_dma; k++)
			if (f->dma[k].iova == iova)
				return &f->dma[k];
	}
	return NULL;
}

/* VFIO_IOMMU_GET_INFO: the fixed part, then the IOVA-range capability */
struct fake_iommu_info {
	struct vfio_iommu_type1_info info;
	struct vfio_iommu_type1_info_cap_iova_range cap;
	struct vfio_iova_range r[2];
};

static int iommu_info(struct fake_file *f, struct vfio_iommu_type1_info *info)
{
	struct fake_iommu_info full = {
		.info = { .argsz = sizeof(full), .flags = VFIO_IOMMU_INFO_PGSIZES |
			  VFIO_IOMMU_INFO_CAPS, .iova_pgsizes = 4096,
			  .cap_offset = offsetof(struct fake_iommu_info, cap) },
		.cap = { .header = { .id = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE,
			 .version = 1 }, .nr_iovas = 2 },
		.r = { { 0, FAKE_IOVA_HOLE - 1 }, { FAKE_IOVA_HOLE_END + 1, FAKE_IOVA_LAST } },
	};
	uint32_t argsz = info->argsz;

	if (!f->iommu_set)
		return -EINVAL;
	if (argsz < sizeof(*info))
		return -EINVAL;
	if (fake.iommu_info_len) {		/* a test's reply, malformed maybe */
		memcpy(info, fake.iommu_info,
		       argsz < fake.iommu_info_len ? sizeof(*info) : fake.iommu_info_len);
		info->argsz = (uint32_t)fake.iommu_info_len;
		return 0;
	}
	if (argsz >= sizeof(full)) {
		memcpy(info, &full, sizeof(full));
	} else {
		memcpy(info, &full.info, sizeof(*info));
		info->cap_offset = 0;
	}
	info->argsz = sizeof(full);
	return 0;
}

static int ioas_ranges(struct fake_file *f, struct iommu_ioas_iova_ranges *q)
{
	const struct iommu_iova_range r[2] = {
		{ 0, FAKE_IOVA_HOLE - 1 }, { FAKE_IOVA_HOLE_END + 1, FAKE_IOVA_LAST } };
	uint32_t room = q->num_iovas;

	if (!has_ioas(f, q->ioas_id))
		return -ENOENT;
	q->num_iovas = 2;
	q->out_iova_alignment = 4096;
	if (room < 2)
		return -EMSGSIZE;
	memcpy((void *)(uintptr_t)q->allowed_iovas, r, sizeof(r));
	return 0;
}

/* VFIO_DEVICE_BIND_IOMMUFD as of Linux 6.17 */
struct bind_token {
	uint32_t argsz, flags;
	int32_t iommufd;
	uint32_t out_devid;
	uint64_t token_uuid_ptr __attribute__((aligned(8)));
};

static int dispatch(int fd, unsigned long req, void *arg)
{
	struct fake_file *f = fake_file_of(fd);

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
		if (!f || f->kind != FAKE_GROUP)
			return -ENOTTY;
		((struct vfio_group_status *)arg)->flags = VFIO_GROUP_FLAGS_VIABLE |
			(f->container ? VFIO_GROUP_FLAGS_CONTAINER_SET : 0);
		return 0;
	case VFIO_GROUP_SET_CONTAINER: {
		struct fake_file *c = fake_file_of(*(int *)arg);

		if (!f || f->kind != FAKE_GROUP)
			return -ENOTTY;
		if (!c || c->kind != FAKE_CONTAINER || f->container)
			return -EINVAL;
		if (c->nr_joined && !live_groups(fake_id_of(*(int *)arg))) {
			/* as the kernel: the last group took the IOMMU and its mappings */
			c->iommu_set = false;
			c->nr_dma = 0;
		}
		f->container = fake_id_of(*(int *)arg);
		c->nr_groups++;
		c->nr_joined++;
		fake.nr_set_container++;
		return 0;
	}
	case VFIO_SET_IOMMU:
		if (!f || f->kind != FAKE_CONTAINER)
			return -ENOTTY;
		/* as the kernel: a group first, and only once */
		if (!f->nr_groups || f->iommu_set)
			return -EINVAL;
		f->iommu_set = true;
		fake.nr_set_iommu++;
		return 0;
	case VFIO_GROUP_GET_DEVICE_FD: {
		int dfd;

		if (!f || f->kind != FAKE_GROUP)
			return -ENOTTY;
		if (!f->container || !fake.files[f->container - 1].iommu_set)
			return -EINVAL;
		snprintf(fake.device_name, sizeof(fake.device_name), "%s", (char *)arg);
		dfd = fcntl(fake.memfd, F_DUPFD_CLOEXEC, 0);
		return dfd < 0 ? -errno : dfd;
	}
	case VFIO_DEVICE_BIND_IOMMUFD: {
		struct bind_token *b = arg;
		struct fake_file *i = fake_file_of(b->iommufd);

		if (!i || i->kind != FAKE_IOMMUFD)
			return -EBADF;
		if (b->flags & ~1u)
			return -EINVAL;
		fake.nr_bind++;
		fake.bind_iommufd = fake_id_of(b->iommufd);
		fake.bind_flags = b->flags;
		if (b->flags & 1u)
			memcpy(fake.bind_token, (void *)(uintptr_t)b->token_uuid_ptr, 16);
		b->out_devid = 1;
		return 0;
	}
	case IOMMU_IOAS_ALLOC:
		if (!f || f->kind != FAKE_IOMMUFD)
			return -ENOTTY;
		fake.nr_ioas_alloc++;
		((struct iommu_ioas_alloc *)arg)->out_ioas_id = fake_ioas_alloc(fd);
		return 0;
	case IOMMU_DESTROY: {
		struct iommu_destroy *d = arg;

		if (!f || f->kind != FAKE_IOMMUFD)
			return -ENOTTY;
		fake.nr_destroy++;
		for (unsigned int k = 0; k < f->nr_ioas; k++)
			if (f->ioas[k] == d->id) {
				dma_unmap(f, d->id, 0, UINT64_MAX);
				f->ioas[k] = f->ioas[--f->nr_ioas];
				return 0;
			}
		return -ENOENT;
	}
	case VFIO_IOMMU_MAP_DMA: {
		struct vfio_iommu_type1_dma_map *m = arg;

		if (!f || f->kind != FAKE_CONTAINER)
			return -ENOTTY;
		if (!f->iommu_set || m->flags & ~(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE))
			return -EINVAL;
		return dma_map(f, 0, m->vaddr, m->iova, m->size,
			       m->flags & VFIO_DMA_MAP_FLAG_READ, m->flags & VFIO_DMA_MAP_FLAG_WRITE);
	}
	case VFIO_IOMMU_UNMAP_DMA: {
		struct vfio_iommu_type1_dma_unmap *u = arg;

		if (!f || f->kind != FAKE_CONTAINER)
			return -ENOTTY;
		if (!f->iommu_set || u->flags)
			return -EINVAL;
		u->size = dma_unmap(f, 0, u->iova, u->size);
		return 0;
	}
	case VFIO_IOMMU_GET_INFO:
		if (!f || f->kind != FAKE_CONTAINER)
			return -ENOTTY;
		return iommu_info(f, arg);
	case IOMMU_IOAS_MAP: {
		struct iommu_ioas_map *m = arg;

		if (!f || f->kind != FAKE_IOMMUFD)
			return -ENOTTY;
		if (!has_ioas(f, m->ioas_id))
			return -ENOENT;
		if (!(m->flags & IOMMU_IOAS_MAP_FIXED_IOVA))
			return -EINVAL;
		return dma_map(f, m->ioas_id, m->user_va, m->iova, m->length,
			       m->flags & IOMMU_IOAS_MAP_READABLE,
			       m->flags & IOMMU_IOAS_MAP_WRITEABLE);
	}
	case IOMMU_IOAS_UNMAP: {
		struct iommu_ioas_unmap *u = arg;

		if (!f || f->kind != FAKE_IOMMUFD)
			return -ENOTTY;
		if (!has_ioas(f, u->ioas_id))
			return -ENOENT;
		u->length = dma_unmap(f, u->ioas_id, u->iova, u->length);
		return u->length ? 0 : -ENOENT;
	}
	case IOMMU_IOAS_IOVA_RANGES:
		if (!f || f->kind != FAKE_IOMMUFD)
			return -ENOTTY;
		return ioas_ranges(f, arg);
	case VFIO_DEVICE_ATTACH_IOMMUFD_PT: {
		struct vfio_device_attach_iommufd_pt *at = arg;
		struct fake_file *i;
		bool found = false;

		if (!fake.bind_iommufd)
			return -EINVAL;
		i = &fake.files[fake.bind_iommufd - 1];
		for (unsigned int k = 0; k < i->nr_ioas; k++)
			found |= i->ioas[k] == at->pt_id;
		if (!found)
			return -ENOENT;
		fake.nr_attach++;
		fake.attach_pt = at->pt_id;
		return 0;
	}
	default:
		return -ENOTTY;
	}
}

static const char *req_name(unsigned long req)
{
	switch (req) {
	case VFIO_DEVICE_GET_INFO: return "VFIO_DEVICE_GET_INFO";
	case VFIO_DEVICE_GET_REGION_INFO: return "VFIO_DEVICE_GET_REGION_INFO";
	case VFIO_DEVICE_FEATURE: return "VFIO_DEVICE_FEATURE";
	case VFIO_GROUP_GET_STATUS: return "VFIO_GROUP_GET_STATUS";
	case VFIO_GROUP_SET_CONTAINER: return "VFIO_GROUP_SET_CONTAINER";
	case VFIO_SET_IOMMU: return "VFIO_SET_IOMMU";
	case VFIO_GROUP_GET_DEVICE_FD: return "VFIO_GROUP_GET_DEVICE_FD";
	case VFIO_DEVICE_BIND_IOMMUFD: return "VFIO_DEVICE_BIND_IOMMUFD";
	case IOMMU_IOAS_ALLOC: return "IOMMU_IOAS_ALLOC";
	case IOMMU_DESTROY: return "IOMMU_DESTROY";
	case VFIO_DEVICE_ATTACH_IOMMUFD_PT: return "VFIO_DEVICE_ATTACH_IOMMUFD_PT";
	case VFIO_IOMMU_MAP_DMA: return "VFIO_IOMMU_MAP_DMA";
	case VFIO_IOMMU_UNMAP_DMA: return "VFIO_IOMMU_UNMAP_DMA";
	case VFIO_IOMMU_GET_INFO: return "VFIO_IOMMU_GET_INFO";
	case IOMMU_IOAS_MAP: return "IOMMU_IOAS_MAP";
	case IOMMU_IOAS_UNMAP: return "IOMMU_IOAS_UNMAP";
	case IOMMU_IOAS_IOVA_RANGES: return "IOMMU_IOAS_IOVA_RANGES";
	default: return "(unknown)";
	}
}

/* The library's one ioctl entry point (lib/ioctl.c is not linked). */
int vfm__ioctl(struct vfiomap_device *dev, int fd, unsigned long req, void *arg)
{
	int ret;

	if (dev)
		atomic_fetch_add(&dev->ioctls, 1);
	fake.nr_ioctls++;
	if (fake_inject(FAKE_CALL_IOCTL, "%s", req_name(req)))
		return -fake.inj.err;
	in_fake++;
	if (fcntl(fd, F_GETFD) < 0)
		ret = -EBADF;		/* as the kernel: a closed fd */
	else
		ret = fake.hook ? fake.hook(req, arg) : 0;
	if (!ret)
		ret = dispatch(fd, req, arg);
	in_fake--;
	return ret;
}

void fake_live(struct fake_live *l)
{
	memset(l, 0, sizeof(*l));
	in_fake++;
	for (unsigned int i = 0; i < fake.nr_files; i++) {
		const struct fake_file *f = &fake.files[i];

		if (!still_open(f, (int)i + 1))
			continue;
		switch (f->kind) {
		case FAKE_GROUP:
			l->groups++;
			l->grouped += f->container &&
				      still_open(&fake.files[f->container - 1], f->container);
			break;
		case FAKE_CONTAINER:
			l->containers++;
			l->dma += f->nr_dma;
			break;
		case FAKE_IOMMUFD:
			l->iommufds++;
			l->dma += f->nr_dma;
			l->ioas += f->nr_ioas;
			break;
		default:
			break;
		}
	}
	in_fake--;
	l->cookies = fake.nr_cookies;
	for (unsigned int i = 0; i < fake.nr_cookies; i++)
		l->cookie_refs += fake.cookies[i].refs;
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

void fake_tree_add(struct fake_tree *t, const char *bdf, const char *group,
		   const char *cdev)
{
	char d[256], target[128];

	snprintf(d, sizeof(d), "sys/kernel/iommu_groups/%s", group);
	mkpath(t->root, d);
	snprintf(d, sizeof(d), "sys/bus/pci/devices/%s", bdf);
	mkpath(t->root, d);
	snprintf(d, sizeof(d), "dev/vfio/%s", group);
	put_file(t->root, d, "", 0);
	snprintf(d, sizeof(d), "sys/bus/pci/devices/%s/driver", bdf);
	put_link(t->root, d, "../../../../bus/pci/drivers/vfio-pci");
	/* and the driver lists it, as sysfs does */
	snprintf(d, sizeof(d), "sys/bus/pci/drivers/vfio-pci/%s", bdf);
	snprintf(target, sizeof(target), "../../../../devices/%s", bdf);
	put_link(t->root, d, target);
	snprintf(d, sizeof(d), "sys/bus/pci/devices/%s/iommu_group", bdf);
	snprintf(target, sizeof(target), "../../../../kernel/iommu_groups/%s", group);
	put_link(t->root, d, target);
	snprintf(d, sizeof(d), "sys/bus/pci/devices/%s/vendor", bdf);
	put_file(t->root, d, "0x1af4\n", 0);
	snprintf(d, sizeof(d), "sys/bus/pci/devices/%s/device", bdf);
	put_file(t->root, d, "0x1110\n", 0);
	snprintf(d, sizeof(d), "sys/bus/pci/devices/%s/resource2_wc", bdf);
	put_file(t->root, d, NULL, 2 << 20);
	snprintf(d, sizeof(d), "sys/bus/pci/devices/%s/resource", bdf);
	put_file(t->root, d,
		 "0x00000000fe000000 0x00000000fe003fff 0x0000000000040200\n"
		 "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
		 "0x00000000fd000000 0x00000000fd1fffff 0x000000000014220c\n"
		 "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
		 "0x000000000000c000 0x000000000000c0ff 0x0000000000040101\n"
		 "0x0000000000000000 0x0000000000000000 0x0000000000000000\n", 0);
	if (cdev) {
		snprintf(d, sizeof(d), "sys/bus/pci/devices/%s/vfio-dev/%s", bdf, cdev);
		mkpath(t->root, d);
		snprintf(d, sizeof(d), "dev/vfio/devices/%s", cdev);
		put_file(t->root, d, "", 0);
	}
}

void fake_tree_pat(struct fake_tree *t, const char *text)
{
	char p[512];

	mkpath(t->root, "sys/kernel/debug/x86");
	snprintf(p, sizeof(p), "%s/sys/kernel/debug/x86/pat_memtype_list", t->root);
	if (text)
		put_file(t->root, "sys/kernel/debug/x86/pat_memtype_list", text, 0);
	else
		unlink(p);
}

void fake_tree_create(struct fake_tree *t, const char *bdf, const char *cdev,
		      bool iommufd)
{

	snprintf(t->root, sizeof(t->root), "/tmp/vfiomap-fake-XXXXXX");
	if (!mkdtemp(t->root))
		die("mkdtemp");
	snprintf(t->sysfs, sizeof(t->sysfs), "%s/sys", t->root);
	snprintf(t->dev, sizeof(t->dev), "%s/dev", t->root);
	mkpath(t->root, "sys/bus/pci/drivers/vfio-pci");
	mkpath(t->root, "dev/vfio/devices");
	put_file(t->root, "dev/vfio/vfio", "", 0);
	if (iommufd)
		put_file(t->root, "dev/iommu", "", 0);
	fake_tree_add(t, bdf, "7", cdev);
	setenv("VFIOMAP_SYSFS_ROOT", t->sysfs, 1);
	setenv("VFIOMAP_DEV_ROOT", t->dev, 1);
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
	unsetenv("VFIOMAP_SYSFS_ROOT");
	unsetenv("VFIOMAP_DEV_ROOT");
}
