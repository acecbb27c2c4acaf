/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef LIBVFIOMAP_DEVICE_H
#define LIBVFIOMAP_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include <libvfiomap/deprecated.h>
#include <libvfiomap/error.h>

/**
 * DOC: devices and threads
 *
 * A struct vfiomap_device is one open VFIO device.  Lookups of region
 * info, cookie creation and destruction, mapping and unmapping may be
 * called concurrently from several threads on one device: the device
 * holds a mutex around its caches and its lists.  vfiomap_device_close()
 * must not race with any other call on the same device.
 *
 * Handles (devices, mappings, region pointers) are the caller's to keep
 * valid, as in libvfn and QEMU: the library checks them for NULL only.
 *
 * fork(): cookies belong to the open file that made them, which a child
 * shares through its inherited fds; a child calling vfiomap_device_close()
 * (or destroying a cookie) on an inherited handle destroys the parent's
 * cookies.  Do not use inherited handles in a child; every fd the library
 * opens is O_CLOEXEC; use MADV_DONTFORK on mappings a child must not
 * inherit.  The library's process-wide locks are taken around fork()
 * (pthread_atfork), and a child never joins the parent's groups or
 * containers.  See docs/api.md, "fork() and exec()".
 */

/**
 * DOC: output structs
 *
 * A struct that the caller allocates and the library fills in (struct
 * vfiomap_device_info, struct vfiomap_pci_ids, struct vfiomap_cookie_info;
 * since 0.3) starts with its size, as the options structs do: set it to
 * sizeof the struct as your headers know it,
 *
 *	struct vfiomap_device_info info = { .size = sizeof(info) };
 *
 * (struct vfiomap_cookie_info calls it @struct_size: its @size is the
 * range's).  The library writes the members that lie whole within that
 * size and nothing else: not the size member, not the padding, not a byte
 * past its own struct.  A smaller size (a program built against older
 * headers) gets the members it has; a larger one (headers newer than the
 * library) gets the members this library knows, and the rest keep what
 * the caller put there (zeros, with the initializer above).  A size that
 * does not reach past the first member after it, 0 included, is -EINVAL.
 * A program built against the 0.1 or 0.2 headers, whose structs had no
 * size, keeps working: it calls the old versions of these functions (see
 * docs/api.md, "ABI and versioning").
 */

#ifdef __cplusplus
extern "C" {
#endif

struct vfiomap_device;

/** enum vfiomap_mode - how a device is opened */
enum vfiomap_mode {
	VFIOMAP_MODE_AUTO = 0,	/* cdev if available, else group */
	VFIOMAP_MODE_CDEV,	/* /dev/vfio/devices/vfioN + /dev/iommu */
	VFIOMAP_MODE_GROUP,	/* /dev/vfio/N + type1 container */
	VFIOMAP_MODE_NOIOMMU,	/* /dev/vfio/noiommu-N (unsafe, root) */
};

/* Open flags (struct vfiomap_open_opts.flags) */
/* Allow a write-combining map to fall back to sysfs resourceN_wc. */
#define VFIOMAP_OPEN_WC_SYSFS_FALLBACK	(1u << 0)
/* Join the type1 (or no-IOMMU) container @container_fd (group modes). */
#define VFIOMAP_OPEN_CONTAINER		(1u << 2)
/* Bind to @iommufd and attach to its IOAS @ioas_id (cdev mode). */
#define VFIOMAP_OPEN_IOMMUFD		(1u << 3)

/**
 * struct vfiomap_open_opts - options of vfiomap_device_open()
 * @size: sizeof(struct vfiomap_open_opts), for later growth.  An older
 *	(smaller) struct gets the defaults for what it lacks; a newer
 *	(larger) one is accepted when the fields this library does not know
 *	are zero.
 * @mode: how to open (VFIOMAP_MODE_AUTO picks)
 * @flags: VFIOMAP_OPEN_* flags
 * @reserved_sysfs_root: @reserved_dev_root: NULL.  The 0.2 test hooks
 *	(where sysfs and the device nodes are), honoured for 0.2 binaries,
 *	not part of the 0.3 API; tests set the environment variables
 *	VFIOMAP_SYSFS_ROOT and VFIOMAP_DEV_ROOT instead (docs/api.md)
 * @container_fd: with VFIOMAP_OPEN_CONTAINER, a VFIO container the device's
 *	group joins: yours (the library keeps a duplicate, so you may close
 *	yours whenever you like), or vfiomap_device_container_fd() of a
 *	device opened before.  AUTO then means the group.
 * @iommufd: with VFIOMAP_OPEN_IOMMUFD, the /dev/iommu fd to bind the cdev
 *	to (yours, duplicated, or vfiomap_device_iommufd() of another
 *	device).  AUTO then means the cdev.
 * @ioas_id: with VFIOMAP_OPEN_IOMMUFD, the IOAS to attach to; 0 makes the
 *	library allocate a new IOAS in @iommufd
 * @vf_token: NULL, or the VF token (a UUID, "xxxxxxxx-xxxx-xxxx-xxxx-
 *	xxxxxxxxxxxx") an SR-IOV VF of a vfio-pci PF needs: passed as
 *	"vf_token=" to VFIO_GROUP_GET_DEVICE_FD, or with
 *	VFIO_DEVICE_BIND_FLAG_TOKEN to VFIO_DEVICE_BIND_IOMMUFD (Linux 6.17+)
 *
 * @container_fd .. @vf_token were appended in 0.2.
 */
struct vfiomap_open_opts {
	size_t size;
	enum vfiomap_mode mode;
	uint32_t flags;
	const char *reserved_sysfs_root;
	const char *reserved_dev_root;
	/* 0.2 */
	int container_fd;
	int iommufd;
	uint32_t ioas_id;
	const char *vf_token;
};

/* Adopt flags (struct vfiomap_adopt_opts.flags): a namespace of their own */
/* Allow a write-combining map to fall back to sysfs resourceN_wc (needs @bdf). */
#define VFIOMAP_ADOPT_WC_SYSFS_FALLBACK	(1u << 0)
/*
 * The fd is handed over: the library closes it in vfiomap_device_close()
 * instead of working on a duplicate.  A flag of vfiomap_device_adopt()
 * since 0.1 (its value is the one it had among the open flags there), and
 * of struct vfiomap_adopt_opts since 0.3 (a 0.2 library refuses it there
 * with -EINVAL).
 */
#define VFIOMAP_ADOPT_OWN_FD		(1u << 1)

/**
 * struct vfiomap_adopt_opts - options of vfiomap_device_adopt_opts()
 * @size: sizeof(struct vfiomap_adopt_opts); a larger struct is accepted
 *	when the fields this library does not know are zero
 * @flags: VFIOMAP_ADOPT_* flags (not VFIOMAP_OPEN_*)
 * @bdf: the device's PCI address, or NULL: needed for what goes through
 *	sysfs (the write-combining fallback); checked against the device's
 *	vendor and device IDs
 * @reserved_sysfs_root: NULL.  The 0.2 test hook (where sysfs is),
 *	honoured for 0.2 binaries, not part of the 0.3 API; tests set the
 *	environment variable VFIOMAP_SYSFS_ROOT instead (docs/api.md)
 */
struct vfiomap_adopt_opts {
	size_t size;
	uint32_t flags;
	const char *bdf;
	const char *reserved_sysfs_root;
};

/**
 * struct vfiomap_device_info - VFIO_DEVICE_GET_INFO
 * @size: sizeof(struct vfiomap_device_info), set by the caller (since 0.3;
 *	see "output structs")
 * @flags: VFIO_DEVICE_FLAGS_*
 * @num_regions: number of regions
 * @num_irqs: number of IRQ indexes
 */
struct vfiomap_device_info {
	size_t size;
	uint32_t flags;
	uint32_t num_regions;
	uint32_t num_irqs;
};

/**
 * struct vfiomap_pci_function - a PCI function as sysfs shows it (0.3)
 * @size: sizeof(struct vfiomap_pci_function) of the library that filled it
 * @bdf: its address ("0000:00:04.0")
 * @driver: the driver it is bound to ("" if none)
 * @iommu_group: its IOMMU group ("" if none)
 * @cdev: its VFIO device node under /dev/vfio/devices ("vfio3"; "" if the
 *	kernel has none)
 * @vendor: vendor ID
 * @device: device ID
 * @bar_start: @bar_end: @bar_flags: BARs 0-5 from the sysfs "resource"
 *	file (physical start, end, IORESOURCE_* flags; 0 for none)
 */
struct vfiomap_pci_function {
	size_t size;
	char bdf[20];
	char driver[64];
	char iommu_group[64];
	char cdev[64];
	uint16_t vendor;
	uint16_t device;
	uint64_t bar_start[6];
	uint64_t bar_end[6];
	uint64_t bar_flags[6];
};

/**
 * vfiomap_pci_functions() - the PCI functions bound to a driver (since 0.3)
 * @driver: the driver's name ("vfio-pci", or a variant driver's)
 * @out: an array of @max elements of @elem_size bytes each
 * @elem_size: sizeof(struct vfiomap_pci_function) as the caller knows it,
 *	the size of each element as in "output structs": a smaller one gets
 *	the members it has, a larger one keeps its bytes past this library's
 *	struct as they were
 * @max: how many elements @out holds (0: just count)
 *
 * Reads sysfs (/sys; the environment variable VFIOMAP_SYSFS_ROOT names
 * another root, for tests, and is ignored in setuid programs).  Sorted by
 * address.  Each element's @size is written: this library's sizeof.
 *
 * Return: the number of functions bound to @driver (the first min(@max,
 * that) are filled in; 0 when the driver is not loaded), or -EINVAL (bad
 * arguments, @elem_size not past @bdf) or the error of reading sysfs.
 */
int vfiomap_pci_functions(const char *driver, void *out, size_t elem_size,
			  size_t max);

/**
 * vfiomap_device_open() - open a PCI device bound to vfio-pci
 * @bdf: PCI address, "0000:00:04.0"; the domain may be omitted or have
 *	up to 8 digits ("10000:e1:00.0" behind VMD)
 * @opts: options, or NULL for defaults
 * @out: the device on success
 *
 * AUTO uses the iommufd cdev (/dev/vfio/devices/vfioN, bound to
 * /dev/iommu and attached to a fresh IOAS) when the kernel offers it,
 * else the group: a type1 container for /dev/vfio/N, or the no-IOMMU
 * container for /dev/vfio/noiommu-N.  A no-IOMMU device's cdev
 * (/dev/vfio/devices/noiommu-vfioN) is used with VFIOMAP_MODE_CDEV only:
 * bound to /dev/iommu, nothing attached (needs CAP_SYS_RAWIO).
 *
 * IOMMU context: by default each open creates one (a container, or an
 * iommufd with a new IOAS) that vfiomap_device_container_fd() or
 * vfiomap_device_iommufd() hand out, to DMA-map and to open the next
 * device into (VFIOMAP_OPEN_CONTAINER / VFIOMAP_OPEN_IOMMUFD).  A group
 * can be opened once: the library shares the group fd between the
 * devices of one group it opens, so a second device of an open group
 * joins that group's container (asking for another container is
 * -EBUSY).  The context lives until its last device closes.  Since 0.3
 * a context can also be an object of its own, made first, that maps DMA:
 * see vfiomap_ctx_create() and vfiomap_device_open_in() (ctx.h).
 *
 * Return: 0, or a negative errno: -EINVAL (bad address or options, a
 * malformed VF token, a context of the wrong kind for the mode), -EBADF
 * (@container_fd or @iommufd is not open), -ENODEV (no such device, or
 * not bound to vfio-pci), -EACCES/-EPERM (no permission), -ENOENT (no
 * VFIO node: no-IOMMU mode not enabled, or the requested mode
 * unavailable; no such IOAS), -EBUSY (group not viable, open elsewhere,
 * or attached to another container of this process).
 */
int vfiomap_device_open(const char *bdf, const struct vfiomap_open_opts *opts,
			struct vfiomap_device **out);

/**
 * vfiomap_device_adopt_opts() - use a device fd opened elsewhere (a VMM's)
 * @device_fd: an open VFIO device fd (a cdev already bound and attached,
 *	or one from VFIO_GROUP_GET_DEVICE_FD)
 * @opts: options, or NULL
 * @out: the device on success
 *
 * The library duplicates @device_fd (F_DUPFD_CLOEXEC) and works on its
 * own copy: you may close yours at once or keep using it, and
 * vfiomap_device_close() closes only the copy.  Both fds are one open
 * device: cookies belong to the device session, not to an fd (see
 * docs/api.md, "fork() and exec()").  The IOMMU context stays yours:
 * vfiomap_device_container_fd() and vfiomap_device_iommufd() return
 * -ENOENT.
 *
 * Return: 0, or -EINVAL (bad fd, options or flags; @bdf is not a PCI
 * address or not this device), -ENODEV (no device @bdf in sysfs),
 * -EBADF (@device_fd is not open), -ENOTTY (not a VFIO device), -ENOMEM.
 */
int vfiomap_device_adopt_opts(int device_fd, const struct vfiomap_adopt_opts *opts,
			      struct vfiomap_device **out);

#ifndef VFIOMAP_NO_DEPRECATED
/**
 * vfiomap_device_adopt() - use a device fd opened elsewhere (0.1 interface)
 * @device_fd: an open VFIO device fd
 * @flags: VFIOMAP_ADOPT_OWN_FD: the fd is handed over, the library closes
 *	it in vfiomap_device_close(); 0: the library works on a duplicate
 *	(since 0.2; 0.1 borrowed the number), as vfiomap_device_adopt_opts()
 * @out: the device on success
 *
 * Deprecated since 0.3: use vfiomap_device_adopt_opts() (see libvfiomap/deprecated.h).
 *
 * Return: 0, or -EINVAL (bad fd or flags), -EBADF (not open), -ENOTTY
 * (not a VFIO device), -ENOMEM.
 */
int vfiomap_device_adopt(int device_fd, uint32_t flags,
			 struct vfiomap_device **out)
	VFIOMAP_DEPRECATED("vfiomap_device_adopt_opts()");
#endif

/**
 * vfiomap_device_close() - unmap, destroy cookies, close, free
 * @dev: the device, or NULL
 *
 * Unmaps every mapping the library made for @dev, destroys the cookies
 * it created and closes the fds it owns.  @dev, its mappings and its
 * region pointers are freed: using any of them afterwards (closing
 * twice included) is undefined; the caller keeps handles valid.
 *
 * Return: nothing.
 */
void vfiomap_device_close(struct vfiomap_device *dev);

/**
 * vfiomap_device_set_logger() - a log sink of the device's own (since 0.3)
 * @dev: the device
 * @fn: called for the messages of calls on @dev, its mappings and its
 *	cookies, instead of the process-wide sink; NULL: back to that sink
 * @ctx: passed back to @fn
 * @threshold: the least severe message to deliver to @fn
 *
 * For two components of one process that each keep their devices' logs
 * (a VMM and a userspace driver it hands a device to): each sets its own
 * sink on its devices, and what is not about one of them (opening, IOMMU
 * contexts, device enumeration) goes to the process-wide sink
 * (vfiomap_set_logger()).  The rules of that sink hold here too: never
 * called with a library lock held, @msg valid only during the call, and
 * when this function (or vfiomap_device_close()) returns, no other
 * thread still runs the callback it replaced, so the old @ctx may be
 * freed.  A callback must not close @dev itself.
 *
 * Return: 0, or -EINVAL (no device, or an unknown threshold: nothing
 * changes).
 */
int vfiomap_device_set_logger(struct vfiomap_device *dev, vfiomap_logger_fn fn,
			      void *ctx, enum vfiomap_severity threshold);

/**
 * vfiomap_device_fd() - the VFIO device fd
 * @dev: the device
 *
 * Return: the fd, or -EINVAL for a NULL device.
 */
int vfiomap_device_fd(const struct vfiomap_device *dev);

/**
 * vfiomap_device_container_fd() - the VFIO container of a group-mode device
 * @dev: the device
 *
 * The container the device's group is attached to (type1, or no-IOMMU):
 * DMA-map through it (VFIO_IOMMU_MAP_DMA) and pass it as @container_fd
 * with VFIOMAP_OPEN_CONTAINER to open more devices into it.  The fd is the
 * library's, valid while a device of this container is open: dup() it to
 * keep it longer; do not close it.
 *
 * Return: the fd; -EINVAL for NULL; -ENOENT (with a message) for a cdev
 * or adopted device.
 */
int vfiomap_device_container_fd(const struct vfiomap_device *dev);

/**
 * vfiomap_device_iommufd() - the iommufd and IOAS of a cdev-mode device
 * @dev: the device
 * @ioas_id: the IOAS the device is attached to (0 for a no-IOMMU cdev,
 *	which is bound but not attached); may be NULL
 *
 * DMA-map with IOMMU_IOAS_MAP on this fd and IOAS, and pass both with
 * VFIOMAP_OPEN_IOMMUFD to open more devices into the same IOAS.  The fd
 * is the library's, valid while a device of this context is open.
 *
 * Return: the fd; -EINVAL for NULL; -ENOENT (with a message) for a
 * group-mode or adopted device.
 */
int vfiomap_device_iommufd(const struct vfiomap_device *dev, uint32_t *ioas_id);

/**
 * vfiomap_device_mode() - how the device was opened
 * @dev: the device
 *
 * An adopted fd reports how it was opened (since 0.3; before, AUTO): a cdev
 * is VFIOMAP_MODE_CDEV; a group's device fd is VFIOMAP_MODE_NOIOMMU or
 * VFIOMAP_MODE_GROUP when the adopt options gave its address (its IOMMU
 * group tells which), and VFIOMAP_MODE_AUTO (unknown) when they did not.
 *
 * Return: the mode.
 */
enum vfiomap_mode vfiomap_device_mode(const struct vfiomap_device *dev);

/**
 * vfiomap_device_bdf() - the PCI address
 * @dev: the device
 *
 * Return: the address, or NULL for an adopted fd without one.
 */
const char *vfiomap_device_bdf(const struct vfiomap_device *dev);

/**
 * struct vfiomap_pci_ids - identity of a PCI function (config space)
 * @size: sizeof(struct vfiomap_pci_ids), set by the caller (since 0.3;
 *	see "output structs")
 * @vendor: vendor ID
 * @device: device ID
 * @subsystem_vendor: subsystem vendor ID
 * @subsystem_device: subsystem ID
 * @class_code: base class, subclass, programming interface (24 bits)
 * @revision: revision ID
 */
struct vfiomap_pci_ids {
	size_t size;
	uint16_t vendor;
	uint16_t device;
	uint16_t subsystem_vendor;
	uint16_t subsystem_device;
	uint32_t class_code;
	uint8_t revision;
};

/**
 * vfiomap_device_pci_ids() - vendor, device, subsystem and class IDs
 * @dev: the device
 * @ids: output; set @ids->size first (see "output structs")
 *
 * Read from the device's config space through VFIO, so it works for an
 * adopted fd too.  The library does not look up names (that would pull
 * libpci, libudev and libz into every program linking it): pass the IDs
 * to libpci's pci_lookup_name(), as the vfiomap CLI and the examples do.
 * Since 0.3 (version LIBVFIOMAP_0.3) the struct starts with its size; a
 * program built against 0.2 keeps the 0.2 version.
 *
 * Return: 0, -EINVAL for bad arguments (@ids->size too small), or the
 * config read's error.
 */
int vfiomap_device_pci_ids(struct vfiomap_device *dev,
			   struct vfiomap_pci_ids *ids);

/**
 * vfiomap_device_name() - "vvvv:dddd", the vendor and device IDs
 * @dev: the device
 * @buf: output
 * @len: size of @buf
 *
 * Kept for compatibility: since 0.2 the library does not use libpci, so
 * there are no names here; see vfiomap_device_pci_ids().
 *
 * Return: 0, -EINVAL for bad arguments, or the config read's error.
 */
int vfiomap_device_name(const struct vfiomap_device *dev, char *buf,
			size_t len);

/**
 * vfiomap_mode_name() - a readable name of an open mode
 * @mode: the mode
 *
 * Return: "iommufd cdev", "type1 group", "no-IOMMU group", "auto" (also
 * what an adopted fd reports), or "unknown"; a static string.
 */
const char *vfiomap_mode_name(enum vfiomap_mode mode);

/**
 * vfiomap_device_get_info() - flags, regions, IRQs (cached)
 * @dev: the device
 * @info: output; set @info->size first (see "output structs")
 *
 * Since 0.3 (version LIBVFIOMAP_0.3) the struct starts with its size; a
 * program built against 0.1 or 0.2 keeps the 0.1 version.
 *
 * Return: 0, -EINVAL for bad arguments (@info->size too small), or a
 * negative errno from VFIO_DEVICE_GET_INFO.
 */
int vfiomap_device_get_info(struct vfiomap_device *dev,
			    struct vfiomap_device_info *info);

#ifdef __cplusplus
}
#endif

#endif
