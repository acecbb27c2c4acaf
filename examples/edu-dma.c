// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * edu-dma: what a userspace driver does, with libvfiomap giving the
 * handles and the driver keeping the IOMMU.
 *
 * The example owns ONE IOMMU context (struct vfiomap_ctx: a type1 VFIO
 * container, or an iommufd with an IOAS) and opens two devices into it:
 * QEMU's edu device (1234:11e8) and an ivshmem-plain device (1af4:1110).
 * It DMA-maps a buffer through that context (vfiomap_ctx_map_dma()),
 * makes edu's DMA engine copy bytes from the buffer into
 * edu and back into another page of the buffer, checks them, and rings a
 * write-combined doorbell on the ivshmem BAR 2 (store, sfence).
 *
 *   edu-dma [--mode group|cdev] [EDU_BDF IVSHMEM_BDF]
 *
 * group: a type1 context, cdev: an iommufd one; without --mode the library
 * picks (iommufd when /dev/iommu works).  Only the installed headers are
 * used: the example makes no VFIO or iommufd ioctl of its own.
 *
 * On a kernel without the mmap-cookie uAPI the DMA part works and the
 * doorbell is skipped with the reason ("doorbell: skipped: ..."): there is
 * no write-combining there, and the example does not pretend.
 *
 * edu (QEMU docs/specs/edu.rst): BAR 0 registers 0x80 DMA source, 0x88
 * destination, 0x90 count, 0x98 command (bit 0 start, cleared when done;
 * bit 1 direction: 0 RAM -> edu, 1 edu -> RAM); its buffer is at device
 * address 0x40000, 4 KiB.  Transfers here stay below 4096 bytes (QEMU
 * 7.2 crashes on exactly 4096).  edu masks DMA addresses to 28 bits, so
 * the IOVA is low.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <libvfiomap/libvfiomap.h>

#include "example-util.h"

#define IOVA		0x100000ULL	/* below edu's 28-bit DMA mask */
#define BUF_SIZE	0x2000		/* page 0: source, page 1: destination */
#define DMA_LEN		3000		/* < 4096 */
#define EDU_BUF		0x40000
#define EDU_ID		0x00
#define EDU_DMA_SRC	0x80
#define EDU_DMA_DST	0x88
#define EDU_DMA_CNT	0x90
#define EDU_DMA_CMD	0x98
#define EDU_CMD_START	0x1
#define EDU_CMD_TO_RAM	0x2
#define DOORBELL_PAGE	0x7000		/* in ivshmem BAR 2 */
#define DOORBELL_OFF	0x40
#define DOORBELL_VALUE	0x0d00b311u

static inline void wc_flush(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__asm__ __volatile__("sfence" ::: "memory");
#elif defined(__aarch64__)
	__asm__ __volatile__("dmb oshst" ::: "memory");
#else
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
}

/* Open @bdf into the context: the library joins it, it does not make one. */
static struct vfiomap_device *open_in(struct vfiomap_ctx *ctx, const char *bdf)
{
	struct vfiomap_device *dev = NULL;

	if (vfiomap_device_open_in(ctx, bdf, NULL, &dev)) {
		fprintf(stderr, "open %s: %s\n", bdf, vfiomap_last_error());
		return NULL;
	}
	return dev;
}

/* Memory decoding and bus mastering on (the config space through VFIO). */
static int enable_bus_master(struct vfiomap_device *dev)
{
	uint16_t cmd;

	if (vfiomap_region_read(dev, VFIOMAP_REGION_CONFIG, 4, &cmd, 2) != 2)
		return -1;
	cmd |= 0x6;	/* PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER */
	return vfiomap_region_write(dev, VFIOMAP_REGION_CONFIG, 4, &cmd, 2) == 2 ? 0 : -1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* One edu DMA transfer; 0 when the engine reports it done. */
static int edu_dma(volatile uint8_t *regs, uint64_t src, uint64_t dst, uint64_t len,
		   uint64_t cmd)
{
	uint64_t start = now_ms();

	*(volatile uint64_t *)(regs + EDU_DMA_SRC) = src;
	*(volatile uint64_t *)(regs + EDU_DMA_DST) = dst;
	*(volatile uint64_t *)(regs + EDU_DMA_CNT) = len;
	*(volatile uint64_t *)(regs + EDU_DMA_CMD) = cmd | EDU_CMD_START;
	while (*(volatile uint64_t *)(regs + EDU_DMA_CMD) & EDU_CMD_START) {
		if (now_ms() - start > 10000)
			return -1;
		usleep(1000);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct vfiomap_ctx_opts co = { .size = sizeof(co), .mode = VFIOMAP_CTX_AUTO };
	struct vfiomap_ctx *ctx = NULL;
	struct vfiomap_device *edu = NULL, *iv = NULL;
	struct vfiomap_mapping *regs_m = NULL, *bell = NULL;
	/* the doorbell: write-combined through a cookie made for the mapping */
	const struct vfiomap_map_opts wc_opts = { .size = sizeof(wc_opts), .attrs = VFIOMAP_ATTR_WC };
	char edu_bdf[32], iv_bdf[32];
	volatile uint8_t *regs;
	uint8_t *buf = MAP_FAILED;
	int argi = 1, rc = 1, ret;

	if (argc > 2 && !strcmp(argv[1], "--mode")) {
		if (!strcmp(argv[2], "cdev")) {
			co.mode = VFIOMAP_CTX_IOMMUFD;
		} else if (!strcmp(argv[2], "group")) {
			co.mode = VFIOMAP_CTX_TYPE1;
		} else {
			fprintf(stderr, "--mode group|cdev\n");
			return 2;
		}
		argi = 3;
	}
	if (argc >= argi + 2) {
		snprintf(edu_bdf, sizeof(edu_bdf), "%s", argv[argi]);
		snprintf(iv_bdf, sizeof(iv_bdf), "%s", argv[argi + 1]);
	} else if (example_find_device(0x1234, 0x11e8, edu_bdf) ||
		   example_find_device(0x1af4, 0x1110, iv_bdf)) {
		fprintf(stderr, "need an edu (1234:11e8) and an ivshmem (1af4:1110) device\n");
		return 1;
	}

	/* 1. One IOMMU context, ours; both devices join it. */
	if (vfiomap_ctx_create(&co, &ctx)) {
		fprintf(stderr, "IOMMU context: %s\n", vfiomap_last_error());
		goto out;
	}
	edu = open_in(ctx, edu_bdf);
	iv = edu ? open_in(ctx, iv_bdf) : NULL;
	if (!iv)
		goto out;
	if (vfiomap_ctx_mode(ctx) == VFIOMAP_CTX_IOMMUFD) {
		uint32_t ioas = 0, a = 0, b = 0;

		vfiomap_ctx_fd(ctx, &ioas);
		vfiomap_device_iommufd(edu, &a);
		vfiomap_device_iommufd(iv, &b);
		printf("context: iommufd, IOAS %u (edu in IOAS %u, ivshmem in IOAS %u)\n",
		       ioas, a, b);
		if (a != ioas || b != ioas) {
			fprintf(stderr, "a device is not in our IOAS\n");
			goto out;
		}
	} else {
		printf("context: type1 container (edu %s and ivshmem %s joined it)\n",
		       edu_bdf, iv_bdf);
	}

	/* 2. A DMA buffer, mapped through our context at a fixed IOVA. */
	buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		perror("mmap");
		goto out;
	}
	for (int i = 0; i < DMA_LEN; i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	memset(buf + 0x1000, 0, 0x1000);
	if (vfiomap_ctx_map_dma(ctx, buf, IOVA, BUF_SIZE, VFIOMAP_DMA_READ | VFIOMAP_DMA_WRITE)) {
		fprintf(stderr, "DMA map: %s\n", vfiomap_last_error());
		goto out;
	}

	/* 3. edu's DMA engine: RAM -> edu, then edu -> RAM, page 1. */
	if (enable_bus_master(edu)) {
		fprintf(stderr, "enabling bus mastering: %s\n", vfiomap_last_error());
		goto unmap;
	}
	if (vfiomap_map(edu, VFIOMAP_REGION_BAR0, 0, 0x1000, NULL, &regs_m)) {
		fprintf(stderr, "map edu BAR 0: %s\n", vfiomap_last_error());
		goto unmap;
	}
	regs = vfiomap_mapping_addr(regs_m);
	if (*(volatile uint32_t *)(regs + EDU_ID) >> 16 != 0x0100) {
		fprintf(stderr, "edu: unexpected ID 0x%08x\n", *(volatile uint32_t *)(regs + EDU_ID));
		goto unmap;
	}
	if (edu_dma(regs, IOVA, EDU_BUF, DMA_LEN, 0) ||
	    edu_dma(regs, EDU_BUF, IOVA + 0x1000, DMA_LEN, EDU_CMD_TO_RAM)) {
		fprintf(stderr, "edu: DMA did not finish\n");
		goto unmap;
	}
	if (memcmp(buf, buf + 0x1000, DMA_LEN)) {
		int i = 0;

		while (buf[i] == buf[0x1000 + i])
			i++;
		fprintf(stderr, "edu DMA: byte %d is 0x%02x, expected 0x%02x\n", i,
			buf[0x1000 + i], buf[i]);
		goto unmap;
	}
	printf("edu DMA: %d bytes RAM -> edu -> RAM through IOVA 0x%llx: bytes match\n",
	       DMA_LEN, (unsigned long long)IOVA);

	/* 4. A write-combined doorbell on ivshmem BAR 2: store, fence. */
	ret = vfiomap_map(iv, VFIOMAP_REGION_BAR2, DOORBELL_PAGE, 0x1000, &wc_opts, &bell);
	if (ret == -EOPNOTSUPP) {
		printf("doorbell: skipped: %s\n", vfiomap_last_error());
	} else if (ret) {
		fprintf(stderr, "map the doorbell: %s\n", vfiomap_last_error());
		goto unmap;
	} else {
		volatile uint32_t *db = (volatile uint32_t *)
			((uint8_t *)vfiomap_mapping_addr(bell) + DOORBELL_OFF);

		*db = DOORBELL_VALUE;
		wc_flush();
		printf("doorbell rung: 0x%08x at BAR2+0x%x (WC cookie 0x%" PRIx64 ")\n",
		       DOORBELL_VALUE, DOORBELL_PAGE + DOORBELL_OFF, vfiomap_mapping_cookie(bell));
	}
	rc = 0;
unmap:
	if (vfiomap_ctx_unmap_dma(ctx, IOVA, BUF_SIZE)) {
		fprintf(stderr, "DMA unmap: %s\n", vfiomap_last_error());
		rc = 1;
	}
out:
	vfiomap_unmap(bell);
	vfiomap_unmap(regs_m);
	vfiomap_device_close(iv);
	vfiomap_device_close(edu);
	if (buf != MAP_FAILED)
		munmap(buf, BUF_SIZE);
	/* the devices are closed: the context goes, with its IOAS or container */
	if (vfiomap_ctx_destroy(ctx)) {
		fprintf(stderr, "destroy the context: %s\n", vfiomap_last_error());
		rc = 1;
	}
	return rc;
}
