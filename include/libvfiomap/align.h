/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef LIBVFIOMAP_ALIGN_H
#define LIBVFIOMAP_ALIGN_H

#include <stdint.h>

/**
 * DOC: address alignment
 *
 * Where in the address space a device mapping should start so that the
 * kernel can map it with PMD/PUD entries (huge pfnmap).
 */

#ifdef __cplusplus
extern "C" {
#endif

/**
 * vfiomap_huge_align() - virtual alignment for a device mapping
 * @size: bytes to map
 * @offset: file offset of the mapping
 *
 * min(2^ctz(size), 1 GiB), limited by the alignment of @offset (which the
 * physical address follows), and at least the page size
 * (sysconf(_SC_PAGESIZE): 4 KiB on x86; 4, 16 or 64 KiB on arm64).
 *
 * Return: the alignment in bytes.
 */
uint64_t vfiomap_huge_align(uint64_t size, uint64_t offset);

#ifdef __cplusplus
}
#endif

#endif
