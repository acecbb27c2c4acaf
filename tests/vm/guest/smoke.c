// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Smoke test of the VM harness and of stock VFIO behaviour, in every open
 * mode of the machine: stable region offsets, a legacy BAR2 mapping whose
 * bytes the host finds in the ivshmem file, edu registers through BAR0.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "vmtest.h"
#include "ck_run.h"

static enum vmt_mode modes[3];
static int nr_modes;

START_TEST(ivshmem_bar2)
{
	struct vmt_dev d;
	struct vfio_region_info *a, *b;
	char bdf[32], name[64];
	uint8_t pat[8] = { 's', 'm', 'o', 'k', 'e', '0', 0x5a, 0 };
	volatile uint8_t *p;

	ck_assert_int_eq(vmt_find_device(0x1af4, 0x1110, bdf), 0);
	ck_assert_int_eq(vmt_open(bdf, modes[_i], &d), 0);
	ck_assert_int_eq(vmt_region_info(d.fd, 2, &a), 0);
	ck_assert_int_eq(vmt_region_info(d.fd, 2, &b), 0);
	ck_assert_uint_eq(a->offset, 2ULL << 40);
	ck_assert_uint_eq(b->offset, a->offset);
	ck_assert(a->flags & VFIO_REGION_INFO_FLAG_MMAP);
	p = mmap(NULL, a->size, PROT_READ | PROT_WRITE, MAP_SHARED, d.fd,
		 (off_t)a->offset);
	ck_assert(p != MAP_FAILED);
	pat[7] = (uint8_t)modes[_i];
	for (size_t i = 0; i < sizeof(pat); i++)
		p[0x1000 + 0x10 * modes[_i] + i] = pat[i];
	ck_assert_int_eq(memcmp((const void *)(p + 0x1000 + 0x10 * modes[_i]),
				pat, sizeof(pat)), 0);
	snprintf(name, sizeof(name), "smoke-%s", vmt_mode_name(modes[_i]));
	vmt_hostcheck(name, 0x1000 + 0x10 * modes[_i], pat, sizeof(pat));
	munmap((void *)p, a->size);
	free(a);
	free(b);
	vmt_close(&d);
}
END_TEST

START_TEST(edu_bar0)
{
	struct vmt_dev d;
	struct vfio_region_info *r;
	char bdf[32];
	volatile uint32_t *p;

	ck_assert_int_eq(vmt_find_device(0x1234, 0x11e8, bdf), 0);
	ck_assert_int_eq(vmt_open(bdf, modes[_i], &d), 0);
	ck_assert_int_eq(vmt_region_info(d.fd, 0, &r), 0);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, d.fd,
		 (off_t)r->offset);
	ck_assert(p != MAP_FAILED);
	ck_assert_uint_eq(p[0], 0x010000ed);
	p[1] = 0x12345678;
	ck_assert_uint_eq(p[1], ~0x12345678u);
	munmap((void *)p, 4096);
	free(r);
	vmt_close(&d);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("smoke");
	TCase *tc = tcase_create("smoke");

	nr_modes = vmt_modes_available(modes);
	tcase_add_loop_test(tc, ivshmem_bar2, 0, nr_modes);
	tcase_add_loop_test(tc, edu_bar0, 0, nr_modes);
	suite_add_tcase(s, tc);
	return ck_run(s);
}
