/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef LIBVFIOMAP_CTX_H
#define LIBVFIOMAP_CTX_H

#include <stddef.h>
#include <stdint.h>

#include <libvfiomap/device.h>

/**
 * DOC: IOMMU contexts (since 0.3)
 *
 * A struct vfiomap_ctx is one IOMMU context: a type1 VFIO container, or
 * an iommufd with one IOAS.  Devices are opened into it with
 * vfiomap_device_open_in() and share its DMA mappings, which
 * vfiomap_ctx_map_dma() and vfiomap_ctx_unmap_dma() make and remove.
 *
 * Ownership: the library frees what it allocated and nothing else.  A
 * context from vfiomap_ctx_create() owns its fd and its IOAS;
 * vfiomap_ctx_destroy() destroys the IOAS and closes the fd.  A context
 * from vfiomap_ctx_adopt() works on a duplicate of the caller's fd: the
 * caller's fd, its container and its IOAS stay the caller's.
 *
 * Lifetime: a context is destroyed only once no device opened into it
 * is open (vfiomap_ctx_destroy() is -EBUSY before).
 *
 * Threads: map, unmap and the IOVA ranges may be called concurrently with
 * each other and with opens and closes of devices into the context;
 * vfiomap_ctx_destroy() must not race with any other call on it.
 *
 * fork(): a child inherits the context's fd, which is the parent's open
 * file: do not use an inherited context in the child (mapping there maps
 * into the parent's); vfiomap_device_open_in() refuses it (-EINVAL).
 */

#ifdef __cplusplus
extern "C" {
#endif

struct vfiomap_ctx;

/** enum vfiomap_ctx_mode - the kind of an IOMMU context */
enum vfiomap_ctx_mode {
	VFIOMAP_CTX_AUTO = 0,	/* iommufd when /dev/iommu opens, else type1 */
	VFIOMAP_CTX_TYPE1,	/* a VFIO container (/dev/vfio/vfio), type1v2 */
	VFIOMAP_CTX_IOMMUFD,	/* /dev/iommu and one IOAS in it */
};

/**
 * struct vfiomap_ctx_opts - options of vfiomap_ctx_create()
 * @size: sizeof(struct vfiomap_ctx_opts); a larger struct is accepted
 *	when the fields this library does not know are zero
 * @mode: the kind of context (VFIOMAP_CTX_AUTO picks)
 * @flags: 0
 */
struct vfiomap_ctx_opts {
	size_t size;
	enum vfiomap_ctx_mode mode;
	uint32_t flags;
};

/* DMA directions (vfiomap_ctx_map_dma() @flags), at least one */
#define VFIOMAP_DMA_READ	(1u << 0)	/* the device reads the memory */
#define VFIOMAP_DMA_WRITE	(1u << 1)	/* the device writes the memory */

/**
 * struct vfiomap_iova_range - an IOVA range DMA may use (fixed layout)
 * @start: its first address
 * @last: its last address (inclusive)
 */
struct vfiomap_iova_range {
	uint64_t start;
	uint64_t last;
};

/**
 * vfiomap_ctx_create() - a new IOMMU context
 * @opts: options, or NULL (VFIOMAP_CTX_AUTO)
 * @out: the context on success
 *
 * IOMMUFD opens /dev/iommu and allocates an IOAS; TYPE1 opens a VFIO
 * container, whose IOMMU type is set when the first device's group joins
 * it (the kernel wants a group first); AUTO tries iommufd, then type1.
 *
 * Return: 0, or -EINVAL (bad options), -ENOENT (no /dev/iommu or
 * /dev/vfio/vfio), -EACCES/-EPERM, -ENOMEM, or the error of
 * IOMMU_IOAS_ALLOC.
 */
int vfiomap_ctx_create(const struct vfiomap_ctx_opts *opts, struct vfiomap_ctx **out);

/**
 * vfiomap_ctx_adopt() - use a caller's container or iommufd + IOAS
 * @mode: VFIOMAP_CTX_TYPE1 (@fd is a VFIO container) or
 *	VFIOMAP_CTX_IOMMUFD (@fd is an iommufd, @ioas_id an IOAS in it)
 * @fd: the caller's fd: duplicated, the caller may close it at once
 * @ioas_id: the IOAS (iommufd), 0 for a container
 * @out: the context on success
 *
 * The library never destroys the IOAS nor touches the caller's fd; it
 * does not check what @fd is: a wrong one fails in the first call that
 * uses it.
 *
 * Return: 0, or -EINVAL (bad mode, fd or IOAS id), -EBADF (@fd not
 * open), -ENOMEM.
 */
int vfiomap_ctx_adopt(enum vfiomap_ctx_mode mode, int fd, uint32_t ioas_id,
		      struct vfiomap_ctx **out);

/**
 * vfiomap_ctx_destroy() - free a context
 * @ctx: the context, or NULL
 *
 * Destroys the IOAS and closes the fd the library allocated (an adopted
 * context closes its duplicate only), together with the DMA mappings
 * in them.  Refused while a device opened into @ctx is open: close the
 * devices first.
 *
 * Return: 0 (@ctx is freed), or -EBUSY (devices still open; @ctx is
 * unchanged).
 */
int vfiomap_ctx_destroy(struct vfiomap_ctx *ctx);

/**
 * vfiomap_ctx_mode() - the kind of a context
 * @ctx: the context
 *
 * Return: VFIOMAP_CTX_TYPE1 or VFIOMAP_CTX_IOMMUFD; VFIOMAP_CTX_AUTO for
 * NULL.
 */
enum vfiomap_ctx_mode vfiomap_ctx_mode(const struct vfiomap_ctx *ctx);

/**
 * vfiomap_ctx_fd() - the container or iommufd of a context
 * @ctx: the context
 * @ioas_id: the IOAS (iommufd; 0 for a container); may be NULL
 *
 * The fd is the library's, valid until vfiomap_ctx_destroy(): do not
 * close it.
 *
 * Return: the fd, or -EINVAL for NULL.
 */
int vfiomap_ctx_fd(const struct vfiomap_ctx *ctx, uint32_t *ioas_id);

/**
 * vfiomap_device_open_in() - open a PCI device into an IOMMU context
 * @ctx: the context
 * @bdf: PCI address, as vfiomap_device_open()
 * @opts: options as vfiomap_device_open()'s, or NULL; the context decides
 *	what VFIOMAP_OPEN_CONTAINER / VFIOMAP_OPEN_IOMMUFD would, so these
 *	flags and their fields must be 0, and @mode AUTO or one that fits
 *	the context (CDEV for iommufd; GROUP or NOIOMMU for type1)
 * @out: the device on success
 *
 * A type1 context: the device's group joins the container (the first
 * group sets its IOMMU type).  An iommufd context: the cdev binds to the
 * iommufd and attaches to the IOAS.
 *
 * A function, not a member appended to struct vfiomap_open_opts: a
 * context is a handle with a lifetime, not an option, and a program that
 * uses it then needs LIBVFIOMAP_0.3 to load, instead of getting -EINVAL
 * at run time from an older library that rejects the unknown member.
 *
 * Return: as vfiomap_device_open(); -EINVAL also for a NULL @ctx, the
 * flags above, or a mode that does not fit the context.
 */
int vfiomap_device_open_in(struct vfiomap_ctx *ctx, const char *bdf,
			   const struct vfiomap_open_opts *opts,
			   struct vfiomap_device **out);

/**
 * vfiomap_ctx_map_dma() - map memory for DMA at a fixed IOVA
 * @ctx: the context
 * @vaddr: the memory (page aligned)
 * @iova: where devices see it (page aligned)
 * @size: bytes (a multiple of the page size, not 0)
 * @flags: VFIOMAP_DMA_READ and/or VFIOMAP_DMA_WRITE
 *
 * VFIO_IOMMU_MAP_DMA (type1) or IOMMU_IOAS_MAP with a fixed IOVA
 * (iommufd).  A type1 context maps once a device's group has joined it.
 *
 * Return: 0, or -EINVAL (NULL, alignment, zero size, overflow, flags; a
 * type1 context without a device yet), -EOPNOTSUPP (a no-IOMMU context
 * has no DMA mapping), or the kernel's error (-EEXIST: the IOVA is
 * taken).
 */
int vfiomap_ctx_map_dma(struct vfiomap_ctx *ctx, void *vaddr, uint64_t iova,
			uint64_t size, uint32_t flags);

/**
 * vfiomap_ctx_unmap_dma() - unmap an IOVA range
 * @ctx: the context
 * @iova: start (page aligned)
 * @size: bytes (a multiple of the page size, not 0)
 *
 * Return: 0, or -EINVAL (bad arguments), -EOPNOTSUPP (no-IOMMU), or the
 * kernel's error (-ENOENT: nothing mapped there).
 */
int vfiomap_ctx_unmap_dma(struct vfiomap_ctx *ctx, uint64_t iova, uint64_t size);

/**
 * vfiomap_ctx_iova_ranges() - the IOVA ranges DMA may use
 * @ctx: the context
 * @ranges: an array of @max ranges, or NULL with @max 0
 * @max: how many @ranges holds (0: just count)
 * @nr: the number of ranges the context has (may exceed @max)
 *
 * VFIO_IOMMU_GET_INFO's IOVA-range capability (type1; a device must have
 * joined) or IOMMU_IOAS_IOVA_RANGES (iommufd).  The first min(@max, *@nr)
 * are filled in, lowest first.
 *
 * Return: 0, or -EINVAL (bad arguments), -EOPNOTSUPP (no-IOMMU), -EPROTO
 * (a malformed capability chain), or the kernel's error.
 */
int vfiomap_ctx_iova_ranges(struct vfiomap_ctx *ctx, struct vfiomap_iova_range *ranges,
			    size_t max, size_t *nr);

#ifdef __cplusplus
}
#endif

#endif
