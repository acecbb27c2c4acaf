// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A program of a libvfiomap user that knows only the 0.2 API.  The ABI
 * check builds it against the 0.2.0 headers and library (from the v0.2.0
 * tag) and runs it with the library being tested, and builds it against
 * the current headers and runs it with the 0.2.0 library: every call
 * below must behave the same both ways.  No hardware: the calls are the
 * ones that answer without a device (or with an fd that is not one).
 * Prints "ok N - what" per check; exits non-zero on a failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <libvfiomap/libvfiomap.h>

static int n, bad;

static void check(int ok, const char *what)
{
	printf("%s %d - %s\n", ok ? "ok" : "not ok", ++n, what);
	bad += !ok;
}

int main(void)
{
	struct vfiomap_open_opts o = { .size = sizeof(o), .mode = VFIOMAP_MODE_AUTO,
				       .sysfs_root = "/nonexistent-sysfs" };
	struct vfiomap_adopt_opts a = { .size = sizeof(a) };
	struct vfiomap_device *dev = NULL;
	int fd = memfd_create("not-a-vfio-device", MFD_CLOEXEC);

	check(vfiomap_device_open("0000:00:04.0", &o, &dev) == -ENODEV && !dev,
	      "open of a device that does not exist: -ENODEV");
	check(strlen(vfiomap_strerror()) > 0, "and a message");
	check(vfiomap_device_open("not-a-bdf", NULL, &dev) == -EINVAL,
	      "a malformed address: -EINVAL");
	check(fd >= 0 && vfiomap_device_adopt_opts(fd, &a, &dev) == -ENOTTY,
	      "adopting an fd that is not a VFIO device: -ENOTTY");
	check(vfiomap_device_adopt(fd, 0, &dev) == -ENOTTY, "the same with the 0.1 call");
	check(vfiomap_huge_align(2u << 20, 0) == 2u << 20, "huge alignment of 2 MiB");
	check(!strcmp(vfiomap_mode_name(VFIOMAP_MODE_CDEV), "iommufd cdev"),
	      "mode names");
	check(vfiomap_region_get(NULL, 0, NULL) == -EINVAL, "NULL device: -EINVAL");
	check(vfiomap_unmap(NULL) == 0, "unmapping NULL");
	if (fd >= 0)
		close(fd);
	printf("%d passed, %d failed\n", n - bad, bad);
	return bad ? 1 : 0;
}
