// SPDX-License-Identifier: GPL-2.0
/*
 * insn_profile: a QEMU TCG plugin that counts the guest instructions each
 * translation block executes, only inside a window: from the execution of
 * the block at address on= to the execution of the block at address off=
 * (e.g. the entry of __x64_sys_pwritev2 and the return from the system
 * call table in do_syscall_64: the instructions of pwritev2 calls,
 * interrupts they take included), per vCPU; and, apart, what the other
 * vCPUs execute meanwhile (a worker a call wakes), which the guest's clock
 * counts too under -icount. At exit it writes "<block address> <in window>
 * <other vCPUs>" lines to out=, for profile.py to add up per function.
 *
 *   qemu-system-x86_64 ... -plugin insn_profile.so,on=0x...,off=0x...,out=FILE
 *
 * QEMU (7.2 in Debian 12) installs no plugin header, so the few entry
 * points used are declared here as its include/qemu/qemu-plugin.h (API
 * version 1) declares them.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_info_t;
struct qemu_plugin_tb;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS };
typedef void (*tb_trans_cb)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*vcpu_udata_cb)(unsigned int vcpu_index, void *userdata);
typedef void (*udata_cb)(qemu_plugin_id_t id, void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, tb_trans_cb cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, vcpu_udata_cb cb,
					  enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, udata_cb cb, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

/*
 * One per block address and length: a block translated again keeps its
 * entry, but under -icount TCG also translates shorter blocks at the same
 * address (to stop where the instruction budget ends), each counted apart.
 */
struct block {
	uint64_t vaddr;
	uint64_t insns;		/* instructions of one execution */
	uint64_t count;		/* executed by a vCPU in its window */
	uint64_t other;		/* executed by a vCPU while another's is open */
	int mark;		/* 1: opens the window, -1: closes it */
	struct block *next;
};

#define HASH	(1 << 16)
static struct block *table[HASH];
#define VCPUS	64
static uint64_t on_addr, off_addr;
static bool window[VCPUS];	/* per vCPU: -smp 2 runs round robin on one thread */
static int open_windows;
static const char *out = "insn_profile.txt";

static struct block *lookup(uint64_t vaddr, uint64_t insns)
{
	struct block **b = &table[(vaddr >> 4) & (HASH - 1)];

	for (; *b; b = &(*b)->next)
		if ((*b)->vaddr == vaddr && (*b)->insns == insns)
			return *b;
	*b = calloc(1, sizeof(**b));
	if (!*b)
		abort();
	(*b)->vaddr = vaddr;
	(*b)->insns = insns;
	(*b)->mark = vaddr == on_addr ? 1 : vaddr == off_addr ? -1 : 0;
	return *b;
}

/* Under -icount one host thread runs every vCPU (vm.sh): no locking needed. */
static void exec(unsigned int vcpu, void *udata)
{
	struct block *b = udata;

	vcpu %= VCPUS;
	if (b->mark && window[vcpu] != (b->mark > 0)) {
		window[vcpu] = b->mark > 0;
		open_windows += b->mark;
	}
	if (window[vcpu])
		b->count += b->insns;
	else if (open_windows)
		b->other += b->insns;
}

static void trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	struct block *b = lookup(qemu_plugin_tb_vaddr(tb), qemu_plugin_tb_n_insns(tb));

	qemu_plugin_register_vcpu_tb_exec_cb(tb, exec, QEMU_PLUGIN_CB_NO_REGS, b);
}

static void done(qemu_plugin_id_t id, void *udata)
{
	FILE *f = fopen(out, "w");

	if (!f)
		return;
	for (size_t i = 0; i < HASH; i++)
		for (struct block *b = table[i]; b; b = b->next)
			if (b->count || b->other)
				fprintf(f, "%#" PRIx64 " %" PRIu64 " %" PRIu64 "\n", b->vaddr,
					b->count, b->other);
	fclose(f);
}

__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const struct qemu_info_t *info, int argc,
			char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "on=", 3))
			on_addr = strtoull(argv[i] + 3, NULL, 0);
		else if (!strncmp(argv[i], "off=", 4))
			off_addr = strtoull(argv[i] + 4, NULL, 0);
		else if (!strncmp(argv[i], "out=", 4))
			out = argv[i] + 4;
	}
	if (!on_addr || !off_addr) {
		fprintf(stderr, "insn_profile: on= and off= block addresses needed\n");
		return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, trans);
	qemu_plugin_register_atexit_cb(id, done, NULL);
	return 0;
}
