// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Region-info capability chain parser.  Pure: works on a buffer, trusts
 * nothing in it.  A chain is accepted only if every header lies inside
 * the buffer past the fixed part, each next offset moves strictly forward
 * (which also rules out cycles), each payload fits before the next header
 * (no overlap), and counts such as nr_areas fit the space they claim.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAX_CAPS 64

struct cap_sparse_hdr {
	struct vfio_info_cap_header header;
	uint32_t nr_areas;
	uint32_t reserved;
};

struct cap_area {
	uint64_t offset;
	uint64_t size;
};

struct cap_type {
	struct vfio_info_cap_header header;
	uint32_t type;
	uint32_t subtype;
};

void vfm__caps_free(struct vfm_caps *caps)
{
	if (!caps)
		return;
	free(caps->sparse);
	free(caps->attr_areas);
	memset(caps, 0, sizeof(*caps));
}

static int parse_sparse(const uint8_t *p, size_t avail, struct vfm_caps *out)
{
	struct cap_sparse_hdr h;
	size_t max_areas;

	if (out->has_sparse)
		return vfm__err(-EPROTO, "capability chain: two sparse-mmap capabilities");
	if (avail < sizeof(h))
		return vfm__err(-EPROTO, "capability chain: sparse-mmap capability truncated");
	memcpy(&h, p, sizeof(h));
	max_areas = (avail - sizeof(h)) / sizeof(struct cap_area);
	if (h.nr_areas > max_areas)
		return vfm__err(-EPROTO,
				   "capability chain: sparse-mmap claims %u areas, room for %zu",
				   h.nr_areas, max_areas);
	out->has_sparse = true;
	out->nr_sparse = h.nr_areas;
	if (!h.nr_areas)
		return 0;
	out->sparse = calloc(h.nr_areas, sizeof(*out->sparse));
	if (!out->sparse)
		return vfm__err(-ENOMEM, "out of memory");
	for (uint32_t i = 0; i < h.nr_areas; i++) {
		struct cap_area a;

		memcpy(&a, p + sizeof(h) + i * sizeof(a), sizeof(a));
		if (a.offset + a.size < a.offset)
			return vfm__err(-EPROTO, "capability chain: sparse area %u wraps", i);
		out->sparse[i].offset = a.offset;
		out->sparse[i].size = a.size;
	}
	return 0;
}

/*
 * VFIO_REGION_INFO_CAP_MMAP_ATTRS.  Its ID is ours until upstream assigns
 * one, so a capability with that ID is taken for ours only if it has a
 * version we know and the size that version needs; anything else is
 * skipped as someone else's (a kernel that gave the number to another
 * capability), not parsed.  Version 1: attrs.  Version 2 (and later,
 * which may only append): attrs, nr_areas, and nr_areas areas
 * {offset, size, attrs}, each inside the capability, none wrapping.
 */
static int parse_mmap_attrs(const uint8_t *p, size_t avail, uint16_t version,
			    struct vfm_caps *out)
{
	const size_t at = offsetof(struct vfio_region_info_cap_mmap_attrs, attrs);
	const size_t v2 = offsetof(struct vfio_region_info_cap_mmap_attrs, areas);
	struct vfio_region_mmap_attrs_area a;
	uint32_t nr;
	__u64 attrs;

	if (out->has_mmap_attrs)
		return vfm__err(-EPROTO, "capability chain: two mmap-attrs capabilities");
	if (version < 1 || avail < at + sizeof(attrs) || (version >= 2 && avail < v2)) {
		vfm__debug("capability chain: capability %u version %u (%zu bytes) is not libvfiomap's mmap-attrs; skipped",
			   VFIO_REGION_INFO_CAP_MMAP_ATTRS, version, avail);
		return 0;
	}
	memcpy(&attrs, p + at, sizeof(attrs));
	if (version >= 2) {
		memcpy(&nr, p + offsetof(struct vfio_region_info_cap_mmap_attrs, nr_areas),
		       sizeof(nr));
		if (nr > (avail - v2) / sizeof(a))
			return vfm__err(-EPROTO,
					"capability chain: mmap-attrs claims %u areas, room for %zu",
					nr, (avail - v2) / sizeof(a));
		if (nr) {
			out->attr_areas = calloc(nr, sizeof(*out->attr_areas));
			if (!out->attr_areas)
				return vfm__err(-ENOMEM, "out of memory");
		}
		for (uint32_t i = 0; i < nr; i++) {
			memcpy(&a, p + v2 + i * sizeof(a), sizeof(a));
			if (a.offset + a.size < a.offset)
				return vfm__err(-EPROTO,
						"capability chain: mmap-attrs area %u wraps", i);
			out->attr_areas[i].offset = a.offset;
			out->attr_areas[i].size = a.size;
			out->attr_areas[i].attrs = (uint32_t)a.attrs;
		}
		out->nr_attr_areas = nr;
	}
	out->has_mmap_attrs = true;
	out->mmap_attrs = (uint32_t)attrs;
	out->mmap_attrs_version = version;
	return 0;
}

int vfm__cap_step(const uint8_t *b, size_t len, const char *what,
		  struct vfm_cap_walk *w, struct vfio_info_cap_header *h, size_t *end)
{
	uint32_t off = w->off;

	if (++w->n > MAX_CAPS)
		return vfm__err(-EPROTO, "%s: more than %d entries", what, MAX_CAPS);
	if (off < w->prev_end)
		return vfm__err(-EPROTO, "%s: offset %u goes backwards or overlaps (cycle?)",
				what, off);
	if (off % 4)
		return vfm__err(-EPROTO, "%s: misaligned offset %u", what, off);
	if ((size_t)off > len || len - off < sizeof(*h))
		return vfm__err(-EPROTO, "%s: header at %u beyond the %zu-byte buffer",
				what, off, len);
	memcpy(h, b + off, sizeof(*h));
	if (h->next && h->next <= off)
		return vfm__err(-EPROTO, "%s: next %u does not move forward from %u (cycle)",
				what, h->next, off);
	if (h->next && (size_t)h->next > len)
		return vfm__err(-EPROTO, "%s: next %u beyond the %zu-byte buffer", what,
				h->next, len);
	*end = h->next ? h->next : len;
	w->prev_end = off + sizeof(*h);
	w->off = h->next;
	return 0;
}

int vfm__parse_caps(const void *buf, size_t len, size_t min_off,
		       uint32_t first, struct vfm_caps *out)
{
	struct vfm_cap_walk w = { .off = first, .prev_end = min_off };
	const uint8_t *b = buf;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	if (!buf && len)
		return vfm__err(-EINVAL, "capability chain: no buffer");

	while (w.off) {
		struct vfio_info_cap_header h;
		uint32_t off = w.off;
		size_t end;

		ret = vfm__cap_step(b, len, "capability chain", &w, &h, &end);
		if (ret)
			break;

		switch (h.id) {
		case VFIO_REGION_INFO_CAP_SPARSE_MMAP:
			ret = parse_sparse(b + off, end - off, out);
			break;
		case VFIO_REGION_INFO_CAP_TYPE: {
			struct cap_type t;

			if (end - off < sizeof(t)) {
				ret = vfm__err(-EPROTO, "capability chain: type capability truncated");
				break;
			}
			memcpy(&t, b + off, sizeof(t));
			out->has_type = true;
			out->type = t.type;
			out->subtype = t.subtype;
			break;
		}
		case VFIO_REGION_INFO_CAP_MSIX_MAPPABLE:
			out->msix_mappable = true;
			break;
		case VFIO_REGION_INFO_CAP_MMAP_ATTRS:
			ret = parse_mmap_attrs(b + off, end - off, h.version, out);
			break;
		default:
			break;	/* unknown capabilities are skipped */
		}
		if (ret)
			break;
	}
	if (ret)
		vfm__caps_free(out);
	return ret;
}
