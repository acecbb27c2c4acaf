// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * IOMMU contexts (vfiomap_ctx_*) against the fake VFIO kernel: devices
 * opened into a created or adopted context, DMA mappings visible in the
 * fake and gone after unmap or destroy, what destroy frees and leaves.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fake_vfio.h"
#include "ck_run.h"

static struct fake_tree tree;
static void *buf = MAP_FAILED;
#define BUF_SIZE (4 * 4096)

static void setup(void)
{
	fake_reset();
	buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(buf, MAP_FAILED);
}

static void teardown(void)
{
	fake_tree_destroy(&tree);
	munmap(buf, BUF_SIZE);
}

static int nr_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* Two devices in groups 7 and 8, with cdevs vfio0 and vfio1. */
static void two_devices(bool iommufd)
{
	fake_tree_create(&tree, "0000:00:04.0", "vfio0", iommufd);
	fake_tree_add(&tree, "0000:00:05.0", "8", "vfio1");
}

static struct vfiomap_ctx *create_ok(enum vfiomap_ctx_mode mode)
{
	struct vfiomap_ctx_opts o = { .size = sizeof(o), .mode = mode };
	struct vfiomap_ctx *ctx = NULL;
	int ret = vfiomap_ctx_create(&o, &ctx);

	ck_assert_msg(ret == 0, "ctx_create: %d %s", ret, vfiomap_last_error());
	return ctx;
}

static struct vfiomap_device *open_in_ok(struct vfiomap_ctx *ctx, const char *bdf)
{
	struct vfiomap_device *dev = NULL;
	int ret = vfiomap_device_open_in(ctx, bdf, NULL, &dev);

	ck_assert_msg(ret == 0, "open_in %s: %d %s", bdf, ret, vfiomap_last_error());
	return dev;
}

static void expect_ranges(struct vfiomap_ctx *ctx)
{
	struct vfiomap_iova_range r[4];
	size_t nr = 99;

	ck_assert_int_eq(vfiomap_ctx_iova_ranges(ctx, NULL, 0, &nr), 0);
	ck_assert_uint_eq(nr, 2);
	memset(r, 0xa5, sizeof(r));
	ck_assert_int_eq(vfiomap_ctx_iova_ranges(ctx, r, 1, &nr), 0);
	ck_assert_uint_eq(nr, 2);
	ck_assert_uint_eq(r[0].start, 0);
	ck_assert_uint_eq(r[0].last, FAKE_IOVA_HOLE - 1);
	ck_assert_uint_eq(r[1].start, 0xa5a5a5a5a5a5a5a5ULL);	/* not written */
	ck_assert_int_eq(vfiomap_ctx_iova_ranges(ctx, r, 4, &nr), 0);
	ck_assert_uint_eq(nr, 2);
	ck_assert_uint_eq(r[1].start, FAKE_IOVA_HOLE_END + 1);
	ck_assert_uint_eq(r[1].last, FAKE_IOVA_LAST);
}

/* Map, see it in the fake, unmap, see it gone. */
static void map_unmap(struct vfiomap_ctx *ctx)
{
	struct fake_dma *d;

	ck_assert_int_eq(vfiomap_ctx_map_dma(ctx, buf, 0x100000, BUF_SIZE,
					     VFIOMAP_DMA_READ | VFIOMAP_DMA_WRITE), 0);
	d = fake_dma_at(0x100000);
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(d->vaddr, (uintptr_t)buf);
	ck_assert_uint_eq(d->size, BUF_SIZE);
	ck_assert(d->read && d->write);
	/* the same IOVA again: the kernel's -EEXIST, with a message */
	ck_assert_int_eq(vfiomap_ctx_map_dma(ctx, buf, 0x100000, 4096, VFIOMAP_DMA_READ),
			 -EEXIST);
	ck_assert_ptr_nonnull(strstr(vfiomap_last_error(), "0x100000"));
	ck_assert_int_eq(vfiomap_ctx_unmap_dma(ctx, 0x100000, BUF_SIZE), 0);
	ck_assert_ptr_null(fake_dma_at(0x100000));
	ck_assert_int_eq(vfiomap_ctx_unmap_dma(ctx, 0x100000, BUF_SIZE), -ENOENT);
	ck_assert_ptr_nonnull(strstr(vfiomap_last_error(), "0x100000"));
	/* read-only, and left mapped for destroy */
	ck_assert_int_eq(vfiomap_ctx_map_dma(ctx, buf, 0x200000, 4096, VFIOMAP_DMA_READ), 0);
	d = fake_dma_at(0x200000);
	ck_assert_ptr_nonnull(d);
	ck_assert(d->read && !d->write);
}

START_TEST(iommufd_ctx_two_devices_map_destroy)
{
	struct vfiomap_device *a, *b;
	struct vfiomap_ctx *ctx;
	struct fake_live l;
	uint32_t ioas = 0, ia = 0, ib = 0;
	int fds, fd;

	two_devices(true);
	fds = nr_open_fds();
	ctx = create_ok(VFIOMAP_CTX_IOMMUFD);
	ck_assert_int_eq(vfiomap_ctx_mode(ctx), VFIOMAP_CTX_IOMMUFD);
	fd = vfiomap_ctx_fd(ctx, &ioas);
	ck_assert_int_ge(fd, 0);
	ck_assert_uint_ne(ioas, 0);
	a = open_in_ok(ctx, "0000:00:04.0");
	b = open_in_ok(ctx, "0000:00:05.0");
	ck_assert_int_eq(vfiomap_device_mode(a), VFIOMAP_MODE_CDEV);
	ck_assert_int_eq(vfiomap_device_iommufd(a, &ia), fd);
	ck_assert_int_eq(vfiomap_device_iommufd(b, &ib), fd);
	ck_assert_uint_eq(ia, ioas);
	ck_assert_uint_eq(ib, ioas);
	ck_assert_uint_eq(fake.nr_ioas_alloc, 1);
	ck_assert_uint_eq(fake.nr_attach, 2);
	map_unmap(ctx);
	expect_ranges(ctx);
	ck_assert_int_eq(vfiomap_ctx_destroy(ctx), -EBUSY);
	ck_assert_ptr_nonnull(strstr(vfiomap_last_error(), "2 devices"));
	vfiomap_device_close(a);
	ck_assert_int_eq(vfiomap_ctx_destroy(ctx), -EBUSY);
	vfiomap_device_close(b);
	fake_live(&l);
	ck_assert_uint_eq(l.ioas, 1);		/* the handle keeps the context */
	ck_assert_uint_eq(l.dma, 1);
	ck_assert_int_eq(vfiomap_ctx_destroy(ctx), 0);
	fake_live(&l);
	ck_assert_uint_eq(l.iommufds, 0);
	ck_assert_uint_eq(l.ioas, 0);
	ck_assert_uint_eq(l.dma, 0);
	ck_assert_uint_eq(fake.nr_destroy, 1);
	ck_assert_int_eq(nr_open_fds(), fds);
	ck_assert_int_eq(vfiomap_ctx_destroy(NULL), 0);
}
END_TEST

START_TEST(type1_ctx_two_devices_map_destroy)
{
	struct vfiomap_device *a, *b;
	struct vfiomap_ctx *ctx;
	struct vfiomap_open_opts o = { .size = sizeof(o), .mode = VFIOMAP_MODE_GROUP };
	struct fake_live l;
	size_t nr;
	int fds, fd;

	two_devices(true);
	fds = nr_open_fds();
	ctx = create_ok(VFIOMAP_CTX_TYPE1);
	ck_assert_int_eq(vfiomap_ctx_mode(ctx), VFIOMAP_CTX_TYPE1);
	fd = vfiomap_ctx_fd(ctx, NULL);
	/* no group yet: no IOMMU to map with */
	ck_assert_int_eq(vfiomap_ctx_map_dma(ctx, buf, 0x100000, 4096, VFIOMAP_DMA_READ),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(vfiomap_last_error(), "open a device"));
	ck_assert_int_eq(vfiomap_ctx_iova_ranges(ctx, NULL, 0, &nr), -EINVAL);
	a = open_in_ok(ctx, "0000:00:04.0");	/* AUTO: the group, not the cdev */
	ck_assert_int_eq(vfiomap_device_mode(a), VFIOMAP_MODE_GROUP);
	ck_assert_int_eq(vfiomap_device_open_in(ctx, "0000:00:05.0", &o, &b), 0);
	ck_assert_int_eq(vfiomap_device_container_fd(a), fd);
	ck_assert_int_eq(vfiomap_device_container_fd(b), fd);
	ck_assert_uint_eq(fake.nr_set_iommu, 1);
	ck_assert_uint_eq(fake.nr_set_container, 2);
	map_unmap(ctx);
	expect_ranges(ctx);
	ck_assert_int_eq(vfiomap_ctx_destroy(ctx), -EBUSY);
	vfiomap_device_close(a);
	vfiomap_device_close(b);
	/* the last group took the IOMMU: no mapping until a device joins again */
	ck_assert_int_eq(vfiomap_ctx_map_dma(ctx, buf, 0x100000, 4096, VFIOMAP_DMA_READ),
			 -EINVAL);
	a = open_in_ok(ctx, "0000:00:04.0");
	ck_assert_uint_eq(fake.nr_set_iommu, 2);
	ck_assert_int_eq(vfiomap_ctx_map_dma(ctx, buf, 0x100000, 4096, VFIOMAP_DMA_READ), 0);
	vfiomap_device_close(a);
	ck_assert_int_eq(vfiomap_ctx_destroy(ctx), 0);
	fake_live(&l);
	ck_assert_uint_eq(l.containers, 0);
	ck_assert_uint_eq(l.groups, 0);
	ck_assert_uint_eq(l.dma, 0);
	ck_assert_int_eq(nr_open_fds(), fds);
}
END_TEST

START_TEST(adopted_iommufd_ctx_leaves_the_ioas)
{
	struct vfiomap_device *a;
	struct vfiomap_ctx *ctx = NULL;
	struct fake_live l;
	uint32_t ioas, got = 0;
	char path[256];
	int fd, fds;

	two_devices(true);
	snprintf(path, sizeof(path), "%s/iommu", tree.dev);
	fd = vfm__open_node(path);		/* the consumer's iommufd */
	ck_assert_int_ge(fd, 0);
	ioas = fake_ioas_alloc(fd);
	fds = nr_open_fds();
	ck_assert_int_eq(vfiomap_ctx_adopt(VFIOMAP_CTX_IOMMUFD, fd, ioas, &ctx), 0);
	ck_assert_int_ne(vfiomap_ctx_fd(ctx, &got), fd);	/* a duplicate */
	ck_assert_uint_eq(got, ioas);
	a = open_in_ok(ctx, "0000:00:04.0");
	ck_assert_uint_eq(fake.attach_pt, ioas);
	ck_assert_uint_eq(fake.nr_ioas_alloc, 0);
	ck_assert_int_eq(vfiomap_ctx_map_dma(ctx, buf, 0x100000, BUF_SIZE, VFIOMAP_DMA_WRITE), 0);
	vfiomap_device_close(a);
	ck_assert_int_eq(vfiomap_ctx_destroy(ctx), 0);
	ck_assert_int_eq(nr_open_fds(), fds);
	fake_live(&l);
	ck_assert_uint_eq(l.iommufds, 1);
	ck_assert_uint_eq(l.ioas, 1);		/* the consumer's IOAS */
	ck_assert_uint_eq(fake.nr_destroy, 0);
	ck_assert_ptr_nonnull(fake_dma_at(0x100000));	/* its mappings are its own */
	close(fd);
}
END_TEST

START_TEST(adopted_container_ctx_leaves_the_container)
{
	struct vfiomap_device *a;
	struct vfiomap_ctx *ctx = NULL;
	struct fake_live l;
	char path[256];
	int fd, fds;

	two_devices(false);
	snprintf(path, sizeof(path), "%s/vfio/vfio", tree.dev);
	fd = vfm__open_node(path);		/* the consumer's container */
	ck_assert_int_ge(fd, 0);
	fds = nr_open_fds();
	ck_assert_int_eq(vfiomap_ctx_adopt(VFIOMAP_CTX_TYPE1, fd, 0, &ctx), 0);
	a = open_in_ok(ctx, "0000:00:04.0");
	ck_assert_int_eq(vfiomap_device_container_fd(a), vfiomap_ctx_fd(ctx, NULL));
	map_unmap(ctx);
	ck_assert_int_eq(vfiomap_ctx_destroy(ctx), -EBUSY);
	vfiomap_device_close(a);
	ck_assert_int_eq(vfiomap_ctx_destroy(ctx), 0);
	ck_assert_int_eq(nr_open_fds(), fds);
	fake_live(&l);
	ck_assert_uint_eq(l.containers, 1);	/* the consumer's, still open */
	ck_assert_ptr_nonnull(fake_dma_at(0x200000));	/* the library unmapped nothing */
	close(fd);
	fake_live(&l);
	ck_assert_uint_eq(l.containers, 0);
}
END_TEST

START_TEST(auto_picks_iommufd_else_type1)
{
	struct vfiomap_ctx *ctx = NULL;

	two_devices(true);
	ck_assert_int_eq(vfiomap_ctx_create(NULL, &ctx), 0);
	ck_assert_int_eq(vfiomap_ctx_mode(ctx), VFIOMAP_CTX_IOMMUFD);
	ck_assert_int_eq(vfiomap_ctx_destroy(ctx), 0);
	fake_tree_destroy(&tree);
	two_devices(false);
	ck_assert_int_eq(vfiomap_ctx_create(NULL, &ctx), 0);
	ck_assert_int_eq(vfiomap_ctx_mode(ctx), VFIOMAP_CTX_TYPE1);
	ck_assert_int_eq(vfiomap_ctx_destroy(ctx), 0);
	/* asked for iommufd explicitly: its absence is the error */
	ck_assert_int_eq(vfiomap_ctx_create(&(struct vfiomap_ctx_opts){ .size =
		sizeof(struct vfiomap_ctx_opts), .mode = VFIOMAP_CTX_IOMMUFD }, &ctx), -ENOENT);
	ck_assert_ptr_null(ctx);
}
END_TEST

/* A no-IOMMU group in a type1-created context: no DMA mapping, said so. */
START_TEST(noiommu_context_has_no_dma)
{
	struct vfiomap_open_opts o = { .size = sizeof(o), .mode = VFIOMAP_MODE_NOIOMMU };
	struct vfiomap_iova_range r[2];
	struct vfiomap_device *dev = NULL;
	struct vfiomap_ctx *ctx;
	char p[512];
	size_t nr;
	FILE *f;

	fake_tree_create(&tree, "0000:00:04.0", NULL, false);
	snprintf(p, sizeof(p), "%s/vfio/noiommu-7", tree.dev);
	f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	ctx = create_ok(VFIOMAP_CTX_TYPE1);
	ck_assert_int_eq(vfiomap_device_open_in(ctx, "0000:00:04.0", &o, &dev), 0);
	ck_assert_int_eq(vfiomap_device_mode(dev), VFIOMAP_MODE_NOIOMMU);
	ck_assert_int_eq(vfiomap_ctx_map_dma(ctx, buf, 0x100000, 4096, VFIOMAP_DMA_READ),
			 -EOPNOTSUPP);
	ck_assert_ptr_nonnull(strstr(vfiomap_last_error(), "no-IOMMU"));
	ck_assert_int_eq(vfiomap_ctx_unmap_dma(ctx, 0x100000, 4096), -EOPNOTSUPP);
	ck_assert_int_eq(vfiomap_ctx_iova_ranges(ctx, r, 2, &nr), -EOPNOTSUPP);
	ck_assert_uint_eq(nr, 0);
	vfiomap_device_close(dev);
	ck_assert_int_eq(vfiomap_ctx_destroy(ctx), 0);
}
END_TEST

/* A VFIO_IOMMU_GET_INFO reply: the fixed part, capabilities at @at. */
static void put_info(uint32_t flags, uint32_t cap_offset, size_t len)
{
	struct vfio_iommu_type1_info info = { .flags = flags, .cap_offset = cap_offset };

	memset(fake.iommu_info, 0, sizeof(fake.iommu_info));
	memcpy(fake.iommu_info, &info, sizeof(info));
	fake.iommu_info_len = len;
}

static void put_cap(size_t at, uint16_t id, uint32_t next, uint32_t nr)
{
	struct vfio_iommu_type1_info_cap_iova_range c = {
		.header = { .id = id, .version = 1, .next = next }, .nr_iovas = nr };

	memcpy(fake.iommu_info + at, &c, sizeof(c));
}

static void expect_ranges_err(struct vfiomap_ctx *ctx, int err, const char *what)
{
	struct vfiomap_iova_range r[4];
	size_t nr = 7;

	ck_assert_int_eq(vfiomap_ctx_iova_ranges(ctx, r, 4, &nr), err);
	ck_assert_uint_eq(nr, 0);
	ck_assert_msg(strstr(vfiomap_last_error(), what), "'%s' lacks '%s'",
		      vfiomap_last_error(), what);
}

/* The type1 capability chain is checked: bounds, forward only, room for the ranges. */
START_TEST(type1_capability_chain_is_checked)
{
	const size_t base = sizeof(struct vfio_iommu_type1_info);
	const size_t cap = sizeof(struct vfio_iommu_type1_info_cap_iova_range);
	struct vfiomap_iova_range r[4];
	struct vfiomap_device *dev;
	struct vfiomap_ctx *ctx;
	struct vfio_iova_range v = { 0x1000, 0x1fff };
	size_t nr;

	two_devices(false);
	ctx = create_ok(VFIOMAP_CTX_TYPE1);
	dev = open_in_ok(ctx, "0000:00:04.0");
	/* no capabilities */
	put_info(0, 0, base);
	expect_ranges_err(ctx, -EOPNOTSUPP, "no IOVA ranges");
	/* a capability past the reply */
	put_info(VFIO_IOMMU_INFO_CAPS, 200, base + 8);
	expect_ranges_err(ctx, -EPROTO, "header at 200 beyond the");
	/* inside the fixed part */
	put_info(VFIO_IOMMU_INFO_CAPS, 4, base + cap);
	expect_ranges_err(ctx, -EPROTO, "offset 4 goes backwards or overlaps");
	/* a cycle: another capability that points back to the first */
	put_info(VFIO_IOMMU_INFO_CAPS, (uint32_t)base, base + 16);
	put_cap(base, 99, (uint32_t)base + 8, 0);
	put_cap(base + 8, 99, (uint32_t)base, 0);
	expect_ranges_err(ctx, -EPROTO, "does not move forward");
	/* more ranges claimed than the reply holds */
	put_info(VFIO_IOMMU_INFO_CAPS, (uint32_t)base, base + cap + sizeof(v));
	put_cap(base, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, 0, 2);
	expect_ranges_err(ctx, -EPROTO, "no room");
	/* after another capability, one range: found */
	put_info(VFIO_IOMMU_INFO_CAPS, (uint32_t)base, base + 8 + cap + sizeof(v));
	put_cap(base, 99, (uint32_t)base + 8, 0);
	put_cap(base + 8, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, 0, 1);
	memcpy(fake.iommu_info + base + 8 + cap, &v, sizeof(v));
	ck_assert_int_eq(vfiomap_ctx_iova_ranges(ctx, r, 4, &nr), 0);
	ck_assert_uint_eq(nr, 1);
	ck_assert_uint_eq(r[0].start, 0x1000);
	ck_assert_uint_eq(r[0].last, 0x1fff);
	vfiomap_device_close(dev);
	ck_assert_int_eq(vfiomap_ctx_destroy(ctx), 0);
}
END_TEST

/* A child does not open devices into its parent's context. */
static struct vfiomap_ctx *volatile fork_ctx;	/* reachable: the child leaves it alone */

START_TEST(child_does_not_join_parent_ctx)
{
	struct vfiomap_ctx *ctx;
	char verdict = 0;
	int p[2];
	pid_t pid;

	two_devices(true);
	ctx = fork_ctx = create_ok(VFIOMAP_CTX_IOMMUFD);
	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		struct vfiomap_device *dev = NULL;
		int ret = vfiomap_device_open_in(ctx, "0000:00:04.0", NULL, &dev);
		char v = ret == -EINVAL && !dev && strstr(vfiomap_last_error(), "parent") ?
			 'K' : 'J';

		/* the verdict goes through a pipe: valgrind owns the exit code */
		if (write(p[1], &v, 1) != 1)
			_exit(2);
		vfiomap_device_close(dev);
		_exit(0);
	}
	close(p[1]);
	ck_assert_int_eq(read(p[0], &verdict, 1), 1);
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	ck_assert_msg(verdict == 'K', "the child opened a device into the parent's context");
	ck_assert_int_eq(vfiomap_ctx_destroy(ctx), 0);
}
END_TEST

#define EXPECT_EINVAL(call, what)						\
	do {									\
		ck_assert_int_eq((call), -EINVAL);				\
		ck_assert_msg(strstr(vfiomap_last_error(), (what)),		\
			      "%s: '%s' lacks '%s'", #call, vfiomap_last_error(), (what)); \
	} while (0)

START_TEST(bad_inputs_are_einval)
{
	struct vfiomap_ctx_opts o = { .size = sizeof(o), .mode = 7 };
	struct vfiomap_open_opts oo = { .size = sizeof(oo) };
	struct vfiomap_ctx *ctx = NULL, *t1;
	struct vfiomap_device *dev = NULL;
	uint8_t *p = buf;
	size_t nr;

	two_devices(true);
	EXPECT_EINVAL(vfiomap_ctx_create(NULL, NULL), "out is NULL");
	EXPECT_EINVAL(vfiomap_ctx_create(&o, &ctx), "unknown mode");
	o.mode = VFIOMAP_CTX_AUTO;
	o.flags = 1;
	EXPECT_EINVAL(vfiomap_ctx_create(&o, &ctx), "unknown flags");
	EXPECT_EINVAL(vfiomap_ctx_adopt(VFIOMAP_CTX_AUTO, 3, 0, &ctx), "mode");
	EXPECT_EINVAL(vfiomap_ctx_adopt(VFIOMAP_CTX_TYPE1, -1, 0, &ctx), "bad fd");
	EXPECT_EINVAL(vfiomap_ctx_adopt(VFIOMAP_CTX_IOMMUFD, 0, 0, &ctx), "IOAS");
	EXPECT_EINVAL(vfiomap_ctx_adopt(VFIOMAP_CTX_TYPE1, 0, 5, &ctx), "no IOAS");
	ck_assert_int_eq(vfiomap_ctx_adopt(VFIOMAP_CTX_TYPE1, 12345, 0, &ctx), -EBADF);

	ctx = create_ok(VFIOMAP_CTX_IOMMUFD);
	EXPECT_EINVAL(vfiomap_ctx_map_dma(NULL, buf, 0, 4096, VFIOMAP_DMA_READ), "NULL");
	EXPECT_EINVAL(vfiomap_ctx_map_dma(ctx, NULL, 0, 4096, VFIOMAP_DMA_READ), "NULL");
	EXPECT_EINVAL(vfiomap_ctx_map_dma(ctx, buf, 0, 4096, 0), "flags");
	EXPECT_EINVAL(vfiomap_ctx_map_dma(ctx, buf, 0, 4096, 4), "flags");
	EXPECT_EINVAL(vfiomap_ctx_map_dma(ctx, buf, 0, 0, VFIOMAP_DMA_READ), "size is 0");
	EXPECT_EINVAL(vfiomap_ctx_map_dma(ctx, buf, 0x100, 4096, VFIOMAP_DMA_READ),
		      "page size");
	EXPECT_EINVAL(vfiomap_ctx_map_dma(ctx, buf, 0, 100, VFIOMAP_DMA_READ), "page size");
	EXPECT_EINVAL(vfiomap_ctx_map_dma(ctx, p + 8, 0, 4096, VFIOMAP_DMA_READ),
		      "not page aligned");
	EXPECT_EINVAL(vfiomap_ctx_map_dma(ctx, buf, ~0ULL << 12, 8192, VFIOMAP_DMA_READ),
		      "overflows");
	EXPECT_EINVAL(vfiomap_ctx_map_dma(ctx, (void *)(UINTPTR_MAX & ~(uintptr_t)4095), 0,
					  8192, VFIOMAP_DMA_READ), "overflows");
	EXPECT_EINVAL(vfiomap_ctx_unmap_dma(NULL, 0, 4096), "NULL");
	EXPECT_EINVAL(vfiomap_ctx_unmap_dma(ctx, 0, 0), "size is 0");
	EXPECT_EINVAL(vfiomap_ctx_unmap_dma(ctx, 4096, 1), "page size");
	EXPECT_EINVAL(vfiomap_ctx_unmap_dma(ctx, ~0ULL << 12, 8192), "overflows");
	EXPECT_EINVAL(vfiomap_ctx_iova_ranges(ctx, NULL, 0, NULL), "NULL");
	EXPECT_EINVAL(vfiomap_ctx_iova_ranges(ctx, NULL, 2, &nr), "NULL");
	ck_assert_int_eq(fake.nr_ioctls, 1);	/* IOAS_ALLOC: nothing else asked */

	EXPECT_EINVAL(vfiomap_device_open_in(NULL, "0000:00:04.0", NULL, &dev), "NULL");
	EXPECT_EINVAL(vfiomap_device_open_in(ctx, "0000:00:04.0", NULL, NULL), "NULL");
	oo.mode = VFIOMAP_MODE_GROUP;
	EXPECT_EINVAL(vfiomap_device_open_in(ctx, "0000:00:04.0", &oo, &dev), "iommufd context");
	oo.mode = VFIOMAP_MODE_AUTO;
	oo.flags = VFIOMAP_OPEN_CONTAINER;
	oo.container_fd = vfiomap_ctx_fd(ctx, NULL);
	EXPECT_EINVAL(vfiomap_device_open_in(ctx, "0000:00:04.0", &oo, &dev), "replaces");
	t1 = create_ok(VFIOMAP_CTX_TYPE1);
	oo = (struct vfiomap_open_opts){ .size = sizeof(oo), .mode = VFIOMAP_MODE_CDEV };
	EXPECT_EINVAL(vfiomap_device_open_in(t1, "0000:00:04.0", &oo, &dev), "type1 context");
	ck_assert_ptr_null(dev);
	ck_assert_int_eq(vfiomap_ctx_destroy(t1), 0);
	ck_assert_int_eq(vfiomap_ctx_destroy(ctx), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ctx");
	TCase *tc = tcase_create("fake-kernel");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, iommufd_ctx_two_devices_map_destroy);
	tcase_add_test(tc, type1_ctx_two_devices_map_destroy);
	tcase_add_test(tc, adopted_iommufd_ctx_leaves_the_ioas);
	tcase_add_test(tc, adopted_container_ctx_leaves_the_container);
	tcase_add_test(tc, auto_picks_iommufd_else_type1);
	tcase_add_test(tc, bad_inputs_are_einval);
	tcase_add_test(tc, noiommu_context_has_no_dma);
	tcase_add_test(tc, type1_capability_chain_is_checked);
	tcase_add_test(tc, child_does_not_join_parent_ctx);
	suite_add_tcase(s, tc);
	return ck_run(s);
}
