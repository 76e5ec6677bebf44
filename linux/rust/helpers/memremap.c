// SPDX-License-Identifier: GPL-2.0

#include <linux/cacheflush.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/set_memory.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

__rust_helper void rust_helper_memcpy_flushcache(void *dst, const void *src,
						 size_t cnt)
{
	memcpy_flushcache(dst, src, cnt);
}

/* As test_and_clear_pmem_poison() in drivers/nvdimm/pmem.h. */
__rust_helper bool rust_helper_test_and_clear_pmem_poison(struct page *page)
{
	if (IS_ENABLED(CONFIG_MEMORY_FAILURE))
		return TestClearPageHWPoison(page);
	return false;
}

__rust_helper int rust_helper_clear_mce_nospec(unsigned long pfn)
{
	return clear_mce_nospec(pfn);
}

__rust_helper void rust_helper_flush_dcache_page(struct page *page)
{
	flush_dcache_page(page);
}

__rust_helper struct page *rust_helper_pfn_to_page(unsigned long pfn)
{
	return pfn_to_page(pfn);
}

/* A macro, and not a constant one (it masks with a variable on x86). */
__rust_helper pgprot_t rust_helper_PAGE_KERNEL(void)
{
	return PAGE_KERNEL;
}

__rust_helper pgprot_t rust_helper_pgprot_noncached(pgprot_t prot)
{
	return pgprot_noncached(prot);
}

/* An inline where the architecture cannot change the direct map. */
__rust_helper bool rust_helper_kernel_page_present(struct page *page)
{
	return kernel_page_present(page);
}

__rust_helper unsigned int rust_helper_memalloc_noio_save(void)
{
	return memalloc_noio_save();
}

__rust_helper void rust_helper_memalloc_noio_restore(unsigned int flags)
{
	memalloc_noio_restore(flags);
}
