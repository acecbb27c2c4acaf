/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef LIBVFIOMAP_INTERNAL_H
#define LIBVFIOMAP_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <linux/vfio.h>
#include "uapi/vfio_mmap_cookie.h"

#include "libvfiomap/libvfiomap.h"
#include "testing.h"

#define VFIOMAP_EXPORT __attribute__((visibility("default")))

/*
 * Symbol versions (lib/libvfiomap.map; docs/api.md, "ABI and versioning").
 * A function whose behaviour or output struct changed gets a new default
 * version in a new node, and its old version stays for the programs that
 * were linked against it:
 *
 *	VFM_SYMVER(vfm__region_get, "vfiomap_region_get@@LIBVFIOMAP_0.3");
 *	VFIOMAP_EXPORT int vfm__region_get(...) { ... }
 *
 * exports vfm__region_get as vfiomap_region_get of node LIBVFIOMAP_0.3,
 * the default ("@@") that programs built now link against; one "@" makes
 * a compatibility entry that only programs linked against that node reach
 * (lib/compat.c).  It comes before the definition, after a prototype, in
 * the file that defines the function.  The function must be VFIOMAP_EXPORT
 * (the versioned name takes its visibility); the version script keeps
 * its own name local, and lists the public name in every node it is
 * given.  A static link takes the "@@" one for the plain name.
 *
 * gcc 10 and later have the symver attribute; others (clang) get the
 * assembler directive it stands for.
 */
#if defined(__has_attribute)
#if __has_attribute(__symver__)
#define VFM_HAVE_SYMVER_ATTR 1
#endif
#endif
#ifdef VFM_HAVE_SYMVER_ATTR
#define VFM_SYMVER(fn, versioned) \
	extern __typeof__(fn) fn __attribute__((__symver__(versioned)))
#else
#define VFM_SYMVER(fn, versioned) __asm__(".symver " #fn ", " versioned)
#endif
#define VFM_GIB (1ULL << 30)

/* error.c */
int vfm__err(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The same, with @fmt put before the thread's current message. */
int vfm__err_prefix(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void vfm__debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vfm__info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * Failures inside begin/end are logged at DEBUG (the caller handles them);
 * vfm__err_report() logs the thread's message at ERROR and returns @err.
 */
void vfm__attempt_begin(void);
void vfm__attempt_end(void);
int vfm__err_report(int err);
/* Messages logged between hold and release wait for the last release. */
void vfm__log_lock_for_fork(void);
void vfm__log_unlock_after_fork(bool child);
void vfm__log_hold(void);
void vfm__log_release(void);
/*
 * The device whose public call runs in this thread, for its log sink
 * (vfiomap_device_set_logger()): VFM_LOG_SCOPE(dev) at the start of a
 * public function that works on @dev (or on its mapping or cookie); it
 * ends with the block.  NULL is allowed (the process-wide sink).
 */
struct vfm_log_scope {
	const struct vfiomap_device *prev;
};
struct vfm_log_scope vfm__log_scope_begin(const struct vfiomap_device *dev);
void vfm__log_scope_end(struct vfm_log_scope *s);
#define VFM_LOG_SCOPE(dev)						\
	struct vfm_log_scope vfm_log_scope_				\
		__attribute__((cleanup(vfm__log_scope_end))) =		\
		vfm__log_scope_begin(dev)
/* device_free(): drop @dev's sink (waits out deliveries), forget @dev */
void vfm__log_forget(struct vfiomap_device *dev);

/* ioctl.c: every ioctl of the library goes through here */
int vfm__ioctl(struct vfiomap_device *dev, int fd, unsigned long req,
		  void *arg);
/* ioctl.c: open a VFIO/iommufd node O_RDWR | O_CLOEXEC: the fd or -errno */
int vfm__open_node(const char *path);

/* iommu.c: IOMMU contexts (containers, iommufd + IOAS) and shared groups */
struct vfm_ctx;
struct vfm_group;
/* -errno of opening @path into a message */
int vfm__open_error(int err, const char *path, const char *what);
int vfm__parse_uuid(const char *s, uint8_t out[16]);
int vfm__group_attach(struct vfiomap_device *dev, const char *devroot,
		      const char *path, const char *grp, bool noiommu, int container_fd,
		      struct vfm_ctx *want);
int vfm__get_device_fd(struct vfiomap_device *dev, const char *vf_token);
int vfm__iommufd_attach(struct vfiomap_device *dev, const char *devroot, bool noiommu,
			int iommufd, uint32_t ioas_id, const uint8_t *token,
			struct vfm_ctx *want);
/* The context of a public handle (vfiomap_device_open_in()): its kind. */
struct vfm_ctx *vfm__ctx_of(struct vfiomap_ctx *ctx, bool *iommufd);
void vfm__ctx_release(struct vfiomap_device *dev);

/* caps.c: pure capability-chain parser */
struct vfm_caps {
	uint32_t nr_sparse;
	struct vfiomap_area *sparse;	/* malloc'd, caller frees */
	bool has_sparse;
	bool has_type;
	uint32_t type, subtype;
	bool msix_mappable;
	bool has_mmap_attrs;
	uint32_t mmap_attrs;
	uint16_t mmap_attrs_version;
	/* the mmap-attrs capability's areas (version 2 and later) */
	uint32_t nr_attr_areas;
	struct vfiomap_attr_area *attr_areas;	/* malloc'd, caller frees */
};
int vfm__parse_caps(const void *buf, size_t len, size_t min_off,
		       uint32_t first, struct vfm_caps *out);
/*
 * A walk of a VFIO capability chain (region info, VFIO_IOMMU_GET_INFO):
 * @off the next header (0: the end), @prev_end where the last header
 * ended (first: the end of the reply's fixed part), @n headers seen.
 */
struct vfm_cap_walk {
	uint32_t off;
	size_t prev_end;
	int n;
};
/*
 * The header at @w->off of the chain in @b (@len bytes), checked: after
 * the last one, aligned, inside, its next moving forward and inside, at
 * most 64 headers.  Gives it in @h and where its room ends in @end, and
 * moves @w on.  @what starts the messages.  Returns 0 or -EPROTO.
 */
int vfm__cap_step(const uint8_t *b, size_t len, const char *what,
		  struct vfm_cap_walk *w, struct vfio_info_cap_header *h, size_t *end);
void vfm__caps_free(struct vfm_caps *caps);

/* align.c: pure helpers */
/* sysconf(_SC_PAGESIZE), asked once (4 KiB, 16 KiB, 64 KiB ...) */
uint64_t vfm__page_size(void);
/* tests: pretend the page size is @size (0: ask sysconf again) */
void vfm__set_page_size(uint64_t size);
uint64_t vfm__page_round_up(uint64_t v);
bool vfm__is_page_aligned(uint64_t v);
int vfm__check_range(uint64_t offset, uint64_t size, uint64_t limit);
uint64_t vfm__ctz_align(uint64_t v);
int vfm__area_containing(const struct vfiomap_area *areas, uint32_t n,
			    uint64_t offset, uint64_t size);

/* sysfs.c: pure-ish sysfs helpers (take the root) */
/*
 * The test hooks (docs/api.md): the environment variables
 * VFIOMAP_SYSFS_ROOT and VFIOMAP_DEV_ROOT name the roots of sysfs and of
 * the device nodes ("/sys", "/dev" without them); ignored in setuid
 * programs (secure_getenv).
 */
const char *vfm__sysfs_root(void);
const char *vfm__dev_root(void);
/* "ffffffff:ff:1f.7" and its NUL fit */
#define VFM_BDF_LEN 20
int vfm__parse_bdf(const char *in, char out[VFM_BDF_LEN]);
int vfm__sysfs_device_exists(const char *root, const char *bdf);
int vfm__sysfs_driver(const char *root, const char *bdf, char *drv,
			 size_t len);
int vfm__sysfs_group(const char *root, const char *bdf, char *grp,
			size_t len);
int vfm__sysfs_cdev(const char *root, const char *bdf, char *name,
		       size_t len);
int vfm__sysfs_read_hex(const char *root, const char *bdf,
			   const char *file, unsigned int *val);
int vfm__sysfs_driver_devices(const char *root, const char *driver,
				 char (*bdfs)[VFM_BDF_LEN], int max);
int vfm__sysfs_resources(const char *root, const char *bdf, unsigned int n,
			 uint64_t *start, uint64_t *end, uint64_t *flags);
int vfm__sysfs_resource(const char *root, const char *bdf, unsigned int bar,
			   uint64_t *start, uint64_t *end, uint64_t *flags);

struct vfiomap_mapping {
	struct vfiomap_device *dev;
	void *addr;		/* user-visible start */
	size_t size;
	void *span;		/* what to munmap */
	size_t span_len;
	uint64_t cookie;	/* 0 = region offset */
	uint32_t index;		/* region */
	uint64_t offset;	/* in the region */
	uint32_t attrs;
	struct vfiomap_cookie *own;	/* the cookie made for the mapping, or NULL */
	/* VFIOMAP_MAP_WC_WHERE_ALLOWED: the WC pieces' cookies, and their bytes */
	struct vfiomap_cookie **pieces;
	uint32_t nr_pieces;
	uint64_t wc_size;
	bool sysfs_wc;
	bool fixed;		/* at the caller's address: unmap leaves PROT_NONE */
	/* the device's list (under its lock): unlinking needs no search */
	struct vfiomap_mapping *prev, *next;
};

/* A reference of a kernel cookie that the library took for @dev. */
enum vfm_cookie_kind {
	VFM_COOKIE_RAW,		/* vfiomap_cookie_create(): found by value */
	VFM_COOKIE_HANDLE,	/* vfiomap_cookie_get(): the caller's pointer */
	VFM_COOKIE_MAPPING,	/* made for one mapping */
};
struct vfiomap_cookie {
	struct vfiomap_device *dev;
	uint64_t cookie;
	uint32_t region, attrs;
	uint64_t offset, size;
	enum vfm_cookie_kind kind;
	struct vfiomap_cookie *next;
};

struct vfm_region_slot {
	struct vfiomap_region region;
	struct vfiomap_area *sparse;
	uint32_t nr_attr_areas;
	struct vfiomap_attr_area *attr_areas;
	atomic_bool valid;	/* set (release) once region is complete */
};

struct vfiomap_device {
	int fd;
	int group;		/* the shared group's fd (not ours), -1 if none */
	int container;		/* the context's container or iommufd, -1 if none */
	struct vfm_ctx *ctx;	/* IOMMU context, NULL for an adopted fd */
	struct vfm_group *grp;	/* group-mode: the shared group */
	bool own_fd;
	enum vfiomap_mode mode;
	uint32_t flags;
	char bdf[VFM_BDF_LEN];
	char sysfs_root[256];
	pthread_mutex_t lock;
	atomic_uint_fast64_t ioctls;
	bool info_valid;
	struct {
		uint32_t flags;
		uint32_t num_regions;
		uint32_t num_irqs;
	} info;
	uint32_t nr_slots;
	/* allocated once, under lock; published with release semantics */
	struct vfm_region_slot *_Atomic slots;
	struct vfiomap_mapping *mappings;
	struct vfiomap_cookie *cookies;	/* every reference, under lock */
	/* file offset of the config space (BAR kinds), under lock */
	bool config_offset_valid;
	uint64_t config_offset;
	/* vfiomap_device_set_logger(): under error.c's log_lock */
	struct {
		vfiomap_logger_fn fn;	/* NULL: the process-wide sink */
		void *ctx;
		enum vfiomap_severity threshold;
	} sink;
};

/*
 * Output structs that start with their size (device.h, "output structs"):
 * vfm__out_size() checks the size the caller gave (-EINVAL with a message
 * naming @fn, @member and @type below @min, the end of the first member
 * after it); VFM_OUT() copies member @m of the library's filled-in struct
 * *@src to the caller's @dst when @m lies whole within its @size bytes,
 * and writes nothing else.
 */
int vfm__out_size(size_t size, size_t min, const char *fn, const char *member,
		  const char *type);
#define VFM_OUT(dst, size, src, m)						\
	do {									\
		if (offsetof(__typeof__(*(src)), m) + sizeof((src)->m) <= (size))	\
			memcpy((char *)(dst) + offsetof(__typeof__(*(src)), m),	\
			       &(src)->m, sizeof((src)->m));			\
	} while (0)
/* where the first member after the size ends: the least size accepted */
#define VFM_OUT_MIN(type, m) (offsetof(type, m) + sizeof(((type *)NULL)->m))

/*
 * Copy a caller's options struct whose first member is its size_t size:
 * an older (smaller, at least @min) struct gets zeros for what it lacks,
 * a newer (larger) one is accepted if the bytes we do not know are zero.
 */
int vfm__copy_opts(void *dst, size_t ours, const void *user, size_t min,
		   const char *what);
/* The cookie @cookie of @dev if the library created it (copied), -ENOENT. */
int vfm__cookie_find(struct vfiomap_device *dev, uint64_t cookie,
		     struct vfiomap_cookie *out);

/* cookie.c: a reference of a cookie, made for @kind; *@no_uapi (if given)
 * tells whether -EOPNOTSUPP means "the kernel has no cookie uAPI". */
int vfm__cookie_new(struct vfiomap_device *dev, uint32_t region, uint64_t offset,
		    uint64_t size, uint32_t attrs, enum vfm_cookie_kind kind,
		    struct vfiomap_cookie **out, bool *no_uapi);
/* Drop the reference @c (unlinked and freed, whatever the kernel says). */
int vfm__cookie_drop(struct vfiomap_cookie *c);
/* the attributes this library knows (not VFIOMAP_ATTR_ALL, fixed at 0.1's) */
#define VFM_ATTRS_KNOWN VFIOMAP_ATTR_WC
/* the calling thread's vfiomap_last_refusal() */
void vfm__set_refusal(enum vfiomap_refusal r);

/*
 * The current (LIBVFIOMAP_0.3) implementations of the public functions
 * that have more than one version: exported under the public name by
 * VFM_SYMVER(), called under these names inside the library; lib/compat.c
 * has the old versions.
 */
int vfm__region_get(struct vfiomap_device *dev, uint32_t index,
		    const struct vfiomap_region **out);
int vfm__device_adopt(int device_fd, uint32_t flags, struct vfiomap_device **out);
int vfm__device_name(const struct vfiomap_device *dev, char *buf, size_t len);
int vfm__device_get_info(struct vfiomap_device *dev, struct vfiomap_device_info *info);
int vfm__device_pci_ids(struct vfiomap_device *dev, struct vfiomap_pci_ids *ids);
int vfm__cookie_info(const struct vfiomap_cookie *c, struct vfiomap_cookie_info *info);
int vfm__cookie_query(struct vfiomap_device *dev, uint64_t cookie,
		      struct vfiomap_cookie_info *info);

/* A cached region, or NULL: never asks the kernel. */
const struct vfiomap_region *vfm__region_cached(struct vfiomap_device *dev,
						 uint32_t index);

int vfm__device_info_locked(struct vfiomap_device *dev);
/* dev->lock; the log callback is never called while a thread holds it */
void vfm__dev_lock(struct vfiomap_device *dev);
void vfm__dev_unlock(struct vfiomap_device *dev);
/* NULL check of a device argument (handles are the caller's to keep valid) */
bool vfm__device_valid(const struct vfiomap_device *dev);

#endif
