// SPDX-License-Identifier: MIT
/*
 * arm64-wc: /init of the arm64 VM suite (static, no other program in the
 * initramfs).  On arm64 the memory type of a user PFN mapping comes from
 * its page protection alone (MAIR index: Normal-NC for write-combining,
 * Device-nGnRnE for uncached), not from a per-page table as x86 PAT, so
 * this is where the series' rule "one memory type per page, whatever
 * offset maps it" is the kernel's own doing:
 *
 *  - a page under a live WC cookie is Normal-NC through the cookie and
 *    through the region's own offset; its neighbours stay Device;
 *  - a destroyed cookie whose mapping lives on keeps the page Normal-NC;
 *  - once that mapping goes, the offset's mapping faults back in Device;
 *  - read() and write() of the page work throughout; what is written
 *    through the WC mapping reaches the device (ivshmem: checked on the
 *    host against the shared file).
 *
 * The memory type is read from the page table dump of the suite's ptdump
 * helper (tests/vm/ptdump, built into the arm64 kernel).  Device, region
 * and page-table helpers are the x86 guests' (tests/vm/guest/vmtest.c),
 * built into this static binary.  Prints TAP
 * between @@BEGIN/@@END, then @@DONE, for tests/vm/judge.py; powers off.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vfio_mmap_cookie.h"
#include "vmtest.h"

#define PG 4096UL

static int nr_test, nr_fail;

/* One TAP line, named as Check names its tests: file:case:name: detail */
static void t(bool ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d - arm64-wc.c:arm64:%s: ", ok ? "ok" : "not ok", ++nr_test,
	       name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		nr_fail++;
}

static int put(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}

static int feature(int fd, uint32_t flags,
		   struct vfio_device_feature_mmap_cookie *mc)
{
	struct {
		struct vfio_device_feature hdr;
		struct vfio_device_feature_mmap_cookie mc;
	} f;

	memset(&f, 0, sizeof(f));
	f.hdr.argsz = sizeof(f);
	f.hdr.flags = flags | VFIO_DEVICE_FEATURE_MMAP_COOKIE;
	f.mc = *mc;
	if (ioctl(fd, VFIO_DEVICE_FEATURE, &f))
		return -errno;
	*mc = f.mc;
	return 0;
}

static int cookie_create(int fd, uint64_t off, uint64_t size, uint64_t attrs,
			 uint64_t *cookie)
{
	struct vfio_device_feature_mmap_cookie mc = {
		.region_index = VFIO_PCI_BAR2_REGION_INDEX, .attrs = attrs,
		.region_offset = off, .size = size,
	};
	int ret = feature(fd, VFIO_DEVICE_FEATURE_GET, &mc);

	*cookie = mc.cookie;
	return ret;
}

static int cookie_destroy(int fd, uint64_t cookie)
{
	struct vfio_device_feature_mmap_cookie mc = { .cookie = cookie };

	return feature(fd, VFIO_DEVICE_FEATURE_SET, &mc);
}

/* WC attributes the region's capability offers, or 0 */
static uint64_t region_attrs(int fd, uint64_t *offset)
{
	struct vfio_region_info *ri;
	uint64_t attrs = 0;
	uint32_t off;

	if (vmt_region_info(fd, VFIO_PCI_BAR2_REGION_INDEX, &ri))
		return 0;
	*offset = ri->offset;
	off = ri->flags & VFIO_REGION_INFO_FLAG_CAPS ? ri->cap_offset : 0;
	while (off && off + sizeof(struct vfio_info_cap_header) <= ri->argsz) {
		struct vfio_info_cap_header *h = (void *)((char *)ri + off);

		if (h->id == VFIO_REGION_INFO_CAP_MMAP_ATTRS) {
			attrs = ((struct vfio_region_info_cap_mmap_attrs *)h)->attrs;
			break;
		}
		if (h->next <= off)
			break;
		off = h->next;
	}
	free(ri);
	return attrs;
}

/*
 * The memory type of the entry mapping @va (after touching it), as the
 * ptdump helper names it ("NORMAL_NC", "DEVICE_nGnRnE", ...), or "" when
 * there is none.
 */
static void mem_type(volatile uint32_t *va, char *out, size_t len)
{
	char line[256], *mt;

	(void)*va;
	out[0] = 0;
	if (vmt_pte_flags((const void *)va, line, sizeof(line)))
		return;
	mt = strstr(line, "MT=");
	if (mt) {
		mt += 3;
		mt[strcspn(mt, " \n")] = 0;
		snprintf(out, len, "%s", mt);
	}
}

static bool is_type(volatile uint32_t *va, const char *want, char *got,
		    size_t len)
{
	mem_type(va, got, len);
	return !strcmp(got, want);
}

static void *map(int fd, uint64_t off, size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		       (off_t)off);

	return p == MAP_FAILED ? NULL : p;
}

static void run(void)
{
	static const uint32_t pattern[] = { 0xa64c0001, 0xa64c0002, 0xa64c0003 };
	char bdf[32], got[64];
	uint64_t bar_off = 0, attrs, c, c2;
	volatile uint32_t *wc, *legacy;
	struct vmt_dev d;
	uint32_t v = 0;
	int fd, ret;

	ret = vmt_find_device(0x1af4, 0x1110, bdf);
	t(!ret, "found", "ivshmem found (%s)", ret ? strerror(-ret) : bdf);
	if (ret)
		return;
	{
		char path[512];

		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", bdf);
		put(path, "vfio-pci");
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind", bdf);
		put(path, bdf);
		put("/sys/bus/pci/drivers_probe", bdf);
	}
	ret = vmt_open(bdf, VMT_NOIOMMU, &d);
	t(!ret, "open", "device opened through vfio-pci, no-IOMMU (%s)",
	  ret ? strerror(-ret) : "ok");
	if (ret)
		return;
	fd = d.fd;

	attrs = region_attrs(fd, &bar_off);
	t(attrs & VFIO_MMAP_ATTR_WC, "wc_offered", "BAR2 offers write-combining (attrs 0x%llx)",
	  (unsigned long long)attrs);

	/* pages 15..17 through the region's offset: Device, all of them */
	legacy = map(fd, bar_off + 15 * PG, 3 * PG);
	t(legacy != NULL, "map_offset", "mmap of the region offset");
	if (!legacy)
		return;
	t(is_type(legacy + PG / 4, "DEVICE_nGnRnE", got, sizeof(got)),
	  "offset_device_before", "offset mapping before any cookie is Device-nGnRnE (%s)", got);

	/* a WC cookie of page 16 */
	ret = cookie_create(fd, 16 * PG, PG, VFIO_MMAP_ATTR_WC, &c);
	t(!ret, "wc_cookie_created", "WC cookie of page 16 (%s)", ret ? strerror(-ret) : "ok");
	if (ret)
		return;
	wc = map(fd, c, PG);
	t(wc != NULL, "map_cookie", "mmap of the cookie");
	if (!wc)
		return;
	t(is_type(wc, "NORMAL_NC", got, sizeof(got)),
	  "cookie_normal_nc", "cookie mapping is Normal-NC (%s)", got);
	t(is_type(legacy + PG / 4, "NORMAL_NC", got, sizeof(got)),
	  "offset_takes_cookie_type", "offset mapping of the cookie's page is Normal-NC while it lives (%s)", got);
	t(is_type(legacy, "DEVICE_nGnRnE", got, sizeof(got)),
	  "page_before_stays_device", "page 15 stays Device-nGnRnE (%s)", got);
	t(is_type(legacy + 2 * PG / 4, "DEVICE_nGnRnE", got, sizeof(got)),
	  "page_after_stays_device", "page 17 stays Device-nGnRnE (%s)", got);

	/* writes through WC reach the device; read() sees them */
	wc[0] = pattern[0];
	wc[1] = pattern[1];
	__asm__ __volatile__("dsb st" ::: "memory");
	t(pread(fd, &v, 4, (off_t)(bar_off + 16 * PG + 4)) == 4 && v == 0xa64c0002,
	  "pread_sees_wc_write", "pread at the offset sees the WC write (0x%x)", v);
	v = pattern[2];
	t(pwrite(fd, &v, 4, (off_t)(bar_off + 16 * PG + 8)) == 4 && wc[2] == 0xa64c0003,
	  "pwrite_seen_through_cookie", "pwrite at the offset is seen through the cookie");
	vmt_hostcheck("arm64-wc", 16 * PG, pattern, sizeof(pattern));

	/* destroyed while mapped: the page keeps its type */
	ret = cookie_destroy(fd, c);
	t(!ret, "destroy_while_mapped", "destroy the cookie while mapped (%s)", ret ? strerror(-ret) : "ok");
	t(is_type(wc, "NORMAL_NC", got, sizeof(got)),
	  "pinned_cookie_keeps_type", "cookie mapping is still Normal-NC after destroy (%s)", got);
	t(is_type(legacy + PG / 4, "NORMAL_NC", got, sizeof(got)),
	  "pinned_offset_keeps_type", "offset mapping of the page is still Normal-NC (%s)", got);

	/* its last mapping gone: Device again, through the offset */
	munmap((void *)wc, PG);
	t(is_type(legacy + PG / 4, "DEVICE_nGnRnE", got, sizeof(got)),
	  "offset_device_after_unmap", "offset mapping faults back Device-nGnRnE once the cookie's mapping is gone (%s)", got);
	t(legacy[PG / 4 + 1] == 0xa64c0002, "data_kept", "the data is still there");

	/* a new cookie over the same page: Normal-NC again, value not reused */
	ret = cookie_create(fd, 16 * PG, PG, VFIO_MMAP_ATTR_WC, &c2);
	t(!ret && c2 != c, "new_cookie_new_value", "a new WC cookie of the page gets a new value");
	if (!ret) {
		t(is_type(legacy + PG / 4, "NORMAL_NC", got, sizeof(got)),
		  "offset_follows_new_cookie", "offset mapping follows the new cookie (%s)", got);
		cookie_destroy(fd, c2);
		t(is_type(legacy + PG / 4, "DEVICE_nGnRnE", got, sizeof(got)),
		  "offset_device_after_destroy", "and Device-nGnRnE when it is destroyed unmapped (%s)", got);
	}
	munmap((void *)legacy, 3 * PG);
	vmt_close(&d);
}

int main(void)
{
	mkdir("/proc", 0755);
	mkdir("/sys", 0755);
	mkdir("/dev", 0755);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	/* an initramfs without /dev/console starts init without stdio */
	{
		int con = open("/dev/console", O_RDWR);

		if (con >= 0) {
			dup2(con, 0);
			dup2(con, 1);
			dup2(con, 2);
			if (con > 2)
				close(con);
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	printf("@@BEGIN arm64-wc\n");
	run();
	printf("1..%d\n", nr_test);
	printf("@@END arm64-wc rc=%d\n", nr_fail ? 1 : 0);
	printf("@@DONE\n");
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
