// SPDX-License-Identifier: LGPL-2.1-or-later
/* Alignment and range helpers. */
#include <check.h>
#include <errno.h>

#include "internal.h"
#include "ck_run.h"

#define K 1024ULL
#define M (1024ULL * K)
#define G (1024ULL * M)

START_TEST(huge_align_by_size)
{
	ck_assert_uint_eq(vfiomap_huge_align(4 * K, 0), 4 * K);
	ck_assert_uint_eq(vfiomap_huge_align(8 * K, 0), 8 * K);
	ck_assert_uint_eq(vfiomap_huge_align(12 * K, 0), 4 * K);
	ck_assert_uint_eq(vfiomap_huge_align(2 * M, 0), 2 * M);
	ck_assert_uint_eq(vfiomap_huge_align(6 * M, 0), 2 * M);
	ck_assert_uint_eq(vfiomap_huge_align(G, 0), G);
	ck_assert_uint_eq(vfiomap_huge_align(3 * G, 0), G);
}
END_TEST

START_TEST(huge_align_capped_at_1g)
{
	ck_assert_uint_eq(vfiomap_huge_align(2 * G, 0), G);
	ck_assert_uint_eq(vfiomap_huge_align(64 * G, 0), G);
	ck_assert_uint_eq(vfiomap_huge_align(1ULL << 63, 0), G);
}
END_TEST

START_TEST(huge_align_limited_by_offset)
{
	ck_assert_uint_eq(vfiomap_huge_align(G, 2 * M), 2 * M);
	ck_assert_uint_eq(vfiomap_huge_align(G, 4 * K), 4 * K);
	ck_assert_uint_eq(vfiomap_huge_align(G, G), G);
	ck_assert_uint_eq(vfiomap_huge_align(4 * M, 6 * M), 2 * M);
}
END_TEST

START_TEST(huge_align_at_least_page)
{
	ck_assert_uint_eq(vfiomap_huge_align(0x100, 0), 4 * K);
	ck_assert_uint_eq(vfiomap_huge_align(0, 0), G);
	ck_assert_uint_eq(vfiomap_huge_align(4 * K, 0x10), 4 * K);
}
END_TEST

START_TEST(ctz_align)
{
	ck_assert_uint_eq(vfm__ctz_align(1), 1);
	ck_assert_uint_eq(vfm__ctz_align(0x3000), 0x1000);
	ck_assert_uint_eq(vfm__ctz_align(1ULL << 40), 1ULL << 40);
	ck_assert_uint_eq(vfm__ctz_align(0), 1ULL << 63);
}
END_TEST

START_TEST(page_aligned)
{
	ck_assert(vfm__is_page_aligned(0));
	ck_assert(vfm__is_page_aligned(0x1000));
	ck_assert(!vfm__is_page_aligned(0x1001));
	ck_assert(!vfm__is_page_aligned(0x800));
}
END_TEST

START_TEST(check_range)
{
	ck_assert_int_eq(vfm__check_range(0, 0x1000, 0x1000), 0);
	ck_assert_int_eq(vfm__check_range(0x1000, 0x1000, 0x2000), 0);
	ck_assert_int_eq(vfm__check_range(0, 0, 0x1000), -EINVAL);
	ck_assert_int_eq(vfm__check_range(0x1000, 0x1000, 0x1000), -ERANGE);
	ck_assert_int_eq(vfm__check_range(0, 0x2000, 0x1000), -ERANGE);
	ck_assert_int_eq(vfm__check_range(~0ULL - 0xfff, 0x2000, ~0ULL), -EOVERFLOW);
	ck_assert_int_eq(vfm__check_range(~0ULL, 1, ~0ULL), -EOVERFLOW);
}
END_TEST

START_TEST(area_containing)
{
	struct vfiomap_area a[] = { { 0, 0x2000 }, { 0x4000, 0xc000 } };

	ck_assert_int_eq(vfm__area_containing(a, 2, 0, 0x1000), 0);
	ck_assert_int_eq(vfm__area_containing(a, 2, 0x1000, 0x1000), 0);
	ck_assert_int_eq(vfm__area_containing(a, 2, 0x4000, 0xc000), 1);
	/* straddles the hole, inside the hole, past the end, wraps */
	ck_assert_int_eq(vfm__area_containing(a, 2, 0x1000, 0x4000), -ERANGE);
	ck_assert_int_eq(vfm__area_containing(a, 2, 0x2000, 0x1000), -ERANGE);
	ck_assert_int_eq(vfm__area_containing(a, 2, 0xf000, 0x2000), -ERANGE);
	ck_assert_int_eq(vfm__area_containing(a, 2, 0x4000, ~0ULL), -ERANGE);
	ck_assert_int_eq(vfm__area_containing(a, 0, 0, 0x1000), -ERANGE);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("align");
	TCase *tc = tcase_create("helpers");

	tcase_add_test(tc, huge_align_by_size);
	tcase_add_test(tc, huge_align_capped_at_1g);
	tcase_add_test(tc, huge_align_limited_by_offset);
	tcase_add_test(tc, huge_align_at_least_page);
	tcase_add_test(tc, ctz_align);
	tcase_add_test(tc, page_aligned);
	tcase_add_test(tc, check_range);
	tcase_add_test(tc, area_containing);
	suite_add_tcase(s, tc);
	return ck_run(s);
}
