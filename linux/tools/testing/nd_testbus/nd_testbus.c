// SPDX-License-Identifier: GPL-2.0
/*
 * nd_testbus: an nvdimm bus that behaves like persistent memory DIMMs with
 * a firmware interface, over memory reserved at boot.
 *
 * The region is real memory with struct pages (reserve it with
 * memmap=<size>$<phys> and load the module with phys= and size=), so fsdax,
 * mmap and every pmem driver, C or Rust, work on it unchanged: unlike
 * nfit_test, nothing in the drivers is wrapped. The bus emulates the part
 * of an ACPI NFIT's root device that poison handling uses:
 *
 *  - error injection (the NFIT bus functions ARS_INJECT_SET, _CLEAR and
 *    _GET through ND_CMD_CALL), so that "ndctl inject-error" works; an
 *    injection with the notify option is followed by a scrub;
 *  - address range scrub: ND_CMD_ARS_CAP, _START and _STATUS, and the
 *    nfit/scrub attribute that "ndctl start-scrub" and "wait-scrub" use. A
 *    scrub adds the injected errors to the bus's bad ranges and has the
 *    region and its namespaces revalidate their badblocks, as an NFIT's
 *    does;
 *  - clear-error (ND_CMD_CLEAR_ERROR) in units of clear_unit bytes. Only
 *    what is cleared leaves the error list, so a later scrub finds what
 *    was not. With partial_clear set, a clear clears only the first half
 *    of the range, rounded down to the unit, as firmware may. What a clear
 *    reaches holds a pattern (0xa5) afterwards, not the old bytes;
 *  - machine checks: a machine check at an address of the region is an
 *    error of the medium from then on, recorded as NFIT's notifier does.
 *
 * The errors are a list: reading a poisoned byte does not raise a machine
 * check (QEMU's monitor can raise one: see the selftests). What the kernel
 * does with the list (badblocks, clearing through nvdimm_clear_poison()) is
 * what it does on real hardware.
 *
 * Loading. phys= and size= name memory that memmap=<size>$<phys> took from
 * the kernel, and nothing else. The load fails with -EINVAL when they
 * cannot: size= is 0, phys= + size= is past the end of the physical
 * address space, either is not 128 MiB aligned (a memory section: the pmem
 * driver maps the region with struct pages), any of the range is System
 * RAM, or any of it is not "Reserved" in /proc/iomem (a hole, MMIO, ACPI
 * tables). It fails with -EBUSY when the range is already someone's:
 * persistent memory of another bus (a legacy e820 region's "Persistent
 * Memory (legacy)", an NFIT's or CXL's "Persistent Memory", another test
 * bus), reserved memory with a driver's request_mem_region() in it, or a
 * range across the end of a resource, which insert_resource() refuses. The
 * bus then claims the range as persistent memory: an "nd_testbus" resource of
 * IORES_DESC_PERSISTENT_MEMORY, inserted as the NFIT and CXL drivers
 * insert theirs, not busy, so that the pmem driver can request its
 * namespace inside it (a busy claim, request_mem_region(), would refuse
 * that request).
 *
 * The nfit/ directory. The bus is not an ACPI NFIT and does not say it is:
 * its provider is "nd_testbus", and its machine-check notifier sets no
 * MCE_HANDLED_* flag (each names the subsystem that took the error, and
 * MCE_HANDLED_NFIT is the ACPI NFIT driver's; with none set, the default
 * notifier prints the error, as it prints any that no kernel subsystem
 * took). It has the three nfit/ attributes of an NFIT bus because ndctl
 * (v81) drives scrub and error injection through them, by these names and
 * no others:
 *
 *  - nfit/revision: its presence is what add_bus() (ndctl/lib/libndctl.c)
 *    takes for ndctl_bus_has_nfit(); without it ndctl sets no scrub path
 *    and ndctl_bus_has_error_injection() says no. ndctl does not use its
 *    value; it is 1, the NFIT revision of ACPI 6;
 *  - nfit/dsm_mask: ndctl_bus_has_error_injection() (ndctl/lib/inject.c)
 *    asks ndctl_bus_is_nfit_cmd_supported() (ndctl/lib/nfit.c) for the
 *    ARS_INJECT_SET, _CLEAR and _GET bits; the mask lists the functions
 *    emulated, and only those;
 *  - nfit/scrub: ndctl_bus_start_scrub() writes it ("start-scrub"),
 *    __ndctl_bus_get_scrub_state() reads it and
 *    ndctl_bus_poll_scrub_completion() polls it ("wait-scrub"), so a scrub
 *    that ends notifies it.
 *
 * Nothing else of NFIT is there (no DIMMs and their nfit/ attributes, no
 * hw_error_scrub, no firmware activation). The injection functions come in
 * ND_CMD_CALL packages of family NVDIMM_BUS_FAMILY_NFIT, the family whose
 * function numbers the kernel's uapi and ndctl define them by.
 */
#include <linux/badblocks.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/libnvdimm.h>
#include <linux/module.h>
#include <linux/nd.h>
#include <linux/ndctl.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#ifdef CONFIG_X86_MCE
#include <asm/mce.h>
#endif

static unsigned long long phys;
module_param(phys, ullong, 0444);
MODULE_PARM_DESC(phys, "Physical address of memory reserved with memmap=<size>$<phys>, 128 MiB aligned (else -EINVAL; -EBUSY if claimed)");

static unsigned long long size;
module_param(size, ullong, 0444);
MODULE_PARM_DESC(size, "Bytes of that reserved memory, a multiple of 128 MiB, not 0 (else -EINVAL)");

static unsigned int clear_unit = 256;
module_param(clear_unit, uint, 0444);
MODULE_PARM_DESC(clear_unit, "Clear-error unit in bytes, a power of 2 (default 256)");

static bool partial_clear;
module_param(partial_clear, bool, 0644);
MODULE_PARM_DESC(partial_clear, "Clear only the first half of each clear-error range");

/* The NFIT root device functions behind ND_CMD_CALL (ACPI 6.2, 9.20.7) */
enum {
	TESTBUS_ARS_INJECT_SET = 7,
	TESTBUS_ARS_INJECT_CLEAR = 8,
	TESTBUS_ARS_INJECT_GET = 9,
};

#define TESTBUS_INJECT_NOTIFY	BIT(0)
#define TESTBUS_CLEARED_BYTE	0xa5
#define TESTBUS_STATUS_INVALID	2
#define TESTBUS_MAX_RECORDS	64

struct testbus_inject {
	u64 base;
	u64 length;
	u8 options;
	u32 status;
} __packed;

struct testbus_inject_clear {
	u64 base;
	u64 length;
	u32 status;
} __packed;

struct testbus_inject_status {
	u32 status;
	u32 count;
	struct {
		u64 base;
		u64 length;
	} __packed record[];
} __packed;

static struct testbus {
	struct platform_device *pdev;
	struct nvdimm_bus_descriptor nd_desc;
	struct nvdimm_bus *bus;
	struct nd_region *region;
	struct resource res;
	/* the scrub counter and state, as nfit/scrub shows them */
	struct mutex scrub_lock;
	unsigned int scrub_count;
	bool scrub_busy;
	bool dying;
	/*
	 * A scrub revalidates the region's badblocks, which takes the bus
	 * lock: it runs here, not under the ioctl that asked for it, which
	 * holds that lock, as the NFIT driver's scrubs run from a work item.
	 */
	struct work_struct scrub_work;
	/* the medium's errors, as injected and not yet cleared */
	struct badrange media;
} tb;

static bool in_region(u64 addr, u64 len)
{
	return len && addr >= tb.res.start && addr + len > addr &&
	       addr + len - 1 <= tb.res.end;
}

/* Copy up to @max media errors into @rec (base/length pairs). */
static unsigned int media_errors(u64 (*rec)[2], unsigned int max)
{
	struct badrange_entry *e;
	unsigned int n = 0;

	spin_lock(&tb.media.lock);
	list_for_each_entry(e, &tb.media.list, list) {
		if (n == max)
			break;
		rec[n][0] = e->start;
		rec[n][1] = e->length;
		n++;
	}
	spin_unlock(&tb.media.lock);
	return n;
}

/*
 * An address range scrub of the whole region: the bus learns every media
 * error, and the region and its namespaces revalidate their badblocks.
 */
static void testbus_scrub_work(struct work_struct *work)
{
	u64 (*rec)[2];
	unsigned int i, n;

	rec = kcalloc(TESTBUS_MAX_RECORDS, sizeof(*rec), GFP_KERNEL);
	n = rec ? media_errors(rec, TESTBUS_MAX_RECORDS) : 0;
	for (i = 0; i < n; i++)
		nvdimm_bus_add_badrange(tb.bus, rec[i][0], rec[i][1]);
	kfree(rec);
	if (tb.region)
		nvdimm_region_notify(tb.region, NVDIMM_REVALIDATE_POISON);
	mutex_lock(&tb.scrub_lock);
	tb.scrub_count++;
	/* one asked for while this one ran is still to come */
	tb.scrub_busy = work_pending(&tb.scrub_work);
	mutex_unlock(&tb.scrub_lock);
	sysfs_notify(&to_nvdimm_bus_dev(tb.bus)->kobj, "nfit", "scrub");
}

/* Start a scrub; nfit/scrub shows it in progress until it is done. */
static void testbus_scrub(void)
{
	mutex_lock(&tb.scrub_lock);
	if (!tb.dying) {
		tb.scrub_busy = true;
		queue_work(system_long_wq, &tb.scrub_work);
	}
	mutex_unlock(&tb.scrub_lock);
}

static int testbus_ars_status(struct nd_cmd_ars_status *st, unsigned int len)
{
	unsigned int max, i, n;
	u64 (*rec)[2];

	if (len < sizeof(*st))
		return -EINVAL;
	max = min_t(unsigned int, TESTBUS_MAX_RECORDS,
		    (len - sizeof(*st)) / sizeof(st->records[0]));
	rec = kcalloc(TESTBUS_MAX_RECORDS, sizeof(*rec), GFP_KERNEL);
	if (!rec)
		return -ENOMEM;
	n = media_errors(rec, max);
	st->status = 0;
	st->address = tb.res.start;
	st->length = resource_size(&tb.res);
	st->restart_address = 0;
	st->restart_length = 0;
	st->type = ND_ARS_PERSISTENT;
	st->flags = 0;
	st->num_records = n;
	for (i = 0; i < n; i++) {
		st->records[i].handle = 0;
		st->records[i].reserved = 0;
		st->records[i].err_address = rec[i][0];
		st->records[i].length = rec[i][1];
	}
	st->out_length = sizeof(*st) + n * sizeof(st->records[0]);
	kfree(rec);
	return 0;
}

/*
 * A real clear leaves what it cleared holding anything (firmware may write
 * zeros, a pattern or the old bytes with fresh ECC): write a pattern over
 * it, so that a driver that trusts cleared bytes it did not write fails its
 * tests. Through a mapping of its own: the page may be out of the direct
 * map after a machine check.
 */
static void testbus_scramble(u64 addr, u64 len)
{
	void *p = memremap(addr, len, MEMREMAP_WB);

	if (!p) {
		pr_warn("nd_testbus: cannot map %#llx+%#llx to scramble it\n",
			addr, len);
		return;
	}
	memset(p, TESTBUS_CLEARED_BYTE, len);
	memunmap(p);
}

static int testbus_clear_error(struct nd_cmd_clear_error *clr)
{
	u64 cleared = clr->length;

	if (!in_region(clr->address, clr->length) ||
	    (clr->address | clr->length) & (clear_unit - 1)) {
		clr->status = TESTBUS_STATUS_INVALID;
		clr->cleared = 0;
		return 0;
	}
	if (READ_ONCE(partial_clear))
		cleared = round_down(clr->length / 2, clear_unit);
	if (cleared) {
		badrange_forget(&tb.media, clr->address, cleared);
		testbus_scramble(clr->address, cleared);
	}
	clr->status = 0;
	clr->cleared = cleared;
	return 0;
}

static int testbus_call(struct nd_cmd_pkg *pkg, unsigned int buf_len)
{
	void *in = pkg->nd_payload;

	if (pkg->nd_family != NVDIMM_BUS_FAMILY_NFIT ||
	    buf_len < sizeof(*pkg) + pkg->nd_size_in + pkg->nd_size_out)
		return -EINVAL;

	switch (pkg->nd_command) {
	case TESTBUS_ARS_INJECT_SET: {
		struct testbus_inject *inj = in;

		if (pkg->nd_size_in + pkg->nd_size_out < sizeof(*inj))
			return -EINVAL;
		if (!in_region(inj->base, inj->length)) {
			inj->status = TESTBUS_STATUS_INVALID;
			return 0;
		}
		inj->status = badrange_add(&tb.media, inj->base, inj->length) ?
			      TESTBUS_STATUS_INVALID : 0;
		if (!inj->status && (inj->options & TESTBUS_INJECT_NOTIFY))
			testbus_scrub();
		return 0;
	}
	case TESTBUS_ARS_INJECT_CLEAR: {
		struct testbus_inject_clear *clr = in;

		if (pkg->nd_size_in + pkg->nd_size_out < sizeof(*clr))
			return -EINVAL;
		if (!in_region(clr->base, clr->length)) {
			clr->status = TESTBUS_STATUS_INVALID;
			return 0;
		}
		badrange_forget(&tb.media, clr->base, clr->length);
		clr->status = 0;
		return 0;
	}
	case TESTBUS_ARS_INJECT_GET: {
		struct testbus_inject_status *st = in;
		unsigned int max, i, n;
		u64 (*rec)[2];

		if (pkg->nd_size_out < sizeof(*st))
			return -EINVAL;
		max = min_t(unsigned int, TESTBUS_MAX_RECORDS,
			    (pkg->nd_size_out - sizeof(*st)) /
			    sizeof(st->record[0]));
		rec = kcalloc(TESTBUS_MAX_RECORDS, sizeof(*rec), GFP_KERNEL);
		if (!rec)
			return -ENOMEM;
		n = media_errors(rec, max);
		for (i = 0; i < n; i++) {
			st->record[i].base = rec[i][0];
			st->record[i].length = rec[i][1];
		}
		st->status = 0;
		st->count = n;
		kfree(rec);
		return 0;
	}
	default:
		return -ENOTTY;
	}
}

static int testbus_ctl(struct nvdimm_bus_descriptor *nd_desc,
		       struct nvdimm *nvdimm, unsigned int cmd, void *buf,
		       unsigned int buf_len, int *cmd_rc)
{
	int rc = 0;

	if (nvdimm || !test_bit(cmd, &nd_desc->cmd_mask))
		return -ENOTTY;

	switch (cmd) {
	case ND_CMD_ARS_CAP: {
		struct nd_cmd_ars_cap *cap = buf;

		if (buf_len < sizeof(*cap))
			return -EINVAL;
		cap->status = ND_ARS_PERSISTENT << 16;
		cap->max_ars_out = sizeof(struct nd_cmd_ars_status) +
			TESTBUS_MAX_RECORDS * sizeof(struct nd_ars_record);
		cap->clear_err_unit = clear_unit;
		cap->flags = 0;
		break;
	}
	case ND_CMD_ARS_START: {
		struct nd_cmd_ars_start *start = buf;

		if (buf_len < sizeof(*start))
			return -EINVAL;
		testbus_scrub();
		start->status = 0;
		start->scrub_time = 0;
		break;
	}
	case ND_CMD_ARS_STATUS:
		rc = testbus_ars_status(buf, buf_len);
		break;
	case ND_CMD_CLEAR_ERROR:
		if (buf_len < sizeof(struct nd_cmd_clear_error))
			return -EINVAL;
		rc = testbus_clear_error(buf);
		break;
	case ND_CMD_CALL:
		rc = testbus_call(buf, buf_len);
		break;
	default:
		return -ENOTTY;
	}
	if (cmd_rc)
		*cmd_rc = 0;
	return rc;
}

/*
 * The nfit/ attributes, by the names ndctl reads (see the top of the file
 * for which of its functions reads which).
 */
static ssize_t revision_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "1\n");
}
static DEVICE_ATTR_RO(revision);

static ssize_t dsm_mask_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	unsigned long mask = BIT(ND_CMD_ARS_CAP) | BIT(ND_CMD_ARS_START) |
			     BIT(ND_CMD_ARS_STATUS) | BIT(ND_CMD_CLEAR_ERROR) |
			     BIT(TESTBUS_ARS_INJECT_SET) |
			     BIT(TESTBUS_ARS_INJECT_CLEAR) |
			     BIT(TESTBUS_ARS_INJECT_GET);

	return sysfs_emit(buf, "%#lx\n", mask);
}
static DEVICE_ATTR_RO(dsm_mask);

/* "<scrubs done>", with "+" while one is in progress, as the NFIT's */
static ssize_t scrub_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	unsigned int count;
	bool busy;

	mutex_lock(&tb.scrub_lock);
	count = tb.scrub_count;
	busy = tb.scrub_busy;
	mutex_unlock(&tb.scrub_lock);
	return sysfs_emit(buf, "%u%s\n", count, busy ? "+" : "");
}

static ssize_t scrub_store(struct device *dev, struct device_attribute *attr,
			   const char *buf, size_t len)
{
	bool start;
	int rc;

	rc = kstrtobool(buf, &start);
	if (rc)
		return rc;
	if (start)
		testbus_scrub();
	return len;
}
static DEVICE_ATTR_RW(scrub);

static struct attribute *testbus_nfit_attrs[] = {
	&dev_attr_revision.attr,
	&dev_attr_dsm_mask.attr,
	&dev_attr_scrub.attr,
	NULL,
};

static const struct attribute_group testbus_nfit_group = {
	.name = "nfit",
	.attrs = testbus_nfit_attrs,
};

static const struct attribute_group *testbus_groups[] = {
	&testbus_nfit_group,
	NULL,
};

#ifdef CONFIG_X86_MCE
/*
 * A machine check at an address of the region, as ACPI NFIT's notifier
 * handles it (nfit_handle_mce()): the failing range, at the precision the
 * machine check gives (a cache line), is an error of the medium now (until
 * a clear removes it, so that a later scrub finds it too), the bus learns
 * it and the region and its namespaces revalidate their badblocks.
 */
static int testbus_handle_mce(struct notifier_block *nb, unsigned long val,
			      void *data)
{
	struct mce *mce = data;
	u64 align, addr;

	if (!mce_is_memory_error(mce) || mce_is_correctable(mce) ||
	    !mce_usable_address(mce))
		return NOTIFY_DONE;
	align = 1ULL << MCI_MISC_ADDR_LSB(mce->misc);
	addr = ALIGN_DOWN(mce->addr & MCI_ADDR_PHYSADDR, align);
	if (!in_region(addr, align))
		return NOTIFY_DONE;
	if (badrange_add(&tb.media, addr, align))
		pr_warn("nd_testbus: machine check at %#llx not recorded on the medium\n",
			addr);
	nvdimm_bus_add_badrange(tb.bus, addr, align);
	nvdimm_region_notify(tb.region, NVDIMM_REVALIDATE_POISON);
	/*
	 * No MCE_HANDLED_* flag: none names a test module (see the top of
	 * the file), and the error stays one for the default notifier to
	 * print.
	 */
	return NOTIFY_DONE;
}

/* Where the chain handles errors of persistent memory, NFIT's place in it */
static struct notifier_block testbus_mce_nb = {
	.notifier_call	= testbus_handle_mce,
	.priority	= MCE_PRIO_NFIT,
};

static void testbus_mce_register(void)
{
	mce_register_decode_chain(&testbus_mce_nb);
}

static void testbus_mce_unregister(void)
{
	mce_unregister_decode_chain(&testbus_mce_nb);
}
#else
static void testbus_mce_register(void)
{
}

static void testbus_mce_unregister(void)
{
}
#endif

/* A walk of the reserved resources in the range: is there a gap? */
static int __init testbus_reserved_span(struct resource *res, void *arg)
{
	resource_size_t *next = arg;

	if (res->start > *next)
		return 1;
	*next = max(*next, res->end + 1);
	return 0;
}

/*
 * Is [phys, phys + size) memory that memmap=<size>$<phys> reserved, and no
 * one's yet? The errors are the ones the top of the file documents.
 */
static int __init testbus_check_range(void)
{
	resource_size_t end = phys + size - 1, next = phys;

	if (!size || phys + size < phys || !IS_ALIGNED(phys | size, SZ_128M)) {
		pr_err("nd_testbus: phys=%#llx size=%#llx: not a non-empty, 128 MiB-aligned range of the physical address space\n",
		       phys, size);
		return -EINVAL;
	}
	if (region_intersects(phys, size, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT) {
		pr_err("nd_testbus: [%#llx-%#llx] is (partly) System RAM: reserve it with memmap=<size>$<phys>\n",
		       phys, (unsigned long long)end);
		return -EINVAL;
	}
	if (region_intersects(phys, size, IORESOURCE_MEM,
			      IORES_DESC_PERSISTENT_MEMORY) != REGION_DISJOINT ||
	    region_intersects(phys, size, IORESOURCE_MEM,
			      IORES_DESC_PERSISTENT_MEMORY_LEGACY) != REGION_DISJOINT) {
		pr_err("nd_testbus: [%#llx-%#llx] is persistent memory of a bus already (see /proc/iomem)\n",
		       phys, (unsigned long long)end);
		return -EBUSY;
	}
	walk_iomem_res_desc(IORES_DESC_RESERVED, IORESOURCE_MEM, phys, end,
			    &next, testbus_reserved_span);
	if (next <= end) {
		pr_err("nd_testbus: [%#llx-%#llx] is not all reserved memory, from %#llx on: reserve it with memmap=<size>$<phys>\n",
		       phys, (unsigned long long)end, (unsigned long long)next);
		return -EINVAL;
	}
	if (region_intersects(phys, size, IORESOURCE_MEM | IORESOURCE_BUSY,
			      IORES_DESC_NONE) != REGION_DISJOINT) {
		pr_err("nd_testbus: [%#llx-%#llx] has a driver's region in it already (see /proc/iomem)\n",
		       phys, (unsigned long long)end);
		return -EBUSY;
	}
	return 0;
}

static int __init nd_testbus_init(void)
{
	struct nd_region_desc ndr_desc = { };
	int rc;

	if (!is_power_of_2(clear_unit) || clear_unit < 64 ||
	    clear_unit > PAGE_SIZE) {
		pr_err("nd_testbus: clear_unit=%u: not a power of 2 from 64 to PAGE_SIZE\n",
		       clear_unit);
		return -EINVAL;
	}
	rc = testbus_check_range();
	if (rc)
		return rc;
	mutex_init(&tb.scrub_lock);
	INIT_WORK(&tb.scrub_work, testbus_scrub_work);
	badrange_init(&tb.media);
	tb.res = DEFINE_RES_NAMED_DESC(phys, size, "nd_testbus", IORESOURCE_MEM,
				       IORES_DESC_PERSISTENT_MEMORY);
	/* a resource across either end, or a claim made since the checks */
	rc = insert_resource(&iomem_resource, &tb.res);
	if (rc) {
		pr_err("nd_testbus: [%#llx-%#llx] conflicts with a resource of /proc/iomem\n",
		       phys, phys + size - 1);
		return rc;
	}

	tb.pdev = platform_device_register_simple("nd_testbus", -1, NULL, 0);
	if (IS_ERR(tb.pdev)) {
		rc = PTR_ERR(tb.pdev);
		goto err_res;
	}

	tb.nd_desc.provider_name = "nd_testbus";
	tb.nd_desc.module = THIS_MODULE;
	tb.nd_desc.ndctl = testbus_ctl;
	tb.nd_desc.attr_groups = testbus_groups;
	tb.nd_desc.cmd_mask = BIT(ND_CMD_ARS_CAP) | BIT(ND_CMD_ARS_START) |
			      BIT(ND_CMD_ARS_STATUS) | BIT(ND_CMD_CLEAR_ERROR) |
			      BIT(ND_CMD_CALL);
	tb.nd_desc.bus_family_mask = BIT(NVDIMM_BUS_FAMILY_NFIT);
	tb.bus = nvdimm_bus_register(&tb.pdev->dev, &tb.nd_desc);
	if (!tb.bus) {
		rc = -ENXIO;
		goto err_pdev;
	}

	ndr_desc.res = &tb.res;
	ndr_desc.numa_node = NUMA_NO_NODE;
	ndr_desc.target_node = NUMA_NO_NODE;
	set_bit(ND_REGION_PAGEMAP, &ndr_desc.flags);
	tb.region = nvdimm_pmem_region_create(tb.bus, &ndr_desc);
	if (!tb.region) {
		rc = -ENXIO;
		goto err_bus;
	}
	testbus_mce_register();
	return 0;

err_bus:
	nvdimm_bus_unregister(tb.bus);
err_pdev:
	platform_device_unregister(tb.pdev);
err_res:
	remove_resource(&tb.res);
	return rc;
}
module_init(nd_testbus_init);

static void __exit nd_testbus_exit(void)
{
	struct badrange_entry *e, *next;

	testbus_mce_unregister();
	mutex_lock(&tb.scrub_lock);
	tb.dying = true;
	mutex_unlock(&tb.scrub_lock);
	cancel_work_sync(&tb.scrub_work);
	nvdimm_bus_unregister(tb.bus);
	platform_device_unregister(tb.pdev);
	remove_resource(&tb.res);
	list_for_each_entry_safe(e, next, &tb.media.list, list) {
		list_del(&e->list);
		kfree(e);
	}
}
module_exit(nd_testbus_exit);

MODULE_DESCRIPTION("An nvdimm test bus with scrub, clear-error and error injection over reserved memory");
MODULE_LICENSE("GPL");
