/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A fake VFIO kernel for host unit tests.  The test programs that use it
 * link the library without lib/ioctl.c; fake_vfio.c provides the library's
 * one ioctl entry point instead and answers the VFIO/iommufd requests from
 * the table below.  The "device" is a memfd: region i lives at file offset
 * i << 28, cookies from 1 << 36, so every mmap the library makes is a real
 * mmap of real pages.  A temporary sysfs and /dev tree lets
 * vfiomap_device_open() run its whole path.
 */
#ifndef FAKE_VFIO_H
#define FAKE_VFIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"

#define FAKE_REGION_SHIFT	28
#define FAKE_COOKIE_BASE	(1ULL << 36)
#define FAKE_MAX_REGIONS	16
#define FAKE_MAX_COOKIES	64

struct fake_region {
	uint32_t flags;		/* VFIO_REGION_INFO_FLAG_* (CAPS is added when caps_len) */
	uint64_t size;
	uint8_t caps[512];	/* capability chain, placed right after the info */
	size_t caps_len;
	uint32_t argsz;		/* nonzero: always report this argsz */
	int err;		/* nonzero: GET_REGION_INFO fails with -err */
};

struct fake_cookie {
	uint64_t cookie;
	uint32_t region, attrs;
	uint64_t offset, size;
	unsigned int refs;	/* identical requests share a cookie (series v2) */
};

/* An open VFIO/iommufd node of the fake (its id is the file offset). */
enum fake_kind { FAKE_GROUP = 1, FAKE_CONTAINER, FAKE_IOMMUFD, FAKE_OTHER };
#define FAKE_MAX_FILES	64
#define FAKE_MAX_IOAS	8
#define FAKE_MAX_DMA	16
/* A DMA mapping of a container or of an IOAS of an iommufd. */
struct fake_dma {
	uint32_t ioas;		/* iommufd: the IOAS; 0 in a container */
	uint64_t iova, size, vaddr;
	bool read, write;
};
struct fake_file {
	char path[512];
	enum fake_kind kind;
	int fd;			/* the fd vfm__open_node() returned */
	ino_t ino;
	int container;		/* group: the id of its container, 0 none */
	bool iommu_set;		/* container */
	unsigned int nr_groups;	/* container */
	unsigned int nr_joined;	/* container: groups that SET_CONTAINER put in */
	uint32_t ioas[FAKE_MAX_IOAS];	/* iommufd: allocated IOAS ids */
	unsigned int nr_ioas;
	struct fake_dma dma[FAKE_MAX_DMA];	/* container or iommufd */
	unsigned int nr_dma;
};

/*
 * Failure injection.  While armed, every call the library makes through
 * the fake (vfm__ioctl(), vfm__open_node()) or to one of the libc
 * functions fake_wrap.c wraps (-Wl,--wrap, see tests/unit/meson.build)
 * is counted, and the fail_at-th fails: an ioctl or node open returns
 * -err, a libc call -1, MAP_FAILED or NULL with errno err (allocations:
 * ENOMEM).  The fake's own calls and the releases (close, munmap, free)
 * are not counted: releases cannot fail in a way a caller could act on.
 */
enum fake_call {
	FAKE_CALL_IOCTL, FAKE_CALL_OPEN_NODE, FAKE_CALL_OPEN, FAKE_CALL_FOPEN,
	FAKE_CALL_OPENDIR, FAKE_CALL_STAT, FAKE_CALL_READLINK, FAKE_CALL_FCNTL,
	FAKE_CALL_PREAD, FAKE_CALL_MMAP, FAKE_CALL_MADVISE, FAKE_CALL_CALLOC,
	FAKE_CALL_REALLOC, FAKE_NR_CALLS
};
extern const char *const fake_call_names[FAKE_NR_CALLS];
#define FAKE_MAX_MMAPS	64
struct fake_inject {
	bool armed;
	unsigned int fail_at;		/* 1, 2, ...; 0: count only */
	int err;
	unsigned int calls;		/* counted since fake_inject_arm() */
	unsigned int by_kind[FAKE_NR_CALLS];
	bool hit;			/* the fail_at-th call came (and failed) */
	char what[160];			/* which call that was */
	/* every mmap that succeeded while armed: what the call mapped */
	unsigned int nr_mmaps;
	struct { uintptr_t addr; size_t len; } mmaps[FAKE_MAX_MMAPS];
};

struct fake_vfio {
	int memfd;			/* the device */
	uint32_t num_regions;
	struct fake_region regions[FAKE_MAX_REGIONS];
	bool cookie_uapi;		/* false: a stock kernel (ENOTTY) */
	int cookie_err;			/* nonzero: cookie creation fails with -err */
	struct fake_cookie cookies[FAKE_MAX_COOKIES];
	unsigned int nr_cookies;
	uint64_t next_cookie;
	/* what the library asked */
	unsigned int nr_ioctls, nr_bind, nr_ioas_alloc, nr_attach, nr_set_iommu;
	unsigned int nr_destroy;		/* IOMMU_DESTROY */
	unsigned int nr_set_container, nr_group_opens;
	int32_t bind_iommufd;
	uint32_t bind_flags;
	uint8_t bind_token[16];
	uint32_t attach_pt;
	char device_name[128];		/* the last VFIO_GROUP_GET_DEVICE_FD string */
	struct fake_file files[FAKE_MAX_FILES];
	unsigned int nr_files;
	/* nonzero: VFIO_IOMMU_GET_INFO replies these bytes (argsz = the length) */
	uint8_t iommu_info[256];
	size_t iommu_info_len;
	/* called before each request; nonzero return fails it with that value */
	int (*hook)(unsigned long req, void *arg);
	struct fake_inject inj;
};

extern struct fake_vfio fake;

/*
 * A PCI-like device: BAR0 16 KiB non-prefetchable memory (rw, mmap), BAR2
 * 2 MiB (rw, mmap), BAR4 256-byte I/O ports (rw, no mmap), ROM 64 KiB
 * (read), config 256 bytes (rw), cookie uAPI present.  BAR flags in the
 * config space: BAR0 32-bit memory, BAR2 64-bit prefetchable, BAR4 I/O.
 */
void fake_reset(void);
/* Device fd of the fake, adopted (a dup of the memfd). */
struct vfiomap_device *fake_adopt(void);
/* Bytes at region @index, @off of the fake device (0 or -1). */
int fake_pread(uint32_t index, uint64_t off, void *buf, size_t len);

/* Sparse-mmap capability with @n areas (offset, size pairs). */
void fake_set_sparse(uint32_t index, uint32_t n, const uint64_t *areas);

/* The fake's record of an open node (by its fd, dups too), or NULL. */
struct fake_file *fake_file_of(int fd);
/* The id (1..) of the node behind @fd, 0 if not one of the fake's. */
int fake_id_of(int fd);
/* An IOAS allocated in the iommufd @fd (as a VMM would). */
uint32_t fake_ioas_alloc(int fd);

/* Count the library's calls from now on and fail the @fail_at-th with @err. */
void fake_inject_arm(unsigned int fail_at, int err);
/* Stop counting (fake.inj keeps the record); true if a call was failed. */
bool fake_inject_disarm(void);
/* A call of the library (fake_wrap.c): counted; true: fail it. */
bool fake_inject(enum fake_call kind, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The library mapped [@addr, @addr + @len) (recorded while armed). */
void fake_inject_mapped(void *addr, size_t len);

/* What the fake kernel holds alive: open nodes and the objects in them. */
struct fake_live {
	unsigned int groups, containers, iommufds;	/* open nodes */
	unsigned int grouped;		/* open groups set to an open container */
	unsigned int ioas;		/* IOAS of the open iommufds */
	unsigned int cookies, cookie_refs;
	unsigned int dma;		/* DMA mappings of the open containers, IOAS */
};
/* The DMA mapping at @iova in an open container or iommufd, or NULL. */
struct fake_dma *fake_dma_at(uint64_t iova);
/*
 * The IOVA ranges the fake reports (containers and IOAS alike): 0 ..
 * FAKE_IOVA_HOLE - 1 and FAKE_IOVA_HOLE_END + 1 .. FAKE_IOVA_LAST.
 */
#define FAKE_IOVA_HOLE		0xfee00000ULL
#define FAKE_IOVA_HOLE_END	0xfeefffffULL
#define FAKE_IOVA_LAST		((1ULL << 48) - 1)
void fake_live(struct fake_live *l);

/*
 * A temporary sysfs + /dev tree for one device @bdf bound to vfio-pci in
 * IOMMU group 7: /dev/vfio/7 and /dev/vfio/vfio exist; @cdev (or NULL)
 * names its cdev ("vfio0", "noiommu-vfio1"); /dev/iommu exists when
 * @iommufd; resource2_wc is a 2 MiB file.  The library's test hooks,
 * the environment variables VFIOMAP_SYSFS_ROOT and VFIOMAP_DEV_ROOT,
 * point at it until fake_tree_destroy() unsets them.
 */
struct fake_tree {
	char root[128];
	char sysfs[160];
	char dev[160];
};
void fake_tree_create(struct fake_tree *t, const char *bdf, const char *cdev,
		      bool iommufd);
/* BAR2 of every tree device (sysfs "resource"): 2 MiB at FAKE_BAR2_PHYS */
#define FAKE_BAR2_PHYS	0xfd000000ULL
/* sys/kernel/debug/x86/pat_memtype_list of the tree (NULL: none) */
void fake_tree_pat(struct fake_tree *t, const char *text);
/* One more device @bdf in IOMMU group @group (a number), cdev @cdev or NULL. */
void fake_tree_add(struct fake_tree *t, const char *bdf, const char *group,
		   const char *cdev);
void fake_tree_destroy(struct fake_tree *t);

#endif
