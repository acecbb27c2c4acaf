// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfiomap-test-variant: a vfio-pci variant driver for the libvfiomap VM
 * suite, never for a real system.
 *
 * It binds a device through driver_override only and hides the upper half
 * of BAR2 from userspace the way hisi_acc_vfio_pci hides the migration
 * registers in the upper half of its VF's BAR2: region info reports half
 * the BAR (built by the driver, without the core's capabilities), and its
 * own mmap(), read() and write() refuse the rest.  It opts in to mmap
 * cookies with vfio-pci-core's helpers, so that the suite can check that
 * no cookie reaches the hidden half, whichever call it tries.
 *
 * debugfs vfiomap_test_variant/mmap_calls counts the calls of its mmap():
 * the mapping of a cookie must go through it, as that of an offset does.
 *
 * tests/vm/kernel.sh builds it into the suite's patched 7.3 kernels;
 * tests/vm/debian-modules.sh builds it as a module for Debian's 6.12 with
 * the vfiomap DKMS modules.  6.12 has no get_region_info_caps: there the
 * driver reports the region in its own ioctl(), and the core cannot ask
 * it for the size of a region, so the driver checks a cookie's range in
 * its mmap_cookie_create callback before calling the helper (what the
 * 6.12 backport asks of a variant driver that opts in).
 */

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/version.h>
#include <linux/vfio_pci_core.h>

#define TV_BAR	VFIO_PCI_BAR2_REGION_INDEX

static atomic64_t tv_mmap_calls;
static struct dentry *tv_dir;

static struct vfio_pci_core_device *tv_vdev(struct vfio_device *core_vdev)
{
	return container_of(core_vdev, struct vfio_pci_core_device, vdev);
}

/* What userspace may see of BAR2: its lower half */
static u64 tv_bar_len(struct vfio_pci_core_device *vdev)
{
	return pci_resource_len(vdev->pdev, TV_BAR) / 2;
}

/* Does [@pos, @pos + @count) of the device file stay out of the hidden half? */
static bool tv_visible(struct vfio_pci_core_device *vdev, u64 pos, u64 count)
{
	u64 off = pos & VFIO_PCI_OFFSET_MASK;
	u64 len = tv_bar_len(vdev);

	if (VFIO_PCI_OFFSET_TO_INDEX(pos) != TV_BAR)
		return true;
	return off < len && count <= len - off;
}

#if LINUX_VERSION_CODE < KERNEL_VERSION(7, 0, 0)
/* 6.12: region info comes from the driver's ioctl() */
static long tv_ioctl(struct vfio_device *core_vdev, unsigned int cmd,
		     unsigned long arg)
{
	struct vfio_pci_core_device *vdev = tv_vdev(core_vdev);
	struct vfio_region_info info;
	unsigned long minsz = offsetofend(struct vfio_region_info, offset);
	void __user *uarg = (void __user *)arg;

	if (cmd != VFIO_DEVICE_GET_REGION_INFO)
		return vfio_pci_core_ioctl(core_vdev, cmd, arg);
	if (copy_from_user(&info, uarg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	if (info.index != TV_BAR)
		return vfio_pci_core_ioctl(core_vdev, cmd, arg);
	info.offset = VFIO_PCI_INDEX_TO_OFFSET(info.index);
	info.size = tv_bar_len(vdev);
	info.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
		     VFIO_REGION_INFO_FLAG_MMAP;
	info.cap_offset = 0;
	return copy_to_user(uarg, &info, minsz) ? -EFAULT : 0;
}

/* 6.12: the core checks a cookie against the BAR; the driver, its half */
static int tv_mmap_cookie_create(struct vfio_device *core_vdev,
				 struct vfio_mmap_cookie *cookie)
{
	if (!tv_visible(tv_vdev(core_vdev),
			VFIO_PCI_INDEX_TO_OFFSET(cookie->index) +
			cookie->region_offset, cookie->size))
		return -EINVAL;
	return vfio_pci_core_mmap_cookie_create(core_vdev, cookie);
}
#else
static int tv_get_region_info(struct vfio_device *core_vdev,
			      struct vfio_region_info *info,
			      struct vfio_info_cap *caps)
{
	struct vfio_pci_core_device *vdev = tv_vdev(core_vdev);

	if (info->index != TV_BAR)
		return vfio_pci_ioctl_get_region_info(core_vdev, info, caps);

	info->offset = VFIO_PCI_INDEX_TO_OFFSET(info->index);
	info->size = tv_bar_len(vdev);
	info->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
		      VFIO_REGION_INFO_FLAG_MMAP;
	return 0;
}
#endif

static ssize_t tv_read(struct vfio_device *core_vdev, char __user *buf,
		       size_t count, loff_t *ppos)
{
	if (!tv_visible(tv_vdev(core_vdev), *ppos, count))
		return -EINVAL;
	return vfio_pci_core_read(core_vdev, buf, count, ppos);
}

static ssize_t tv_write(struct vfio_device *core_vdev, const char __user *buf,
			size_t count, loff_t *ppos)
{
	if (!tv_visible(tv_vdev(core_vdev), *ppos, count))
		return -EINVAL;
	return vfio_pci_core_write(core_vdev, buf, count, ppos);
}

static int tv_mmap(struct vfio_device *core_vdev, struct vm_area_struct *vma)
{
	atomic64_inc(&tv_mmap_calls);
	if (!tv_visible(tv_vdev(core_vdev), (u64)vma->vm_pgoff << PAGE_SHIFT,
			vma->vm_end - vma->vm_start))
		return -EINVAL;
	return vfio_pci_core_mmap(core_vdev, vma);
}

static int tv_open_device(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev = tv_vdev(core_vdev);
	int ret;

	ret = vfio_pci_core_enable(vdev);
	if (ret)
		return ret;
	vfio_pci_core_finish_enable(vdev);
	return 0;
}

static const struct vfio_device_ops tv_ops = {
	.name = "vfiomap-test-variant",
	.init = vfio_pci_core_init_dev,
	.release = vfio_pci_core_release_dev,
	.open_device = tv_open_device,
	.close_device = vfio_pci_core_close_device,
#if LINUX_VERSION_CODE < KERNEL_VERSION(7, 0, 0)
	.ioctl = tv_ioctl,
#else
	.ioctl = vfio_pci_core_ioctl,
	.get_region_info_caps = tv_get_region_info,
#endif
	.device_feature = vfio_pci_core_ioctl_feature,
	.read = tv_read,
	.write = tv_write,
	.mmap = tv_mmap,
#if LINUX_VERSION_CODE < KERNEL_VERSION(7, 0, 0)
	.mmap_cookie_create = tv_mmap_cookie_create,
#else
	.mmap_cookie_create = vfio_pci_core_mmap_cookie_create,
#endif
	.mmap_cookie_destroy = vfio_pci_core_mmap_cookie_destroy,
	.mmap_cookie_mmap = vfio_pci_core_mmap_cookie_mmap,
	.request = vfio_pci_core_request,
	.match = vfio_pci_core_match,
#if LINUX_VERSION_CODE >= KERNEL_VERSION(7, 0, 0)
	.match_token_uuid = vfio_pci_core_match_token_uuid,
#endif
	.bind_iommufd = vfio_iommufd_physical_bind,
	.unbind_iommufd = vfio_iommufd_physical_unbind,
	.attach_ioas = vfio_iommufd_physical_attach_ioas,
	.detach_ioas = vfio_iommufd_physical_detach_ioas,
};

static int tv_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct vfio_pci_core_device *vdev;
	int ret;

	vdev = vfio_alloc_device(vfio_pci_core_device, vdev, &pdev->dev,
				 &tv_ops);
	if (IS_ERR(vdev))
		return PTR_ERR(vdev);

	dev_set_drvdata(&pdev->dev, vdev);
	ret = vfio_pci_core_register_device(vdev);
	if (ret)
		vfio_put_device(&vdev->vdev);
	return ret;
}

static void tv_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);

	vfio_pci_core_unregister_device(vdev);
	vfio_put_device(&vdev->vdev);
}

/* ivshmem (Red Hat/Qumranet 1af4:1110), and only through driver_override */
static const struct pci_device_id tv_table[] = {
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(0x1af4, 0x1110) },
	{}
};

static struct pci_driver tv_driver = {
	.name = "vfiomap-test-variant",
	.id_table = tv_table,
	.probe = tv_probe,
	.remove = tv_remove,
	.err_handler = &vfio_pci_core_err_handlers,
	.driver_managed_dma = true,
};

static int tv_mmap_calls_get(void *data, u64 *val)
{
	*val = atomic64_read(&tv_mmap_calls);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(tv_mmap_calls_fops, tv_mmap_calls_get, NULL, "%llu\n");

static int __init tv_init(void)
{
	int ret;

	tv_dir = debugfs_create_dir("vfiomap_test_variant", NULL);
	debugfs_create_file("mmap_calls", 0400, tv_dir, NULL,
			    &tv_mmap_calls_fops);
	ret = pci_register_driver(&tv_driver);
	if (ret)
		debugfs_remove_recursive(tv_dir);
	return ret;
}
module_init(tv_init);

static void __exit tv_exit(void)
{
	pci_unregister_driver(&tv_driver);
	debugfs_remove_recursive(tv_dir);
}
module_exit(tv_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vfio-pci variant driver of the libvfiomap VM suite (hides half of BAR2)");
