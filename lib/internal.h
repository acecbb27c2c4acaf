/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef LIBVFIOMAP_INTERNAL_H
#define LIBVFIOMAP_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/vfio.h>
#include "uapi/vfio_mmap_cookie.h"

#include "libvfiomap/libvfiomap.h"

#define VFIOMAP_EXPORT __attribute__((visibility("default")))
#define VFIOMAP_PAGE 4096ULL
#define VFIOMAP_GIB (1ULL << 30)

/* error.c */
int vfiomap_err(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The same, with @fmt put before the thread's current message. */
int vfiomap_err_prefix(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void vfiomap_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vfiomap_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * Failures inside begin/end are logged at DEBUG (the caller handles them);
 * vfiomap_err_report() logs the thread's message at ERROR and returns @err.
 */
void vfiomap_attempt_begin(void);
void vfiomap_attempt_end(void);
int vfiomap_err_report(int err);
/* Messages logged between hold and release wait for the last release. */
void vfiomap_log_hold(void);
void vfiomap_log_release(void);

/* ioctl.c: every ioctl of the library goes through here */
int vfiomap_ioctl(struct vfiomap_device *dev, int fd, unsigned long req,
		  void *arg);

/* caps.c: pure capability-chain parser */
struct vfiomap_caps {
	uint32_t nr_sparse;
	struct vfiomap_area *sparse;	/* malloc'd, caller frees */
	bool has_sparse;
	bool has_type;
	uint32_t type, subtype;
	bool msix_mappable;
	bool has_mmap_attrs;
	uint32_t mmap_attrs;
};
int vfiomap_parse_caps(const void *buf, size_t len, size_t min_off,
		       uint32_t first, struct vfiomap_caps *out);
void vfiomap_caps_free(struct vfiomap_caps *caps);

/* align.c: pure helpers */
bool vfiomap_is_page_aligned(uint64_t v);
int vfiomap_check_range(uint64_t offset, uint64_t size, uint64_t limit);
uint64_t vfiomap_ctz_align(uint64_t v);
int vfiomap_area_containing(const struct vfiomap_area *areas, uint32_t n,
			    uint64_t offset, uint64_t size);

/* sysfs.c: pure-ish sysfs helpers (take the root) */
/* "ffffffff:ff:1f.7" and its NUL fit */
#define VFIOMAP_BDF_LEN 20
int vfiomap_parse_bdf(const char *in, char out[VFIOMAP_BDF_LEN]);
int vfiomap_sysfs_device_exists(const char *root, const char *bdf);
int vfiomap_sysfs_driver(const char *root, const char *bdf, char *drv,
			 size_t len);
int vfiomap_sysfs_group(const char *root, const char *bdf, char *grp,
			size_t len);
int vfiomap_sysfs_cdev(const char *root, const char *bdf, char *name,
		       size_t len);
int vfiomap_sysfs_read_hex(const char *root, const char *bdf,
			   const char *file, unsigned int *val);
int vfiomap_sysfs_driver_devices(const char *root, const char *driver,
				 char (*bdfs)[VFIOMAP_BDF_LEN], int max);
int vfiomap_sysfs_resource(const char *root, const char *bdf, unsigned int bar,
			   uint64_t *start, uint64_t *end, uint64_t *flags);

struct vfiomap_mapping {
	struct vfiomap_device *dev;
	void *addr;		/* user-visible start */
	size_t size;
	void *span;		/* what to munmap */
	size_t span_len;
	uint64_t cookie;	/* 0 = region offset */
	bool owns_cookie;
	bool sysfs_wc;
	/* the device's list (under its lock): unlinking needs no search */
	struct vfiomap_mapping *prev, *next;
};

struct vfiomap_cookie_node {
	uint64_t cookie;
	struct vfiomap_cookie_node *next;
};

struct vfiomap_region_slot {
	struct vfiomap_region region;
	struct vfiomap_area *sparse;
	atomic_bool valid;	/* set (release) once region is complete */
};

struct vfiomap_device {
	int fd;
	int group;		/* -1 if none */
	int container;		/* container or iommufd, -1 if none */
	bool own_fd;
	enum vfiomap_mode mode;
	uint32_t flags;
	char bdf[VFIOMAP_BDF_LEN];
	char sysfs_root[256];
	pthread_mutex_t lock;
	atomic_uint_fast64_t ioctls;
	bool info_valid;
	struct vfiomap_device_info info;
	uint32_t nr_slots;
	/* allocated once, under lock; published with release semantics */
	struct vfiomap_region_slot *_Atomic slots;
	struct vfiomap_mapping *mappings;
	struct vfiomap_cookie_node *cookies;
};

int vfiomap_device_info_locked(struct vfiomap_device *dev);
/* dev->lock; the log callback is never called while a thread holds it */
void vfiomap_dev_lock(struct vfiomap_device *dev);
void vfiomap_dev_unlock(struct vfiomap_device *dev);
/* NULL check of a device argument (handles are the caller's to keep valid) */
bool vfiomap_device_valid(const struct vfiomap_device *dev);

#endif
