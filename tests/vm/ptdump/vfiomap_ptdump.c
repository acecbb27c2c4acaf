// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test helper of libvfiomap's VM suite, for kernels built without
 * CONFIG_PTDUMP_DEBUGFS (Debian's): /sys/kernel/debug/vfiomap_ptdump/current
 * lists the leaf page table entries of the reading process's PFN mappings,
 * one line per entry, with the words x86 ptdump prints for the same bits:
 *
 *   0x<start>-0x<end> USR RW PWT PCD PAT PSE pte|pmd|pud
 *
 * A range with no entry is listed too, without flags, as ptdump does.
 * so that the suite reads memory types (PAT index bits) the same way on
 * every kernel.  On arm64 (the arm64 suite builds it into its kernel) the
 * memory type is the entry's MAIR index, named after the kernel's MT_*:
 *
 *   0x<start>-0x<end> USR RW MT=NORMAL_NC pte
 *
 * Never loaded outside the test VM.
 */
#include <linux/debugfs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pgtable.h>
#include <linux/seq_file.h>

static struct dentry *dir;

static void hole(struct seq_file *m, unsigned long start, unsigned long end,
		 const char *level)
{
	seq_printf(m, "0x%016lx-0x%016lx %s\n", start, end, level);
}

#ifdef CONFIG_ARM64
/* the whole descriptor: attributes sit in its low and high bits */
#define PUD_BITS(pud)	pud_val(pud)
#define PMD_BITS(pmd)	pmd_val(pmd)
#define PTE_BITS(pte)	pte_val(pte)

static const char *mt_name(u64 val)
{
	switch ((val & PTE_ATTRINDX_MASK) >> 2) {
	case MT_NORMAL:
		return "NORMAL";
	case MT_NORMAL_TAGGED:
		return "NORMAL_TAGGED";
	case MT_NORMAL_NC:
		return "NORMAL_NC";
	case MT_DEVICE_nGnRnE:
		return "DEVICE_nGnRnE";
	case MT_DEVICE_nGnRE:
		return "DEVICE_nGnRE";
	default:
		return "OTHER";
	}
}

static void show(struct seq_file *m, unsigned long start, unsigned long size,
		 u64 val, bool large, const char *level)
{
	seq_printf(m, "0x%016lx-0x%016lx %s%sMT=%s %s\n", start, start + size,
		   val & PTE_USER ? "USR " : "",
		   val & PTE_RDONLY ? "ro " : "RW ", mt_name(val), level);
}
#else
/* x86: the flags of an entry of its size (a large entry's PAT bit is 12) */
#define PUD_BITS(pud)	pud_flags(pud)
#define PMD_BITS(pmd)	pmd_flags(pmd)
#define PTE_BITS(pte)	pte_flags(pte)

static void show(struct seq_file *m, unsigned long start, unsigned long size,
		 u64 flags, bool large, const char *level)
{
	unsigned long pat = large ? _PAGE_PAT_LARGE : _PAGE_PAT;

	seq_printf(m, "0x%016lx-0x%016lx %s%s%s%s%s%s%s\n", start,
		   start + size,
		   flags & _PAGE_USER ? "USR " : "",
		   flags & _PAGE_RW ? "RW " : "ro ",
		   flags & _PAGE_PWT ? "PWT " : "",
		   flags & _PAGE_PCD ? "PCD " : "",
		   flags & pat ? "PAT " : "",
		   large ? "PSE " : "", level);
}
#endif

static void walk(struct seq_file *m, struct vm_area_struct *vma)
{
	unsigned long addr = vma->vm_start, end = vma->vm_end;

	while (addr < end) {
		pgd_t *pgd = pgd_offset(vma->vm_mm, addr);
		p4d_t *p4d;
		pud_t *pud;
		pmd_t *pmd;
		pte_t pte;

		if (pgd_none(*pgd)) {
			hole(m, addr, pgd_addr_end(addr, end), "pgd");
			addr = pgd_addr_end(addr, end);
			continue;
		}
		p4d = p4d_offset(pgd, addr);
		if (p4d_none(*p4d)) {
			hole(m, addr, p4d_addr_end(addr, end), "p4d");
			addr = p4d_addr_end(addr, end);
			continue;
		}
		pud = pud_offset(p4d, addr);
		if (pud_none(*pud)) {
			hole(m, addr, pud_addr_end(addr, end), "pud");
			addr = pud_addr_end(addr, end);
			continue;
		}
		if (pud_leaf(*pud)) {
			show(m, addr & PUD_MASK, PUD_SIZE, PUD_BITS(*pud), true,
			     "pud");
			addr = (addr & PUD_MASK) + PUD_SIZE;
			continue;
		}
		pmd = pmd_offset(pud, addr);
		if (pmd_none(*pmd)) {
			hole(m, addr, pmd_addr_end(addr, end), "pmd");
			addr = pmd_addr_end(addr, end);
			continue;
		}
		if (pmd_leaf(*pmd)) {
			show(m, addr & PMD_MASK, PMD_SIZE, PMD_BITS(*pmd), true,
			     "pmd");
			addr = (addr & PMD_MASK) + PMD_SIZE;
			continue;
		}
		pte = ptep_get(pte_offset_kernel(pmd, addr));
		if (pte_present(pte))
			show(m, addr, PAGE_SIZE, PTE_BITS(pte), false, "pte");
		else
			hole(m, addr, addr + PAGE_SIZE, "pte");
		addr += PAGE_SIZE;
	}
}

static int current_show(struct seq_file *m, void *unused)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;

	if (!mm)
		return 0;
	mmap_read_lock(mm);
	{
		VMA_ITERATOR(vmi, mm, 0);

		for_each_vma(vmi, vma)
			if (vma->vm_flags & VM_PFNMAP)
				walk(m, vma);
	}
	mmap_read_unlock(mm);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(current);

static int __init vfiomap_ptdump_init(void)
{
	dir = debugfs_create_dir("vfiomap_ptdump", NULL);
	debugfs_create_file("current", 0400, dir, NULL, &current_fops);
	return 0;
}

static void __exit vfiomap_ptdump_exit(void)
{
	debugfs_remove_recursive(dir);
}

module_init(vfiomap_ptdump_init);
module_exit(vfiomap_ptdump_exit);
MODULE_DESCRIPTION("libvfiomap VM suite: page table entries of PFN mappings");
MODULE_LICENSE("GPL");
