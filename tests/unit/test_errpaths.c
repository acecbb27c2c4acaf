// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Error paths against the fake VFIO kernel (tests/unit/fake_vfio.c).  For
 * each public call below, every call it makes to the fake kernel or to
 * libc fails in turn (fake_inject_arm()): k = 1, 2, ... until the call
 * succeeds without reaching a k-th call.  After each failure the call has
 * returned a negative errno, set its out pointer to NULL, and left the
 * process as it found it: the same open fds, nothing mapped where it
 * mapped, the same mappings of the device, the same objects alive in the
 * fake kernel.  A call that succeeds anyway (it worked around the failure)
 * is undone and checked the same way, and so is the last, clean success.
 * Leaked memory is for the ASan and valgrind runs of this program to find.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fake_vfio.h"
#include "ck_run.h"

#define BDF	"0000:00:04.0"
#define BDF2	"0000:00:05.0"
/* The PAT list of a stock kernel where resource2_wc came out WC */
#define PAT_WC "PAT: [mem 0x00000000fd000000-0x00000000fd200000] write-combining\n"
#define RES_LEN	(4 << 20)

/* ---- the state a failed call must leave as it was ---- */

struct area {
	uintptr_t lo, hi;
	char perms[8];
	unsigned long ino;
	char path[256];
};

struct state {
	char *fds;		/* "fd target" lines */
	char *dev_maps;		/* the mappings of the device and of sysfs files */
	struct area *maps;	/* /proc/self/maps */
	size_t nr_maps;
	struct fake_live live;
};

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static char *fd_list(void)
{
	DIR *d = opendir("/proc/self/fd");
	int fds[1024], n = 0;
	struct dirent *e;
	size_t len = 0;
	char *buf = NULL;
	FILE *out;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d) && n < 1024)
			fds[n++] = atoi(e->d_name);
	qsort(fds, (size_t)n, sizeof(fds[0]), cmp_int);
	out = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(out);
	for (int i = 0; i < n; i++) {
		char name[32], target[512];
		ssize_t l;

		snprintf(name, sizeof(name), "%d", fds[i]);
		l = readlinkat(dirfd(d), name, target, sizeof(target) - 1);
		target[l < 0 ? 0 : l] = 0;
		fprintf(out, "%d %s\n", fds[i], target);
	}
	fclose(out);
	closedir(d);
	return buf;
}

static void read_maps(struct state *s)
{
	FILE *f = fopen("/proc/self/maps", "re"), *dm;
	size_t cap = 0, len = 0, dlen = 0;
	char *line = NULL;

	ck_assert_ptr_nonnull(f);
	dm = open_memstream(&s->dev_maps, &dlen);
	ck_assert_ptr_nonnull(dm);
	s->maps = NULL;
	s->nr_maps = 0;
	while (getline(&line, &len, f) > 0) {
		struct area a = { 0 };
		unsigned long lo, hi;
		int pos = 0;

		if (sscanf(line, "%lx-%lx %7s %*x %*s %lu %n", &lo, &hi, a.perms, &a.ino,
			   &pos) != 4)
			continue;
		a.lo = lo;
		a.hi = hi;
		snprintf(a.path, sizeof(a.path), "%s", line + pos);
		a.path[strcspn(a.path, "\n")] = 0;
		if (s->nr_maps == cap) {
			cap = cap ? 2 * cap : 512;
			s->maps = realloc(s->maps, cap * sizeof(*s->maps));
			ck_assert_ptr_nonnull(s->maps);
		}
		s->maps[s->nr_maps++] = a;
		if (strstr(a.path, "fake-vfio-device") || strstr(a.path, "/resource"))
			fprintf(dm, "%lx-%lx %s %s\n", lo, hi, a.perms, a.path);
	}
	free(line);
	fclose(f);
	fclose(dm);
}

static void snap(struct state *s)
{
	s->fds = fd_list();
	read_maps(s);
	fake_live(&s->live);
}

static void state_free(struct state *s)
{
	free(s->fds);
	free(s->dev_maps);
	free(s->maps);
}

/*
 * What @s has in [lo, hi) of what the library makes: inaccessible
 * reservations (---p) and file or shared mappings, cut to the range,
 * neighbours with the same permissions and file joined (the kernel may or
 * may not merge a restored reservation with the rest of the caller's).
 * Anonymous accessible memory is not the library's: a sanitizer's
 * allocator may put its own where the call released address space.
 */
static char *view(const struct state *s, uintptr_t lo, uintptr_t hi)
{
	size_t len = 0;
	char *buf = NULL;
	FILE *out = open_memstream(&buf, &len);
	struct area cur = { 0 };

	ck_assert_ptr_nonnull(out);
	for (size_t i = 0; i < s->nr_maps; i++) {
		struct area a = s->maps[i];

		if (a.hi <= lo || a.lo >= hi)
			continue;
		if (!a.ino && a.perms[3] == 'p' && strcmp(a.perms, "---p"))
			continue;
		a.lo = a.lo < lo ? lo : a.lo;
		a.hi = a.hi > hi ? hi : a.hi;
		if (cur.hi == a.lo && !strcmp(cur.perms, a.perms) && cur.ino == a.ino &&
		    !strcmp(cur.path, a.path)) {
			cur.hi = a.hi;
			continue;
		}
		if (cur.hi)
			fprintf(out, "%lx-%lx %s %s\n", (unsigned long)cur.lo,
				(unsigned long)cur.hi, cur.perms, cur.path);
		cur = a;
	}
	if (cur.hi)
		fprintf(out, "%lx-%lx %s %s\n", (unsigned long)cur.lo, (unsigned long)cur.hi,
			cur.perms, cur.path);
	fclose(out);
	return buf;
}

/* @after is @before, where the last armed call mapped too; @when says when. */
static void same_state(const struct state *before, const struct state *after,
		       const char *when)
{
	const struct fake_live *b = &before->live, *a = &after->live;

	ck_assert_msg(!strcmp(before->fds, after->fds),
		      "%s: open fds changed\nbefore:\n%safter:\n%s", when, before->fds,
		      after->fds);
	ck_assert_msg(!strcmp(before->dev_maps, after->dev_maps),
		      "%s: device mappings changed\nbefore:\n%safter:\n%s", when,
		      before->dev_maps, after->dev_maps);
	for (unsigned int i = 0; i < fake.inj.nr_mmaps; i++) {
		uintptr_t lo = fake.inj.mmaps[i].addr, hi = lo + fake.inj.mmaps[i].len;
		char *vb = view(before, lo, hi), *va = view(after, lo, hi);

		ck_assert_msg(!strcmp(vb, va),
			      "%s: where the call mapped (%lx-%lx) is not as before\nbefore:\n%safter:\n%s",
			      when, (unsigned long)lo, (unsigned long)hi, vb, va);
		free(vb);
		free(va);
	}
	ck_assert_msg(b->groups == a->groups && b->containers == a->containers &&
		      b->iommufds == a->iommufds && b->grouped == a->grouped &&
		      b->ioas == a->ioas && b->cookies == a->cookies &&
		      b->cookie_refs == a->cookie_refs && b->dma == a->dma,
		      "%s: fake kernel objects changed: groups %u -> %u, containers %u -> %u, iommufds %u -> %u, groups in containers %u -> %u, IOAS %u -> %u, cookies %u -> %u (refs %u -> %u), DMA mappings %u -> %u",
		      when, b->groups, a->groups, b->containers, a->containers, b->iommufds,
		      a->iommufds, b->grouped, a->grouped, b->ioas, a->ioas, b->cookies,
		      a->cookies, b->cookie_refs, a->cookie_refs, b->dma, a->dma);
}

/* ---- the calls, and what they start from (set up unarmed) ---- */

static struct fake_tree tree;
static struct vfiomap_device *dev, *other;
static int vmm = -1;			/* a VMM's fd: device, container or iommufd */
static uint32_t vmm_ioas;
static uint64_t cookie;			/* one dev has */
static uint8_t *res;			/* a caller's reservation */
/* the call's results */
static char poison;
static struct vfiomap_device *out_dev;
static struct vfiomap_mapping *out_map;
static struct vfiomap_cookie *out_handle;
static const struct vfiomap_region *out_region;
static uint64_t out_cookie;
static struct vfiomap_ctx *ctx, *out_ctx;	/* an IOMMU context; the call's */
static _Alignas(4096) uint8_t dmabuf[2 * 4096];
#define DMA_IOVA 0x100000

static struct vfiomap_open_opts open_opts(enum vfiomap_mode mode, uint32_t flags)
{
	/* the tree: fake_tree_create() set VFIOMAP_SYSFS_ROOT, VFIOMAP_DEV_ROOT */
	struct vfiomap_open_opts o = { .size = sizeof(o), .mode = mode, .flags = flags };

	return o;
}

static void put_node(const char *rel)
{
	char p[512];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", tree.dev, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
}

static void tree_plain(void)
{
	fake_tree_create(&tree, BDF, NULL, false);
}

static void tree_noiommu(void)
{
	fake_tree_create(&tree, BDF, NULL, false);
	put_node("vfio/noiommu-7");
}

static void tree_cdev(void)
{
	fake_tree_create(&tree, BDF, "vfio0", true);
}

static void tree_noiommu_cdev(void)
{
	fake_tree_create(&tree, BDF, "noiommu-vfio1", true);
}

static void tree_two(void)
{
	fake_tree_create(&tree, BDF, NULL, false);
	fake_tree_add(&tree, BDF2, "7", NULL);
}

static void tree_pat(void)
{
	fake_tree_create(&tree, BDF, NULL, false);
	fake_tree_pat(&tree, PAT_WC);
}

static int node(const char *rel)
{
	char p[512];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", tree.dev, rel);
	fd = vfm__open_node(p);
	ck_assert_int_ge(fd, 0);
	return fd;
}

static void setup_container(void)
{
	vmm = node("vfio/vfio");
}

static void setup_iommufd(void)
{
	vmm = node("iommu");
	vmm_ioas = fake_ioas_alloc(vmm);
}

static void setup_other(void)
{
	struct vfiomap_open_opts o = open_opts(VFIOMAP_MODE_GROUP, 0);

	ck_assert_int_eq(vfiomap_device_open(BDF, &o, &other), 0);
}

static void setup_vmm_fd(void)
{
	vmm = fcntl(fake.memfd, F_DUPFD_CLOEXEC, 0);
	ck_assert_int_ge(vmm, 0);
}

static void setup_adopt(void)
{
	dev = fake_adopt();
}

static const uint64_t areas[] = { 0, 0x4000, 0x8000, 0x4000 };

static void setup_sparse(void)
{
	fake_set_sparse(2, 2, areas);
	dev = fake_adopt();
}

/* BAR2 with a v3 capability: WC, an MSI-X page without, WC (0.3) */
static void setup_msix_areas(void)
{
	const uint64_t a[] = {
		0, 0x18000, VFIO_MMAP_ATTR_WC,
		0x18000, 0x1000, 0,
		0x19000, 0x1e7000, VFIO_MMAP_ATTR_WC,
	};
	struct vfio_info_cap_header h = {
		.id = VFIO_REGION_INFO_CAP_MMAP_ATTRS, .version = 2,
	};
	uint64_t attrs = VFIO_MMAP_ATTR_WC;
	uint32_t nr = 3, zero = 0;
	uint8_t *c = fake.regions[2].caps;

	memcpy(c, &h, sizeof(h));
	memcpy(c + 8, &attrs, 8);
	memcpy(c + 16, &nr, 4);
	memcpy(c + 20, &zero, 4);
	memcpy(c + 24, a, sizeof(a));
	fake.regions[2].caps_len = 24 + sizeof(a);
	dev = fake_adopt();
}

/* A stock kernel, a device adopted with the sysfs WC fallback */
static void setup_stock(void)
{
	struct vfiomap_adopt_opts o = { .size = sizeof(o), .bdf = BDF,
					.flags = VFIOMAP_ADOPT_WC_SYSFS_FALLBACK };
	int fd = fcntl(fake.memfd, F_DUPFD_CLOEXEC, 0);

	fake.cookie_uapi = false;
	ck_assert_int_eq(vfiomap_device_adopt_opts(fd, &o, &dev), 0);
	close(fd);
}

static void setup_cookie(void)
{
	dev = fake_adopt();
	ck_assert_int_eq(vfiomap_cookie_create(dev, 2, 0x20000, 0x10000, VFIOMAP_ATTR_WC,
					       &cookie), 0);
}

static void setup_reservation(void)
{
	res = mmap(NULL, RES_LEN, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		   -1, 0);
	ck_assert_ptr_ne(res, MAP_FAILED);
	dev = fake_adopt();
}

static void setup_sparse_reservation(void)
{
	fake_set_sparse(2, 2, areas);
	setup_reservation();
}

static void setup_ctx(enum vfiomap_ctx_mode mode)
{
	struct vfiomap_ctx_opts o = { .size = sizeof(o), .mode = mode };

	ck_assert_int_eq(vfiomap_ctx_create(&o, &ctx), 0);
}

static void setup_ctx_iommufd(void)
{
	setup_ctx(VFIOMAP_CTX_IOMMUFD);
}

static void setup_ctx_type1(void)
{
	setup_ctx(VFIOMAP_CTX_TYPE1);
}

/* A context with a device in it (a type1 container maps once it has one). */
static void setup_ctx_dev(enum vfiomap_ctx_mode mode)
{
	setup_ctx(mode);
	ck_assert_int_eq(vfiomap_device_open_in(ctx, BDF, NULL, &dev), 0);
}

static void setup_ctx_dev_iommufd(void)
{
	setup_ctx_dev(VFIOMAP_CTX_IOMMUFD);
}

static void setup_ctx_dev_type1(void)
{
	setup_ctx_dev(VFIOMAP_CTX_TYPE1);
}

static void setup_ctx_mapped_iommufd(void)
{
	setup_ctx_dev(VFIOMAP_CTX_IOMMUFD);
	ck_assert_int_eq(vfiomap_ctx_map_dma(ctx, dmabuf, DMA_IOVA, sizeof(dmabuf),
					     VFIOMAP_DMA_READ), 0);
}

static void setup_ctx_mapped_type1(void)
{
	setup_ctx_dev(VFIOMAP_CTX_TYPE1);
	ck_assert_int_eq(vfiomap_ctx_map_dma(ctx, dmabuf, DMA_IOVA, sizeof(dmabuf),
					     VFIOMAP_DMA_READ), 0);
}

static int call_ctx_create(enum vfiomap_ctx_mode mode)
{
	struct vfiomap_ctx_opts o = { .size = sizeof(o), .mode = mode };

	return vfiomap_ctx_create(&o, &out_ctx);
}

static int call_ctx_create_iommufd(void)
{
	return call_ctx_create(VFIOMAP_CTX_IOMMUFD);
}

static int call_ctx_create_type1(void)
{
	return call_ctx_create(VFIOMAP_CTX_TYPE1);
}

static int call_ctx_create_auto(void)
{
	return call_ctx_create(VFIOMAP_CTX_AUTO);
}

static int call_ctx_adopt(void)
{
	return vfiomap_ctx_adopt(VFIOMAP_CTX_IOMMUFD, vmm, vmm_ioas, &out_ctx);
}

static int call_open_in(void)
{
	return vfiomap_device_open_in(ctx, BDF, NULL, &out_dev);
}

static int call_ctx_map_dma(void)
{
	return vfiomap_ctx_map_dma(ctx, dmabuf, DMA_IOVA, sizeof(dmabuf),
				   VFIOMAP_DMA_READ | VFIOMAP_DMA_WRITE);
}

static int call_ctx_unmap_dma(void)
{
	return vfiomap_ctx_unmap_dma(ctx, DMA_IOVA, sizeof(dmabuf));
}

static int call_ctx_iova_ranges(void)
{
	struct vfiomap_iova_range r[4];
	size_t nr;

	return vfiomap_ctx_iova_ranges(ctx, r, 4, &nr);
}

static int open_mode(const char *bdf, enum vfiomap_mode mode)
{
	struct vfiomap_open_opts o = open_opts(mode, 0);

	return vfiomap_device_open(bdf, &o, &out_dev);
}

static int call_open_group(void)
{
	return open_mode(BDF, VFIOMAP_MODE_GROUP);
}

static int call_open_noiommu(void)
{
	return open_mode(BDF, VFIOMAP_MODE_NOIOMMU);
}

static int call_open_cdev(void)
{
	return open_mode(BDF, VFIOMAP_MODE_CDEV);
}

static int call_open_auto(void)
{
	return open_mode(BDF, VFIOMAP_MODE_AUTO);
}

static int call_open_second(void)
{
	return open_mode(BDF2, VFIOMAP_MODE_GROUP);
}

static int call_open_container(void)
{
	struct vfiomap_open_opts o = open_opts(VFIOMAP_MODE_GROUP, VFIOMAP_OPEN_CONTAINER);

	o.container_fd = vmm;
	return vfiomap_device_open(BDF, &o, &out_dev);
}

static int call_open_iommufd(void)
{
	struct vfiomap_open_opts o = open_opts(VFIOMAP_MODE_AUTO, VFIOMAP_OPEN_IOMMUFD);

	o.iommufd = vmm;
	o.ioas_id = vmm_ioas;
	return vfiomap_device_open(BDF, &o, &out_dev);
}

static int call_adopt(void)
{
	return vfiomap_device_adopt_opts(vmm, NULL, &out_dev);
}

static int call_adopt_bdf(void)
{
	struct vfiomap_adopt_opts o = { .size = sizeof(o), .bdf = BDF,
					.flags = VFIOMAP_ADOPT_WC_SYSFS_FALLBACK };

	return vfiomap_device_adopt_opts(vmm, &o, &out_dev);
}

static int call_region_get(void)
{
	return vfiomap_region_get(dev, 2, &out_region);
}

static int call_cookie_create(void)
{
	return vfiomap_cookie_create(dev, 2, 0x10000, 0x10000, VFIOMAP_ATTR_WC, &out_cookie);
}

static int call_cookie_get(void)
{
	return vfiomap_cookie_get(dev, 2, 0x10000, 0x10000, VFIOMAP_ATTR_WC, &out_handle);
}

static int call_map(void)
{
	return vfiomap_map(dev, 2, 0x10000, 0x10000, NULL, &out_map);
}

static int map_opts(uint64_t offset, uint64_t size, uint32_t flags, uint32_t attrs)
{
	struct vfiomap_map_opts o = { .size = sizeof(o), .flags = flags, .attrs = attrs };

	if (flags & VFIOMAP_MAP_COOKIE)
		o.cookie = cookie;
	if (flags & VFIOMAP_MAP_FIXED)
		o.addr = res + 0x101000;
	return vfiomap_map(dev, 2, offset, size, &o, &out_map);
}

static int call_map_wc(void)
{
	return map_opts(0x10000, 0x10000, 0, VFIOMAP_ATTR_WC);
}

static int call_map_wc_where_allowed(void)
{
	return map_opts(0x10000, 0x10000, VFIOMAP_MAP_WC_WHERE_ALLOWED, 0);
}

static int call_map_dontfork(void)
{
	return map_opts(0x10000, 0x10000, VFIOMAP_MAP_DONTFORK, 0);
}

static int call_map_cookie(void)
{
	return map_opts(0x28000, 0x8000, VFIOMAP_MAP_COOKIE, 0);
}

static int call_map_sparse(void)
{
	return vfiomap_map(dev, 2, 0, 0, NULL, &out_map);
}

static int call_map_fixed(void)
{
	return map_opts(0x10000, 0x10000, VFIOMAP_MAP_FIXED, 0);
}

static int call_map_fixed_wc(void)
{
	return map_opts(0x10000, 0x10000, VFIOMAP_MAP_FIXED, VFIOMAP_ATTR_WC);
}

static int call_map_fixed_sparse(void)
{
	return map_opts(0, 0x10000, VFIOMAP_MAP_FIXED, 0);
}

static int call_map_range(void)
{
	return vfiomap_map_range(dev, 2, 0x20000, 0x10000, 0, 0, &out_map);
}

static int call_map_range_wc(void)
{
	return vfiomap_map_range(dev, 2, 0x20000, 0x10000, VFIOMAP_ATTR_WC, 0, &out_map);
}

static int call_map_region(void)
{
	return vfiomap_map_region(dev, 0, 0, &out_map);
}

/* The call's out argument: NULL after a failure. */
enum out { OUT_DEV = 1, OUT_REGION, OUT_COOKIE, OUT_HANDLE, OUT_MAP, OUT_CTX,
	   OUT_DMA,		/* none: a DMA mapping was made */
	   OUT_UNMAPPED,	/* none: the DMA mapping of the setup was removed */
	   OUT_NONE };

struct errcase {
	const char *name;
	void (*tree)(void);		/* the sysfs and /dev tree, made once */
	void (*setup)(void);		/* before each try, unarmed; NULL: none */
	int (*call)(void);
	enum out out;
};

static const struct errcase cases[] = {
	{ "open type1 group", tree_plain, NULL, call_open_group, OUT_DEV },
	{ "open no-IOMMU group", tree_noiommu, NULL, call_open_noiommu, OUT_DEV },
	{ "open cdev", tree_cdev, NULL, call_open_cdev, OUT_DEV },
	{ "open no-IOMMU cdev", tree_noiommu_cdev, NULL, call_open_cdev, OUT_DEV },
	{ "open auto (cdev, else group)", tree_cdev, NULL, call_open_auto, OUT_DEV },
	{ "open into the caller's container", tree_plain, setup_container,
	  call_open_container, OUT_DEV },
	{ "open into the caller's iommufd and IOAS", tree_cdev, setup_iommufd,
	  call_open_iommufd, OUT_DEV },
	{ "open the second device of an open group", tree_two, setup_other,
	  call_open_second, OUT_DEV },
	{ "adopt_opts", NULL, setup_vmm_fd, call_adopt, OUT_DEV },
	{ "adopt_opts with an address", tree_plain, setup_vmm_fd, call_adopt_bdf, OUT_DEV },
	{ "region_get", NULL, setup_adopt, call_region_get, OUT_REGION },
	{ "region_get with sparse areas", NULL, setup_sparse, call_region_get, OUT_REGION },
	{ "cookie_create", NULL, setup_adopt, call_cookie_create, OUT_COOKIE },
	{ "cookie_get", NULL, setup_adopt, call_cookie_get, OUT_HANDLE },
	{ "map", NULL, setup_adopt, call_map, OUT_MAP },
	{ "map WC (cookie)", NULL, setup_adopt, call_map_wc, OUT_MAP },
	{ "map WC (sysfs fallback)", tree_pat, setup_stock, call_map_wc, OUT_MAP },
	{ "map DONTFORK", NULL, setup_adopt, call_map_dontfork, OUT_MAP },
	{ "map WC where allowed (around MSI-X)", NULL, setup_msix_areas,
	  call_map_wc_where_allowed, OUT_MAP },
	{ "map an existing cookie", NULL, setup_cookie, call_map_cookie, OUT_MAP },
	{ "map sparse areas", NULL, setup_sparse, call_map_sparse, OUT_MAP },
	{ "map FIXED", NULL, setup_reservation, call_map_fixed, OUT_MAP },
	{ "map FIXED WC", NULL, setup_reservation, call_map_fixed_wc, OUT_MAP },
	{ "map FIXED sparse areas", NULL, setup_sparse_reservation, call_map_fixed_sparse, OUT_MAP },
	{ "map_range", NULL, setup_adopt, call_map_range, OUT_MAP },
	{ "map_range WC", NULL, setup_adopt, call_map_range_wc, OUT_MAP },
	{ "map_region", NULL, setup_adopt, call_map_region, OUT_MAP },
	{ "ctx_create iommufd", tree_cdev, NULL, call_ctx_create_iommufd, OUT_CTX },
	{ "ctx_create type1", tree_plain, NULL, call_ctx_create_type1, OUT_CTX },
	{ "ctx_create auto (iommufd, else type1)", tree_cdev, NULL, call_ctx_create_auto,
	  OUT_CTX },
	{ "ctx_adopt", tree_cdev, setup_iommufd, call_ctx_adopt, OUT_CTX },
	{ "open_in an iommufd context", tree_cdev, setup_ctx_iommufd, call_open_in, OUT_DEV },
	{ "open_in a type1 context", tree_plain, setup_ctx_type1, call_open_in, OUT_DEV },
	{ "ctx_map_dma iommufd", tree_cdev, setup_ctx_dev_iommufd, call_ctx_map_dma, OUT_DMA },
	{ "ctx_map_dma type1", tree_plain, setup_ctx_dev_type1, call_ctx_map_dma, OUT_DMA },
	{ "ctx_unmap_dma iommufd", tree_cdev, setup_ctx_mapped_iommufd, call_ctx_unmap_dma,
	  OUT_UNMAPPED },
	{ "ctx_unmap_dma type1", tree_plain, setup_ctx_mapped_type1, call_ctx_unmap_dma,
	  OUT_UNMAPPED },
	{ "ctx_iova_ranges iommufd", tree_cdev, setup_ctx_dev_iommufd, call_ctx_iova_ranges,
	  OUT_NONE },
	{ "ctx_iova_ranges type1", tree_plain, setup_ctx_dev_type1, call_ctx_iova_ranges,
	  OUT_NONE },
};
#define NR_CASES ((int)(sizeof(cases) / sizeof(cases[0])))

/* Release what a successful call made. */
static void undo(enum out out)
{
	switch (out) {
	case OUT_DEV:
		vfiomap_device_close(out_dev);
		break;
	case OUT_REGION:	/* the device's */
		break;
	case OUT_COOKIE:
		ck_assert_int_eq(vfiomap_cookie_destroy(dev, out_cookie), 0);
		break;
	case OUT_HANDLE:
		ck_assert_int_eq(vfiomap_cookie_put(out_handle), 0);
		break;
	case OUT_MAP:
		ck_assert_int_eq(vfiomap_unmap(out_map), 0);
		break;
	case OUT_CTX:
		ck_assert_int_eq(vfiomap_ctx_destroy(out_ctx), 0);
		break;
	case OUT_DMA:
		ck_assert_int_eq(vfiomap_ctx_unmap_dma(ctx, DMA_IOVA, sizeof(dmabuf)), 0);
		break;
	case OUT_UNMAPPED:
		ck_assert_int_eq(vfiomap_ctx_map_dma(ctx, dmabuf, DMA_IOVA, sizeof(dmabuf),
						     VFIOMAP_DMA_READ), 0);
		break;
	case OUT_NONE:
		break;
	}
}

/* The call's out argument is NULL (a cookie value: not set). */
static bool out_null(enum out out)
{
	switch (out) {
	case OUT_DEV: return !out_dev;
	case OUT_REGION: return !out_region;
	case OUT_COOKIE: return !out_cookie;
	case OUT_HANDLE: return !out_handle;
	case OUT_MAP: return !out_map;
	case OUT_CTX: return !out_ctx;
	case OUT_DMA: case OUT_UNMAPPED: case OUT_NONE: return true;
	}
	return false;
}

/* After each try: what the setup made. */
static void teardown(void)
{
	vfiomap_device_close(dev);
	vfiomap_device_close(other);
	dev = other = NULL;
	ck_assert_int_eq(vfiomap_ctx_destroy(ctx), 0);
	ctx = NULL;
	cookie = 0;
	if (vmm >= 0)
		close(vmm);
	vmm = -1;
	if (res)
		munmap(res, RES_LEN);
	res = NULL;
}

/* Fail the k-th call of @c's call, with @err, for k = 1, 2, ... */
static void run_case(const struct errcase *c, int err)
{
	unsigned int k, failed = 0;

	for (k = 1;; k++) {
		struct state before, after;
		char when[512];
		bool hit;
		int ret;

		ck_assert_msg(k < 1000, "%s: the call never succeeds", c->name);
		fake_reset();
		if (c->setup)
			c->setup();
		out_dev = (void *)&poison;
		out_map = (void *)&poison;
		out_handle = (void *)&poison;
		out_region = (void *)&poison;
		out_ctx = (void *)&poison;
		out_cookie = 0;
		snap(&before);
		fake_inject_arm(k, err);
		ret = c->call();
		hit = fake_inject_disarm();
		snprintf(when, sizeof(when), "%s: %s%s (errno %d): returned %d%s%s", c->name,
			 hit ? "failed " : "nothing failed, ", hit ? fake.inj.what : "", err, ret,
			 ret ? ": " : "", ret ? vfiomap_strerror() : "");
		if (ret) {
			ck_assert_msg(hit, "%s", when);
			ck_assert_msg(ret < 0 && ret > -4096, "%s: not a negative errno", when);
			ck_assert_msg(vfiomap_strerror()[0], "%s: no message", when);
			ck_assert_msg(out_null(c->out), "%s: its out argument is not NULL", when);
			failed++;
		} else {
			undo(c->out);
		}
		snap(&after);
		same_state(&before, &after, when);
		state_free(&before);
		state_free(&after);
		teardown();
		if (!hit)
			break;
	}
	ck_assert_msg(failed, "%s: no failure of any call made it fail", c->name);
}

START_TEST(each_call_fails)
{
	static const int errs[] = { EIO, ENOENT, EINVAL };
	const struct errcase *c = &cases[_i];

	if (c->tree)
		c->tree();
	for (size_t e = 0; e < sizeof(errs) / sizeof(errs[0]); e++)
		run_case(c, errs[e]);
	fake_tree_destroy(&tree);
}
END_TEST

/*
 * The interception works: each kind of call is seen (if the library's
 * calls stopped reaching a wrapper, a different libc symbol name say, the
 * test above would fail less and pass).
 */
START_TEST(every_call_kind_is_intercepted)
{
	struct vfiomap_adopt_opts ao = { .size = sizeof(ao), .bdf = BDF,
					 .flags = VFIOMAP_ADOPT_WC_SYSFS_FALLBACK };
	struct vfiomap_open_opts o;
	struct vfiomap_mapping *m;
	unsigned int seen[FAKE_NR_CALLS] = { 0 };
	struct vfiomap_device *d;

#define COUNTED(stmt) do {							\
		fake_inject_arm(0, 0);						\
		stmt;								\
		fake_inject_disarm();						\
		for (int _k = 0; _k < FAKE_NR_CALLS; _k++)			\
			seen[_k] += fake.inj.by_kind[_k];			\
	} while (0)

	fake_reset();
	fake_tree_create(&tree, BDF, "vfio0", true);
	fake_tree_pat(&tree, PAT_WC);
	o = open_opts(VFIOMAP_MODE_GROUP, 0);
	COUNTED(ck_assert_int_eq(vfiomap_device_open(BDF, &o, &d), 0));
	vfiomap_device_close(d);
	o = open_opts(VFIOMAP_MODE_CDEV, 0);
	COUNTED(ck_assert_int_eq(vfiomap_device_open(BDF, &o, &d), 0));
	vfiomap_device_close(d);
	setup_vmm_fd();
	COUNTED(ck_assert_int_eq(vfiomap_device_adopt_opts(vmm, &ao, &d), 0));
	fake.cookie_uapi = false;
	COUNTED(ck_assert_int_eq(vfiomap_map_range(d, 2, 0, 0x1000, VFIOMAP_ATTR_WC, 0, &m), 0));
	dev = d;
	COUNTED(ck_assert_int_eq(map_opts(0x1000, 0x1000, VFIOMAP_MAP_DONTFORK, 0), 0));
	teardown();
	fake_tree_destroy(&tree);
	for (int k = 0; k < FAKE_NR_CALLS; k++)
		ck_assert_msg(seen[k], "no %s of the library was intercepted", fake_call_names[k]);
#undef COUNTED
}
END_TEST

int main(void)
{
	Suite *s = suite_create("errpaths");
	TCase *tc = tcase_create("fake-kernel");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, every_call_kind_is_intercepted);
	tcase_add_loop_test(tc, each_call_fails, 0, NR_CASES);
	suite_add_tcase(s, tc);
	return ck_run(s);
}
