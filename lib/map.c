// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Mappings: vfiomap_map() and its two older front ends.  A mapping is
 * placed at a huge-aligned address the library reserves, or at the
 * caller's address (VFIOMAP_MAP_FIXED); it maps the region's own offset,
 * a cookie created for it (attrs), an existing cookie of the device, or
 * (stock kernels, opt-in) sysfs resourceN_wc.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

#define MAP_FLAGS_ALL (VFIOMAP_MAP_FIXED | VFIOMAP_MAP_COOKIE | VFIOMAP_MAP_DONTFORK | \
		       VFIOMAP_MAP_WC_WHERE_ALLOWED)
/* the first struct vfiomap_map_opts (0.2) */
#define MAP_OPTS_MIN (offsetof(struct vfiomap_map_opts, cookie) + sizeof(uint64_t))

/*
 * Reserve @span bytes at an @align-aligned address: map span + align of
 * inaccessible memory, then trim the unaligned head and the tail.
 */
static void *reserve_aligned(size_t span, uint64_t align)
{
	size_t len = span + align;
	uint8_t *raw, *base;

	if (len < span)
		return NULL;
	raw = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		   -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	base = (uint8_t *)(((uintptr_t)raw + align - 1) & ~(uintptr_t)(align - 1));
	if (base > raw)
		munmap(raw, base - raw);
	if (raw + len > base + span)
		munmap(base + span, raw + len - (base + span));
	return base;
}

/* [at, at + len) back to an inaccessible reservation (the caller's). */
static int make_reservation(void *at, size_t len)
{
	void *p = mmap(at, len, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);

	return p == MAP_FAILED ? -errno : 0;
}

/* Give back what place() got: the caller's range stays reserved. */
static void release(void *base, size_t len, bool fixed)
{
	if (fixed)
		make_reservation(base, len);
	else
		munmap(base, len);
}

static int map_into(void *at, size_t size, int prot, int fd, uint64_t off)
{
	void *p = mmap(at, size, prot, MAP_SHARED | MAP_FIXED, fd, (off_t)off);

	return p == MAP_FAILED ? -errno : 0;
}

static int region_prot(const struct vfiomap_region *r)
{
	return (r->flags & VFIOMAP_REGION_FLAG_READ ? PROT_READ : 0) |
	       (r->flags & VFIOMAP_REGION_FLAG_WRITE ? PROT_WRITE : 0);
}

static struct vfiomap_mapping *mapping_new(struct vfiomap_device *dev)
{
	struct vfiomap_mapping *m = calloc(1, sizeof(*m));

	if (m)
		m->dev = dev;
	return m;
}

static void mapping_link(struct vfiomap_mapping *m)
{
	vfm__dev_lock(m->dev);
	m->prev = NULL;
	m->next = m->dev->mappings;
	if (m->next)
		m->next->prev = m;
	m->dev->mappings = m;
	vfm__dev_unlock(m->dev);
}

/* Where the mapping goes: the caller's address, or a huge-aligned reservation. */
static int place(const struct vfiomap_map_opts *o, uint64_t size, uint64_t offset,
		 uint8_t **base)
{
	if (o->flags & VFIOMAP_MAP_FIXED) {
		*base = o->addr;
		return 0;
	}
	*base = reserve_aligned(size, vfiomap_huge_align(size, offset));
	if (!*base)
		return vfm__err(-ENOMEM, "cannot reserve 0x%llx bytes of address space",
				(unsigned long long)size);
	return 0;
}

/*
 * The parts of [offset, offset + size) that lie in sparse areas; the rest
 * stays inaccessible (an MSI-X table, say).
 */
static int map_sparse(struct vfiomap_device *dev, const struct vfiomap_region *r,
		      uint64_t offset, uint64_t size, int prot, uint8_t *base, bool fixed)
{
	uint64_t span = vfm__page_round_up(r->size);
	int ret;

	if (fixed) {	/* the holes must be inaccessible, whatever was there */
		ret = make_reservation(base, size);
		if (ret)
			return vfm__err(ret, "cannot reserve the holes of region %u: %s",
					r->index, strerror(-ret));
	}
	for (uint32_t i = 0; i < r->nr_sparse; i++) {
		const struct vfiomap_area *a = &r->sparse[i];
		uint64_t lo, hi;

		if (!a->size)
			continue;
		if (vfm__check_range(a->offset, a->size, span) ||
		    !vfm__is_page_aligned(a->offset) || !vfm__is_page_aligned(a->size))
			return vfm__err(-EPROTO,
					"region %u: sparse area %u (0x%llx+0x%llx) is unusable",
					r->index, i, (unsigned long long)a->offset,
					(unsigned long long)a->size);
		lo = a->offset > offset ? a->offset : offset;
		hi = a->offset + a->size < offset + size ? a->offset + a->size : offset + size;
		if (lo >= hi)
			continue;
		ret = map_into(base + (lo - offset), hi - lo, prot, dev->fd, r->offset + lo);
		if (ret)
			return vfm__err(ret, "mmap of region %u area %u: %s", r->index, i,
					strerror(-ret));
	}
	return 0;
}

/*
 * Attribute backends.  A mapping with attributes goes through the first
 * backend in backends[] that serves it: the kernel's mmap cookies, then
 * (opt-in, only on a kernel without the cookie uAPI) sysfs resourceN_wc.
 * A future backend (upstream's dma-buf with memory attributes, say) is one
 * more entry.
 */
struct attr_req {
	struct vfiomap_device *dev;
	const struct vfiomap_region *r;
	uint64_t offset, size;
	uint32_t attrs;
	struct vfiomap_mapping *m;
	int fd;			/* what to mmap */
	uint64_t file_off;	/* where in it */
	bool next_allowed;	/* a later backend may serve what this one cannot */
};

/* source(): "not here, try the next backend" */
#define VFM_BACKEND_NEXT 1

struct vfm_backend {
	const char *name;
	/* Take the request: 0 and rq->fd/file_off set, VFM_BACKEND_NEXT, or -errno */
	int (*source)(struct attr_req *rq);
	/* After the mmap at @addr: is it what was asked?  NULL: nothing to check */
	int (*verify)(struct attr_req *rq, void *addr);
	/* The mmap failed with @err: the error to return.  NULL: a generic one */
	int (*mmap_failed)(struct attr_req *rq, int err);
	/* Undo source() (the mapping failed); NULL: nothing to undo */
	void (*undo)(struct attr_req *rq);
};

static int cookie_source(struct attr_req *rq)
{
	struct vfiomap_device *dev = rq->dev;
	struct vfiomap_cookie *own;
	bool no_uapi;
	int ret;

	/* with a fallback, a stock kernel's refusal is not an error */
	if (rq->next_allowed)
		vfm__attempt_begin();
	ret = vfm__cookie_new(dev, rq->r->index, rq->offset, rq->size, rq->attrs,
			      VFM_COOKIE_MAPPING, &own, &no_uapi);
	if (rq->next_allowed)
		vfm__attempt_end();
	/* only for a kernel without the uAPI: never map WC over a refusal */
	if (ret && rq->next_allowed && no_uapi) {
		vfm__info("%s: no mmap-cookie uAPI, trying sysfs resource%u_wc",
			  dev->bdf, rq->r->index);
		return VFM_BACKEND_NEXT;
	}
	if (ret && rq->next_allowed)
		vfm__err_report(ret);
	if (ret)
		return ret;
	rq->m->cookie = own->cookie;
	rq->m->own = own;
	rq->m->attrs = rq->attrs;
	rq->fd = dev->fd;
	rq->file_off = own->cookie;
	return 0;
}

static void cookie_undo(struct attr_req *rq)
{
	if (rq->m->own)
		vfm__cookie_drop(rq->m->own);
	rq->m->own = NULL;
	rq->m->cookie = 0;
}

static const char *order_msg =
	"on a kernel without the cookie uAPI, vfio-pci maps the BAR uncached (UC-) as soon as it "
	"sets the BAR up, and x86 PAT keeps one memory type per page, so a later resourceN_wc "
	"mapping silently comes out UC- (in the other order, vfio-pci's own mapping would turn WC)";

/*
 * The PAT's word on [lo, hi): 0 if every entry there is write-combining
 * (and there is one), else -EOPNOTSUPP with a message.
 */
static int sysfs_wc_verify(struct attr_req *rq, void *addr)
{
	struct vfiomap_device *dev = rq->dev;
	uint64_t start, end, flags, lo, hi;
	char path[512], line[256], bad[64] = "";
	bool wc = false;
	FILE *f;

	(void)addr;
	if (vfm__sysfs_resource(dev->sysfs_root, dev->bdf, rq->r->index, &start, &end, &flags) ||
	    !start)
		return vfm__err(-EOPNOTSUPP,
				"sysfs write-combining fallback: no physical address for BAR %u of %s, cannot check its memory type; refused",
				rq->r->index, dev->bdf);
	lo = start + rq->offset;
	hi = lo + rq->size;
	snprintf(path, sizeof(path), "%s/kernel/debug/x86/pat_memtype_list", dev->sysfs_root);
	f = fopen(path, "re");
	if (!f)
		return vfm__err(-EOPNOTSUPP,
				"sysfs write-combining fallback refused: cannot read %s (%s; mount debugfs, run as root) to check the memory type: %s",
				path, strerror(errno), order_msg);
	while (fgets(line, sizeof(line), f)) {
		unsigned long long s, e;
		char type[64];

		if (sscanf(line, "PAT: [mem 0x%llx-0x%llx] %63s", &s, &e, type) != 3)
			continue;
		if (s >= hi || e <= lo)
			continue;
		if (!strcmp(type, "write-combining"))
			wc = true;
		else
			snprintf(bad, sizeof(bad), "%s", type);
	}
	fclose(f);
	if (bad[0])
		return vfm__err(-EOPNOTSUPP,
				"sysfs resource%u_wc of %s came out %s, not write-combining (PAT): %s; refused",
				rq->r->index, dev->bdf, bad, order_msg);
	if (!wc)
		return vfm__err(-EOPNOTSUPP,
				"sysfs resource%u_wc of %s: no write-combining PAT entry for 0x%llx-0x%llx; refused",
				rq->r->index, dev->bdf, (unsigned long long)lo,
				(unsigned long long)hi);
	return 0;
}

static int sysfs_wc_source(struct attr_req *rq)
{
	struct vfiomap_device *dev = rq->dev;
	uint32_t index = rq->r->index;
	char path[512];

	if (rq->attrs != VFIOMAP_ATTR_WC)
		return vfm__err(-EOPNOTSUPP,
				"the sysfs fallback serves write-combining only, not attrs 0x%x",
				rq->attrs);
	if (index > VFIOMAP_REGION_BAR5 || !dev->bdf[0])
		return vfm__err(-EOPNOTSUPP,
				"sysfs write-combining fallback needs a PCI BAR of a device with a known address");
	/*
	 * vfio-pci sets a BAR up (requests and maps it) at open on 7.3 but on
	 * first use on 6.12.  A resourceN_wc mapping made before that would
	 * not last: the setup revokes sysfs mappings of the BAR (SIGBUS on the
	 * next access), or, without CONFIG_IO_STRICT_DEVMEM, vfio-pci's own
	 * mapping takes the WC type and its read()/write() reach the
	 * registers write-combined.  An mmap() of the range through vfio-pci
	 * (never touched, so the device sees nothing) makes it set the BAR
	 * up now.
	 */
	{
		size_t pg = vfm__page_size();
		void *p = mmap(NULL, pg, PROT_READ, MAP_SHARED, dev->fd,
			       (off_t)(rq->r->offset + rq->offset));

		if (p == MAP_FAILED)
			return vfm__err(-errno,
					"sysfs write-combining fallback: vfio-pci could not set up BAR %u of %s: mmap: %s",
					index, dev->bdf, strerror(errno));
		munmap(p, pg);
	}
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/resource%u_wc",
		 dev->sysfs_root, dev->bdf, index);
	rq->fd = open(path, O_RDWR | O_CLOEXEC);
	if (rq->fd < 0)
		return vfm__err(errno == ENOENT ? -EOPNOTSUPP : -errno,
				"sysfs write-combining fallback: cannot open %s: %s%s",
				path, strerror(errno),
				errno == EPERM ? " (kernel lockdown, e.g. Secure Boot, blocks it)" : "");
	rq->file_off = rq->offset;
	rq->m->sysfs_wc = true;
	rq->m->attrs = rq->attrs;
	vfm__debug("%s mapping sysfs %s (no VFIO zap on reset)", dev->bdf, path);
	return 0;
}

static int sysfs_wc_mmap_failed(struct attr_req *rq, int err)
{
	if (err == -EINVAL || err == -EPERM)
		return vfm__err(-EOPNOTSUPP,
				"sysfs resource%u_wc of %s cannot be mapped while vfio-pci holds the BAR (CONFIG_IO_STRICT_DEVMEM); refused",
				rq->r->index, rq->dev->bdf);
	return vfm__err(err, "mmap of sysfs resource%u_wc of %s: %s", rq->r->index,
			rq->dev->bdf, strerror(-err));
}

static const struct vfm_backend cookie_backend = {
	.name = "mmap cookie", .source = cookie_source, .undo = cookie_undo,
};
static const struct vfm_backend sysfs_wc_backend = {
	.name = "sysfs resourceN_wc", .source = sysfs_wc_source, .verify = sysfs_wc_verify,
	.mmap_failed = sysfs_wc_mmap_failed,
};
static const struct vfm_backend *const backends[] = { &cookie_backend, &sysfs_wc_backend };
#define NR_BACKENDS (sizeof(backends) / sizeof(backends[0]))

/* Map through the first backend that serves the attributes. */
static int map_attrs(struct vfiomap_device *dev, const struct vfiomap_region *r,
		     uint64_t offset, uint64_t size, int prot,
		     const struct vfiomap_map_opts *o, struct vfiomap_mapping *m,
		     uint8_t **base)
{
	struct attr_req rq = {
		.dev = dev, .r = r, .offset = offset, .size = size, .attrs = o->attrs,
		.m = m, .fd = -1,
	};
	bool fallback = dev->flags & VFIOMAP_OPEN_WC_SYSFS_FALLBACK;
	int ret = -EOPNOTSUPP;

	for (size_t i = 0; i < NR_BACKENDS; i++) {
		const struct vfm_backend *b = backends[i];

		/* only the cookie uAPI unless the caller opted in to the fallback */
		if (b != &cookie_backend && !fallback)
			break;
		rq.next_allowed = fallback && i + 1 < NR_BACKENDS;
		ret = b->source(&rq);
		if (ret == VFM_BACKEND_NEXT)
			continue;
		if (ret)
			return ret;
		ret = place(o, size, offset, base);
		if (!ret) {
			ret = map_into(*base, size, prot, rq.fd, rq.file_off);
			if (ret && b->mmap_failed)
				ret = b->mmap_failed(&rq, ret);
			else if (ret)
				ret = vfm__err(ret, "mmap of region %u 0x%llx+0x%llx (%s): %s",
					       r->index, (unsigned long long)offset,
					       (unsigned long long)size, b->name, strerror(-ret));
			if (!ret && b->verify)
				ret = b->verify(&rq, *base);
			if (ret)
				release(*base, size, o->flags & VFIOMAP_MAP_FIXED);
		}
		if (rq.fd != dev->fd && rq.fd >= 0)
			close(rq.fd);
		if (ret && b->undo)
			b->undo(&rq);
		return ret;
	}
	return vfm__err(ret < 0 ? ret : -EOPNOTSUPP,
			"no backend maps region %u with attrs 0x%x", r->index, o->attrs);
}

/* Drop the cookies of a mapping's WC pieces. */
static int pieces_drop(struct vfiomap_mapping *m)
{
	int ret = 0;

	for (uint32_t i = 0; i < m->nr_pieces; i++) {
		int r = vfm__cookie_drop(m->pieces[i]);

		if (r && !ret)
			ret = r;
	}
	free(m->pieces);
	m->pieces = NULL;
	m->nr_pieces = 0;
	return ret;
}

/*
 * VFIOMAP_MAP_WC_WHERE_ALLOWED: map [offset, offset + size) at @base in
 * pieces, each part of an area where the region's mmap-attrs capability
 * allows WC through a WC cookie of its own, the rest (MSI-X table and PBA
 * pages, a BAR that is not prefetchable, a kernel without cookies) through
 * the region's offset, uncached.  A WC piece the kernel refuses (no WC on
 * this host, another memory type reserved for its pages) is mapped
 * uncached too: the call promises WC where the kernel allows it, and
 * vfiomap_last_refusal() tells why it did not.  @base is a reservation of
 * @size bytes (or the caller's, FIXED); on failure the pieces mapped so
 * far are the caller's to release with it.
 */
static int map_wc_pieces(struct vfiomap_device *dev, const struct vfiomap_region *r,
			 uint64_t offset, uint64_t size, int prot,
			 struct vfiomap_mapping *m, uint8_t *base)
{
	const struct vfm_region_slot *slot = (const void *)r;
	enum vfiomap_refusal why = VFIOMAP_REFUSAL_NONE;
	uint64_t pos = offset, end = offset + size;
	int ret;

	if (!r->has_mmap_attrs)
		why = VFIOMAP_REFUSAL_NO_UAPI;
	else if (!(r->mmap_attrs & VFIOMAP_ATTR_WC))
		why = r->kind == VFIOMAP_REGION_KIND_MEMORY && !r->prefetchable ?
		      VFIOMAP_REFUSAL_NOT_PREFETCHABLE : VFIOMAP_REFUSAL_NO_HOST_WC;
	if (slot->nr_attr_areas) {
		m->pieces = calloc(slot->nr_attr_areas, sizeof(*m->pieces));
		if (!m->pieces)
			return vfm__err(-ENOMEM, "out of memory");
	}
	while (pos < end) {
		uint64_t piece_end = end, file_off = r->offset + pos;
		bool wc = false;

		/* the area holding @pos decides; a piece ends with its area */
		for (uint32_t i = 0; i < slot->nr_attr_areas; i++) {
			const struct vfiomap_attr_area *a = &slot->attr_areas[i];

			if (pos < a->offset || pos - a->offset >= a->size)
				continue;
			if (a->offset + a->size < piece_end)
				piece_end = a->offset + a->size;
			wc = a->attrs & VFIOMAP_ATTR_WC;
			break;
		}
		/* a piece not in any area ends where the next area begins */
		for (uint32_t i = 0; i < slot->nr_attr_areas; i++)
			if (slot->attr_areas[i].offset > pos &&
			    slot->attr_areas[i].offset < piece_end)
				piece_end = slot->attr_areas[i].offset;
		piece_end = vfm__page_round_up(piece_end);
		if (piece_end <= pos || piece_end > end)
			piece_end = end;
		if (wc) {
			struct vfiomap_cookie *c;

			vfm__attempt_begin();	/* a refusal is not this call's failure */
			ret = vfm__cookie_new(dev, r->index, pos, piece_end - pos,
					      VFIOMAP_ATTR_WC, VFM_COOKIE_MAPPING, &c, NULL);
			vfm__attempt_end();
			if (!ret) {
				m->pieces[m->nr_pieces++] = c;
				file_off = c->cookie;
				m->wc_size += piece_end - pos;
			} else if (vfiomap_last_refusal() != VFIOMAP_REFUSAL_NONE) {
				why = vfiomap_last_refusal();
			} else {
				return vfm__err(ret, "a WC cookie for region %u 0x%llx+0x%llx: %s",
						r->index, (unsigned long long)pos,
						(unsigned long long)(piece_end - pos),
						strerror(-ret));
			}
		}
		ret = map_into(base + (pos - offset), piece_end - pos, prot, dev->fd, file_off);
		if (ret)
			return vfm__err(ret, "mmap of region %u 0x%llx+0x%llx (%s): %s", r->index,
					(unsigned long long)pos,
					(unsigned long long)(piece_end - pos),
					file_off == r->offset + pos ? "uncached" : "WC cookie",
					strerror(-ret));
		pos = piece_end;
	}
	if (m->wc_size) {
		m->attrs = VFIOMAP_ATTR_WC;
		m->cookie = m->pieces[0]->cookie;
	}
	vfm__set_refusal(m->wc_size == size ? VFIOMAP_REFUSAL_NONE : why);
	if (m->wc_size < size)
		vfm__debug("region %u 0x%llx+0x%llx: 0x%llx bytes write-combining, the rest uncached (%s)",
			   r->index, (unsigned long long)offset, (unsigned long long)size,
			   (unsigned long long)m->wc_size, vfiomap_refusal_name(why));
	return 0;
}

/* The cookie to map, and where in the file: an existing one, or none. */
static int map_source(struct vfiomap_device *dev, const struct vfiomap_region *r,
		      uint64_t offset, uint64_t size, const struct vfiomap_map_opts *o,
		      struct vfiomap_mapping *m, uint64_t *file_off)
{
	uint32_t index = r->index;

	*file_off = r->offset + offset;
	if (o->flags & VFIOMAP_MAP_COOKIE) {
		struct vfiomap_cookie c;

		if (o->cookie_handle) {
			if (o->cookie_handle->dev != dev)
				return vfm__err(-EXDEV,
						"the cookie handle belongs to another device (cookie values are per device)");
			c = *o->cookie_handle;
		} else if (vfm__cookie_find(dev, o->cookie, &c)) {
			/*
			 * Not one the library made: one made through the same
			 * file by another component (a VMM that handed us its
			 * fd, or the reverse).  The kernel says what it maps.
			 */
			struct vfiomap_cookie_info info = { .struct_size = sizeof(info) };
			int ret;

			vfm__attempt_begin();
			ret = vfm__cookie_query(dev, o->cookie, &info);
			vfm__attempt_end();
			if (ret)
				return vfm__err(ret,
						"cookie 0x%llx is not one this device created, and the kernel %s",
						(unsigned long long)o->cookie,
						ret == -ENOENT ? "has no such live cookie on this file"
							       : "could not say what it maps");
			memset(&c, 0, sizeof(c));
			c.cookie = o->cookie;
			c.region = info.region;
			c.attrs = info.attrs;
			c.offset = info.offset;
			c.size = info.size;
		}
		if (c.region != index || offset < c.offset ||
		    offset + size > c.offset + c.size)
			return vfm__err(-ERANGE,
					"region %u 0x%llx+0x%llx is not inside cookie 0x%llx (region %u 0x%llx+0x%llx)",
					index, (unsigned long long)offset,
					(unsigned long long)size, (unsigned long long)c.cookie,
					c.region, (unsigned long long)c.offset,
					(unsigned long long)c.size);
		m->cookie = c.cookie;
		m->attrs = c.attrs;
		*file_off = c.cookie + (offset - c.offset);
	}
	return 0;
}

static int map_common(struct vfiomap_device *dev, uint32_t index, uint64_t offset,
		      uint64_t size, const struct vfiomap_map_opts *o, bool one_area,
		      struct vfiomap_mapping **out)
{
	bool fixed = o->flags & VFIOMAP_MAP_FIXED, sparse_layout;
	const struct vfiomap_region *r;
	struct vfiomap_mapping *m;
	uint64_t span, file_off;
	uint8_t *base;
	int ret, prot;

	if (o->flags & ~MAP_FLAGS_ALL)
		return vfm__err(-EINVAL, "unknown map flags 0x%x", o->flags);
	if (o->attrs & ~VFM_ATTRS_KNOWN)
		return vfm__err(-EINVAL, "unknown attributes 0x%x", o->attrs);
	if ((o->flags & VFIOMAP_MAP_COOKIE) && o->attrs)
		return vfm__err(-EINVAL, "VFIOMAP_MAP_COOKIE takes the cookie's attributes: attrs must be 0");
	if ((o->flags & VFIOMAP_MAP_WC_WHERE_ALLOWED) &&
	    ((o->flags & VFIOMAP_MAP_COOKIE) || o->attrs))
		return vfm__err(-EINVAL,
				"VFIOMAP_MAP_WC_WHERE_ALLOWED makes its own cookies: no VFIOMAP_MAP_COOKIE, attrs 0");
	if (o->cookie_handle && (!(o->flags & VFIOMAP_MAP_COOKIE) || o->cookie))
		return vfm__err(-EINVAL,
				"cookie_handle needs VFIOMAP_MAP_COOKIE and a zero cookie value");
	if (o->prot & ~(PROT_READ | PROT_WRITE))
		return vfm__err(-EINVAL, "prot 0x%x: only PROT_READ and PROT_WRITE", o->prot);
	if (fixed && (!o->addr || !vfm__is_page_aligned((uintptr_t)o->addr)))
		return vfm__err(-EINVAL, "VFIOMAP_MAP_FIXED needs a page-aligned address, not %p",
				o->addr);
	ret = vfm__region_get(dev, index, &r);
	if (ret)
		return ret;
	span = vfm__page_round_up(r->size);
	if (!size) {
		if (offset >= span)
			return vfm__err(offset ? -ERANGE : -EINVAL,
					"region %u (0x%llx bytes) has nothing to map at 0x%llx",
					index, (unsigned long long)r->size,
					(unsigned long long)offset);
		size = span - offset;
	}
	if (!vfm__is_page_aligned(offset) || !vfm__is_page_aligned(size))
		return vfm__err(-EINVAL, "range 0x%llx+0x%llx is not page aligned",
				(unsigned long long)offset, (unsigned long long)size);
	ret = vfm__check_range(offset, size, span);
	if (ret)
		return vfm__err(ret, "range 0x%llx+0x%llx is outside region %u (0x%llx bytes)",
				(unsigned long long)offset, (unsigned long long)size,
				index, (unsigned long long)r->size);
	if (!(r->flags & VFIOMAP_REGION_FLAG_MMAP))
		return vfm__err(-EINVAL, "region %u cannot be mmapped", index);
	if (r->has_sparse && !r->nr_sparse)
		return vfm__err(-EINVAL,
				"region %u: its sparse-mmap capability lists no areas: nothing is mmappable",
				index);
	sparse_layout = r->has_sparse &&
			vfm__area_containing(r->sparse, r->nr_sparse, offset, size) < 0;
	if (sparse_layout && (one_area || o->attrs ||
			      (o->flags & (VFIOMAP_MAP_COOKIE | VFIOMAP_MAP_WC_WHERE_ALLOWED))))
		return vfm__err(-EINVAL,
				"range 0x%llx+0x%llx of region %u is not inside one mmappable area",
				(unsigned long long)offset, (unsigned long long)size, index);
	prot = o->prot ? o->prot : region_prot(r);
	if (!prot)
		return vfm__err(-EINVAL, "region %u is neither readable nor writable", index);
	if (prot & ~region_prot(r))
		return vfm__err(-EACCES, "region %u is not %s", index,
				(prot & ~region_prot(r)) & PROT_WRITE ? "writable" : "readable");

	m = mapping_new(dev);
	if (!m)
		return vfm__err(-ENOMEM, "out of memory");
	m->index = index;
	m->offset = offset;
	m->fixed = fixed;
	if (o->attrs) {
		ret = map_attrs(dev, r, offset, size, prot, o, m, &base);
		if (ret)
			goto fail;
	} else if (o->flags & VFIOMAP_MAP_WC_WHERE_ALLOWED) {
		ret = place(o, size, offset, &base);
		if (ret)
			goto fail;
		ret = map_wc_pieces(dev, r, offset, size, prot, m, base);
		if (ret) {
			release(base, size, fixed);
			goto fail;
		}
	} else {
		ret = map_source(dev, r, offset, size, o, m, &file_off);
		if (ret)
			goto fail;
		ret = place(o, size, offset, &base);
		if (ret)
			goto fail;
		if (sparse_layout)
			ret = map_sparse(dev, r, offset, size, prot, base, fixed);
		else if ((ret = map_into(base, size, prot, dev->fd, file_off)))
			ret = vfm__err(ret, "mmap of region %u 0x%llx+0x%llx%s: %s", index,
				       (unsigned long long)offset, (unsigned long long)size,
				       m->cookie ? " (cookie)" : "", strerror(-ret));
		if (ret) {
			release(base, size, fixed);
			goto fail;
		}
	}
	if ((o->flags & VFIOMAP_MAP_DONTFORK) && madvise(base, size, MADV_DONTFORK)) {
		ret = vfm__err(-errno, "madvise(MADV_DONTFORK): %s", strerror(errno));
		release(base, size, fixed);
		goto fail;
	}
	m->addr = m->span = base;
	m->size = m->span_len = size;
	mapping_link(m);
	*out = m;
	return 0;
fail:
	if (m->own)
		vfm__cookie_drop(m->own);
	pieces_drop(m);
	free(m);
	return ret;
}

VFIOMAP_EXPORT int vfiomap_map(struct vfiomap_device *dev, uint32_t index,
			       uint64_t offset, uint64_t size,
			       const struct vfiomap_map_opts *opts,
			       struct vfiomap_mapping **out)
{
	VFM_LOG_SCOPE(dev);
	struct vfiomap_map_opts o = { .size = sizeof(o) };
	int ret;

	if (!out)
		return vfm__err(-EINVAL, "vfiomap_map: out is NULL");
	*out = NULL;
	if (!vfm__device_valid(dev))
		return vfm__err(-EINVAL, "vfiomap_map: device is NULL");
	if (opts) {
		ret = vfm__copy_opts(&o, sizeof(o), opts, MAP_OPTS_MIN, "vfiomap_map_opts");
		if (ret)
			return ret;
	}
	return map_common(dev, index, offset, size, &o, false, out);
}

VFIOMAP_EXPORT int vfiomap_map_region(struct vfiomap_device *dev, uint32_t index,
				      uint32_t flags, struct vfiomap_mapping **out)
{
	VFM_LOG_SCOPE(dev);
	struct vfiomap_map_opts o = { .size = sizeof(o) };
	const struct vfiomap_region *r;
	int ret;

	if (!out)
		return vfm__err(-EINVAL, "vfiomap_map_region: out is NULL");
	*out = NULL;
	if (flags)
		return vfm__err(-EINVAL, "vfiomap_map_region: unknown flags 0x%x", flags);
	ret = vfm__region_get(dev, index, &r);
	if (ret)
		return ret;
	if (!(r->flags & VFIOMAP_REGION_FLAG_MMAP) || !r->size)
		return vfm__err(-EINVAL, "region %u cannot be mmapped", index);
	return map_common(dev, index, 0, 0, &o, false, out);
}

VFIOMAP_EXPORT int vfiomap_map_range(struct vfiomap_device *dev, uint32_t index,
				     uint64_t offset, uint64_t size, uint32_t attrs,
				     uint32_t flags, struct vfiomap_mapping **out)
{
	VFM_LOG_SCOPE(dev);
	struct vfiomap_map_opts o = { .size = sizeof(o), .attrs = attrs };

	if (!out)
		return vfm__err(-EINVAL, "vfiomap_map_range: out is NULL");
	*out = NULL;
	if (flags)
		return vfm__err(-EINVAL, "vfiomap_map_range: unknown flags 0x%x", flags);
	if (attrs & ~VFM_ATTRS_KNOWN)
		return vfm__err(-EINVAL, "unknown attributes 0x%x", attrs);
	if (!size)
		return vfm__err(-EINVAL, "range 0x%llx+0 is empty", (unsigned long long)offset);
	if (!vfm__device_valid(dev))
		return vfm__err(-EINVAL, "vfiomap_map_range: device is NULL");
	return map_common(dev, index, offset, size, &o, true, out);
}

VFIOMAP_EXPORT int vfiomap_unmap(struct vfiomap_mapping *m)
{
	VFM_LOG_SCOPE(m ? m->dev : NULL);
	struct vfiomap_device *dev;
	int ret = 0;

	if (!m)
		return 0;
	dev = m->dev;
	vfm__dev_lock(dev);
	if (m->prev)
		m->prev->next = m->next;
	else
		dev->mappings = m->next;
	if (m->next)
		m->next->prev = m->prev;
	vfm__dev_unlock(dev);
	if (m->fixed) {
		ret = make_reservation(m->span, m->span_len);
		if (ret)
			ret = vfm__err(ret, "restoring the reservation: %s", strerror(-ret));
	} else if (munmap(m->span, m->span_len)) {
		ret = vfm__err(-errno, "munmap: %s", strerror(errno));
	}
	if (m->own) {
		int r = vfm__cookie_drop(m->own);

		if (r && !ret)
			ret = r;
	}
	if (m->pieces) {
		int r = pieces_drop(m);

		if (r && !ret)
			ret = r;
	}
	free(m);
	return ret;
}

VFIOMAP_EXPORT void *vfiomap_mapping_addr(const struct vfiomap_mapping *m)
{
	return m ? m->addr : NULL;
}

VFIOMAP_EXPORT size_t vfiomap_mapping_size(const struct vfiomap_mapping *m)
{
	return m ? m->size : 0;
}

VFIOMAP_EXPORT uint64_t vfiomap_mapping_cookie(const struct vfiomap_mapping *m)
{
	return m ? m->cookie : 0;
}

VFIOMAP_EXPORT int vfiomap_mapping_is_sysfs_wc(const struct vfiomap_mapping *m)
{
	return m && m->sysfs_wc;
}

VFIOMAP_EXPORT int vfiomap_mapping_region(const struct vfiomap_mapping *m)
{
	return m ? (int)m->index : vfm__err(-EINVAL, "vfiomap_mapping_region: NULL mapping");
}

VFIOMAP_EXPORT uint64_t vfiomap_mapping_offset(const struct vfiomap_mapping *m)
{
	return m ? m->offset : 0;
}

VFIOMAP_EXPORT uint32_t vfiomap_mapping_attrs(const struct vfiomap_mapping *m)
{
	return m ? m->attrs : 0;
}

VFIOMAP_EXPORT uint64_t vfiomap_mapping_wc_size(const struct vfiomap_mapping *m)
{
	if (!m)
		return 0;
	if (m->pieces)
		return m->wc_size;
	return (m->attrs & VFIOMAP_ATTR_WC) ? m->size : 0;
}
