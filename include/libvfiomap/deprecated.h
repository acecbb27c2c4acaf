/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef LIBVFIOMAP_DEPRECATED_H
#define LIBVFIOMAP_DEPRECATED_H

/**
 * DOC: deprecated functions
 *
 * One way to do each thing (0.3): where 0.1 and 0.2 grew two or three
 * calls for one job, one of them is the API and the others are kept,
 * unchanged and exported, for programs built against those releases.
 * Their declarations carry VFIOMAP_DEPRECATED(): a compiler warns at
 * each call and names the replacement.  A program that defines
 * VFIOMAP_NO_DEPRECATED before including a libvfiomap header does not
 * see them at all (the library's own tools and examples build that way).
 *
 * =========================== ==========================================
 * deprecated                  use
 * =========================== ==========================================
 * vfiomap_map_region()        vfiomap_map() (offset and size 0)
 * vfiomap_map_range()         vfiomap_map() (attributes in the options)
 * vfiomap_device_adopt()      vfiomap_device_adopt_opts()
 * vfiomap_cookie_create()     vfiomap_cookie_get() (a handle, not a value)
 * vfiomap_cookie_destroy()    vfiomap_cookie_put()
 * vfiomap_strerror()          vfiomap_last_error()
 * vfiomap_set_log_fn()        vfiomap_set_logger()
 * =========================== ==========================================
 */
#if defined(__GNUC__) || defined(__clang__)
#define VFIOMAP_DEPRECATED(what) __attribute__((__deprecated__("use " what)))
#else
#define VFIOMAP_DEPRECATED(what)
#endif

#endif
