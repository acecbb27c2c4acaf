// SPDX-License-Identifier: LGPL-2.1-or-later
/* Capability-chain parser: valid chains and every kind of malformed one. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "ck_run.h"

#define BASE sizeof(struct vfio_region_info)

static uint8_t buf[1024];

static void put_hdr(uint32_t off, uint16_t id, uint16_t ver, uint32_t next)
{
	struct vfio_info_cap_header h = { .id = id, .version = ver, .next = next };

	memcpy(buf + off, &h, sizeof(h));
}

static void put_u32(uint32_t off, uint32_t v)
{
	memcpy(buf + off, &v, sizeof(v));
}

static void put_u64(uint32_t off, uint64_t v)
{
	memcpy(buf + off, &v, sizeof(v));
}

/* sparse (2 areas) -> type -> msix -> mmap attrs -> unknown id 99 */
static size_t full_chain(void)
{
	uint32_t o1 = BASE, o2 = o1 + 48, o3 = o2 + 16, o4 = o3 + 8, o5 = o4 + 16;

	memset(buf, 0, sizeof(buf));
	put_hdr(o1, VFIO_REGION_INFO_CAP_SPARSE_MMAP, 1, o2);
	put_u32(o1 + 8, 2);
	put_u64(o1 + 16, 0);
	put_u64(o1 + 24, 0x2000);
	put_u64(o1 + 32, 0x4000);
	put_u64(o1 + 40, 0xc000);
	put_hdr(o2, VFIO_REGION_INFO_CAP_TYPE, 1, o3);
	put_u32(o2 + 8, 0x80000000u | 8086);
	put_u32(o2 + 12, 3);
	put_hdr(o3, VFIO_REGION_INFO_CAP_MSIX_MAPPABLE, 1, o4);
	put_hdr(o4, VFIO_REGION_INFO_CAP_MMAP_ATTRS, 1, o5);
	put_u32(o4 + 8, VFIO_MMAP_ATTR_WC);
	put_hdr(o5, 99, 1, 0);
	return o5 + 16;
}

START_TEST(valid_chain)
{
	struct vfm_caps c;
	size_t len = full_chain();

	ck_assert_int_eq(vfm__parse_caps(buf, len, BASE, BASE, &c), 0);
	ck_assert(c.has_sparse);
	ck_assert_uint_eq(c.nr_sparse, 2);
	ck_assert_uint_eq(c.sparse[0].offset, 0);
	ck_assert_uint_eq(c.sparse[0].size, 0x2000);
	ck_assert_uint_eq(c.sparse[1].offset, 0x4000);
	ck_assert_uint_eq(c.sparse[1].size, 0xc000);
	ck_assert(c.has_type);
	ck_assert_uint_eq(c.type, 0x80000000u | 8086);
	ck_assert_uint_eq(c.subtype, 3);
	ck_assert(c.msix_mappable);
	ck_assert(c.has_mmap_attrs);
	ck_assert_uint_eq(c.mmap_attrs, VFIO_MMAP_ATTR_WC);
	vfm__caps_free(&c);
}
END_TEST

/*
 * The series v3 capability (version 2: attrs, then areas) reads as v2's
 * (version 1: attrs only): the library takes attrs from either.  With
 * sizeof() of the v3 struct, a version-1 capability at the end of the
 * buffer was "truncated" (seen failing before the parser read only the
 * version-1 part).
 */
START_TEST(mmap_attrs_both_versions)
{
	struct vfm_caps c;

	memset(buf, 0, sizeof(buf));
	put_hdr(BASE, VFIO_REGION_INFO_CAP_MMAP_ATTRS, 1, 0);
	put_u64(BASE + 8, VFIO_MMAP_ATTR_WC);
	ck_assert_int_eq(vfm__parse_caps(buf, BASE + 16, BASE, BASE, &c), 0);
	ck_assert(c.has_mmap_attrs);
	ck_assert_uint_eq(c.mmap_attrs, VFIO_MMAP_ATTR_WC);
	vfm__caps_free(&c);

	put_hdr(BASE, VFIO_REGION_INFO_CAP_MMAP_ATTRS, 2, 0);
	put_u32(BASE + 16, 1);			/* nr_areas */
	put_u64(BASE + 24, 0);			/* offset */
	put_u64(BASE + 32, 0x4000000);		/* size */
	put_u64(BASE + 40, VFIO_MMAP_ATTR_WC);	/* attrs */
	ck_assert_int_eq(vfm__parse_caps(buf, BASE + 48, BASE, BASE, &c), 0);
	ck_assert(c.has_mmap_attrs);
	ck_assert_uint_eq(c.mmap_attrs, VFIO_MMAP_ATTR_WC);
	vfm__caps_free(&c);
}
END_TEST

/*
 * Version 2 lists the region's areas: the library keeps them (in order,
 * with their attributes), bounds nr_areas by the capability's space, and
 * refuses a wrapping area.
 */
START_TEST(mmap_attrs_areas)
{
	struct vfm_caps c;

	memset(buf, 0, sizeof(buf));
	put_hdr(BASE, VFIO_REGION_INFO_CAP_MMAP_ATTRS, 2, 0);
	put_u64(BASE + 8, VFIO_MMAP_ATTR_WC);
	put_u32(BASE + 16, 3);
	put_u64(BASE + 24, 0);
	put_u64(BASE + 32, 0x2000);
	put_u64(BASE + 40, VFIO_MMAP_ATTR_WC);
	put_u64(BASE + 48, 0x2000);
	put_u64(BASE + 56, 0x1000);		/* MSI-X table page: no WC */
	put_u64(BASE + 64, 0);
	put_u64(BASE + 72, 0x3000);
	put_u64(BASE + 80, 0x4000);
	put_u64(BASE + 88, VFIO_MMAP_ATTR_WC);
	ck_assert_int_eq(vfm__parse_caps(buf, BASE + 96, BASE, BASE, &c), 0);
	ck_assert(c.has_mmap_attrs);
	ck_assert_uint_eq(c.mmap_attrs_version, 2);
	ck_assert_uint_eq(c.nr_attr_areas, 3);
	ck_assert_uint_eq(c.attr_areas[0].size, 0x2000);
	ck_assert_uint_eq(c.attr_areas[1].offset, 0x2000);
	ck_assert_uint_eq(c.attr_areas[1].attrs, 0);
	ck_assert_uint_eq(c.attr_areas[2].offset, 0x3000);
	ck_assert_uint_eq(c.attr_areas[2].size, 0x4000);
	ck_assert_uint_eq(c.attr_areas[2].attrs, VFIO_MMAP_ATTR_WC);
	vfm__caps_free(&c);

	/* three claimed, room for two */
	ck_assert_int_eq(vfm__parse_caps(buf, BASE + 72, BASE, BASE, &c), -EPROTO);
	/* an area that wraps */
	put_u32(BASE + 16, 1);
	put_u64(BASE + 24, ~0ULL - 0xfff);
	put_u64(BASE + 32, 0x2000);
	ck_assert_int_eq(vfm__parse_caps(buf, BASE + 48, BASE, BASE, &c), -EPROTO);
	/* two mmap-attrs capabilities */
	put_hdr(BASE, VFIO_REGION_INFO_CAP_MMAP_ATTRS, 1, BASE + 16);
	put_hdr(BASE + 16, VFIO_REGION_INFO_CAP_MMAP_ATTRS, 1, 0);
	ck_assert_int_eq(vfm__parse_caps(buf, BASE + 32, BASE, BASE, &c), -EPROTO);
}
END_TEST

/*
 * The capability number is ours, not upstream's: a capability with that
 * ID but version 0, or too small for its version, is someone else's and
 * is skipped (no cookies), not parsed into attributes.
 */
START_TEST(mmap_attrs_foreign_capability_skipped)
{
	struct vfm_caps c;

	memset(buf, 0, sizeof(buf));
	put_hdr(BASE, VFIO_REGION_INFO_CAP_MMAP_ATTRS, 0, 0);
	put_u64(BASE + 8, VFIO_MMAP_ATTR_WC);
	ck_assert_int_eq(vfm__parse_caps(buf, BASE + 16, BASE, BASE, &c), 0);
	ck_assert(!c.has_mmap_attrs);
	vfm__caps_free(&c);
	/* version 1 needs 16 bytes */
	put_hdr(BASE, VFIO_REGION_INFO_CAP_MMAP_ATTRS, 1, BASE + 12);
	put_hdr(BASE + 12, VFIO_REGION_INFO_CAP_MSIX_MAPPABLE, 1, 0);
	ck_assert_int_eq(vfm__parse_caps(buf, BASE + 20, BASE, BASE, &c), 0);
	ck_assert(!c.has_mmap_attrs);
	ck_assert(c.msix_mappable);
	vfm__caps_free(&c);
	/* version 2 needs its nr_areas */
	put_hdr(BASE, VFIO_REGION_INFO_CAP_MMAP_ATTRS, 2, 0);
	ck_assert_int_eq(vfm__parse_caps(buf, BASE + 16, BASE, BASE, &c), 0);
	ck_assert(!c.has_mmap_attrs);
	vfm__caps_free(&c);
}
END_TEST

START_TEST(no_caps)
{
	struct vfm_caps c;

	ck_assert_int_eq(vfm__parse_caps(buf, BASE, BASE, 0, &c), 0);
	ck_assert(!c.has_sparse && !c.has_type && !c.msix_mappable && !c.has_mmap_attrs);
	ck_assert_int_eq(vfm__parse_caps(NULL, 0, BASE, 0, &c), 0);
}
END_TEST

START_TEST(zero_length_buffer)
{
	struct vfm_caps c;

	ck_assert_int_eq(vfm__parse_caps(buf, 0, BASE, BASE, &c), -EPROTO);
}
END_TEST

START_TEST(truncated_header)
{
	struct vfm_caps c;
	size_t len = full_chain();

	(void)len;
	/* the buffer ends 4 bytes into the first header */
	ck_assert_int_eq(vfm__parse_caps(buf, BASE + 4, BASE, BASE, &c), -EPROTO);
	ck_assert_ptr_nonnull(strstr(vfiomap_strerror(), "beyond"));
}
END_TEST

START_TEST(truncated_payload)
{
	struct vfm_caps c;

	memset(buf, 0, sizeof(buf));
	put_hdr(BASE, VFIO_REGION_INFO_CAP_TYPE, 1, 0);
	/* header complete, type payload cut */
	ck_assert_int_eq(vfm__parse_caps(buf, BASE + 12, BASE, BASE, &c), -EPROTO);
	/* too short for our mmap-attrs: someone else's capability, skipped */
	put_hdr(BASE, VFIO_REGION_INFO_CAP_MMAP_ATTRS, 1, 0);
	ck_assert_int_eq(vfm__parse_caps(buf, BASE + 10, BASE, BASE, &c), 0);
	ck_assert(!c.has_mmap_attrs);
	put_hdr(BASE, VFIO_REGION_INFO_CAP_SPARSE_MMAP, 1, 0);
	ck_assert_int_eq(vfm__parse_caps(buf, BASE + 12, BASE, BASE, &c), -EPROTO);
}
END_TEST

START_TEST(next_beyond_buffer)
{
	struct vfm_caps c;
	size_t len = full_chain();

	put_hdr(BASE + 48, VFIO_REGION_INFO_CAP_TYPE, 1, 4096);
	ck_assert_int_eq(vfm__parse_caps(buf, len, BASE, BASE, &c), -EPROTO);
	/* first offset beyond the buffer */
	ck_assert_int_eq(vfm__parse_caps(buf, len, BASE, 2000, &c), -EPROTO);
}
END_TEST

START_TEST(first_inside_fixed_part)
{
	struct vfm_caps c;
	size_t len = full_chain();

	ck_assert_int_eq(vfm__parse_caps(buf, len, BASE, 8, &c), -EPROTO);
}
END_TEST

START_TEST(cycle_to_self)
{
	struct vfm_caps c;

	memset(buf, 0, sizeof(buf));
	put_hdr(BASE, VFIO_REGION_INFO_CAP_MSIX_MAPPABLE, 1, BASE);
	ck_assert_int_eq(vfm__parse_caps(buf, 256, BASE, BASE, &c), -EPROTO);
	ck_assert_ptr_nonnull(strstr(vfiomap_strerror(), "cycle"));
}
END_TEST

START_TEST(cycle_backwards)
{
	struct vfm_caps c;

	memset(buf, 0, sizeof(buf));
	put_hdr(BASE, VFIO_REGION_INFO_CAP_MSIX_MAPPABLE, 1, BASE + 16);
	put_hdr(BASE + 16, VFIO_REGION_INFO_CAP_MSIX_MAPPABLE, 1, BASE);
	ck_assert_int_eq(vfm__parse_caps(buf, 256, BASE, BASE, &c), -EPROTO);
}
END_TEST

START_TEST(overlapping_payload)
{
	struct vfm_caps c;

	/* sparse claims 2 areas (40 bytes) but the next header starts 24 in */
	memset(buf, 0, sizeof(buf));
	put_hdr(BASE, VFIO_REGION_INFO_CAP_SPARSE_MMAP, 1, BASE + 24);
	put_u32(BASE + 8, 2);
	put_hdr(BASE + 24, VFIO_REGION_INFO_CAP_MSIX_MAPPABLE, 1, 0);
	ck_assert_int_eq(vfm__parse_caps(buf, 256, BASE, BASE, &c), -EPROTO);
}
END_TEST

START_TEST(overlapping_header)
{
	struct vfm_caps c;

	/* next points into the middle of the current header */
	memset(buf, 0, sizeof(buf));
	put_hdr(BASE, VFIO_REGION_INFO_CAP_MSIX_MAPPABLE, 1, BASE + 4);
	ck_assert_int_eq(vfm__parse_caps(buf, 256, BASE, BASE, &c), -EPROTO);
}
END_TEST

START_TEST(absurd_nr_areas)
{
	struct vfm_caps c;

	memset(buf, 0, sizeof(buf));
	put_hdr(BASE, VFIO_REGION_INFO_CAP_SPARSE_MMAP, 1, 0);
	put_u32(BASE + 8, 0xffffffffu);
	ck_assert_int_eq(vfm__parse_caps(buf, sizeof(buf), BASE, BASE, &c), -EPROTO);
	ck_assert_ptr_null(c.sparse);
	put_u32(BASE + 8, 0x10000000u);
	ck_assert_int_eq(vfm__parse_caps(buf, sizeof(buf), BASE, BASE, &c), -EPROTO);
}
END_TEST

START_TEST(misaligned)
{
	struct vfm_caps c;

	memset(buf, 0, sizeof(buf));
	put_hdr(BASE + 2, VFIO_REGION_INFO_CAP_MSIX_MAPPABLE, 1, 0);
	ck_assert_int_eq(vfm__parse_caps(buf, 256, BASE, BASE + 2, &c), -EPROTO);
}
END_TEST

START_TEST(duplicate_sparse)
{
	struct vfm_caps c;

	memset(buf, 0, sizeof(buf));
	put_hdr(BASE, VFIO_REGION_INFO_CAP_SPARSE_MMAP, 1, BASE + 16);
	put_hdr(BASE + 16, VFIO_REGION_INFO_CAP_SPARSE_MMAP, 1, 0);
	ck_assert_int_eq(vfm__parse_caps(buf, 256, BASE, BASE, &c), -EPROTO);
}
END_TEST

START_TEST(area_wraps)
{
	struct vfm_caps c;

	memset(buf, 0, sizeof(buf));
	put_hdr(BASE, VFIO_REGION_INFO_CAP_SPARSE_MMAP, 1, 0);
	put_u32(BASE + 8, 1);
	put_u64(BASE + 16, ~0ULL - 10);
	put_u64(BASE + 24, 0x1000);
	ck_assert_int_eq(vfm__parse_caps(buf, 256, BASE, BASE, &c), -EPROTO);
}
END_TEST

START_TEST(long_chain_bounded)
{
	struct vfm_caps c;
	uint8_t big[8192];

	memset(big, 0, sizeof(big));
	/* 100 forward-moving unknown capabilities: bounded at 64 */
	for (uint32_t i = 0; i < 100; i++) {
		struct vfio_info_cap_header h = { .id = 77, .version = 1,
			.next = i < 99 ? (uint32_t)(BASE + (i + 1) * 8) : 0 };

		memcpy(big + BASE + i * 8, &h, sizeof(h));
	}
	ck_assert_int_eq(vfm__parse_caps(big, sizeof(big), BASE, BASE, &c), -EPROTO);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("caps");
	TCase *tc = tcase_create("parser");

	tcase_add_test(tc, valid_chain);
	tcase_add_test(tc, no_caps);
	tcase_add_test(tc, mmap_attrs_both_versions);
	tcase_add_test(tc, mmap_attrs_areas);
	tcase_add_test(tc, mmap_attrs_foreign_capability_skipped);
	tcase_add_test(tc, zero_length_buffer);
	tcase_add_test(tc, truncated_header);
	tcase_add_test(tc, truncated_payload);
	tcase_add_test(tc, next_beyond_buffer);
	tcase_add_test(tc, first_inside_fixed_part);
	tcase_add_test(tc, cycle_to_self);
	tcase_add_test(tc, cycle_backwards);
	tcase_add_test(tc, overlapping_payload);
	tcase_add_test(tc, overlapping_header);
	tcase_add_test(tc, absurd_nr_areas);
	tcase_add_test(tc, misaligned);
	tcase_add_test(tc, duplicate_sparse);
	tcase_add_test(tc, area_wraps);
	tcase_add_test(tc, long_chain_bounded);
	suite_add_tcase(s, tc);
	return ck_run(s);
}
