/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvfiomap: write-combined, sub-range PCI BAR mappings through VFIO.
 * Lifecycle: open -> region -> cookie -> map -> unmap -> destroy -> close.
 */
#ifndef LIBVFIOMAP_H
#define LIBVFIOMAP_H

#include <libvfiomap/error.h>
#include <libvfiomap/device.h>
#include <libvfiomap/region.h>
#include <libvfiomap/align.h>
#include <libvfiomap/cookie.h>
#include <libvfiomap/map.h>
#include <libvfiomap/ctx.h>

#endif
