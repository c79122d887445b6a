/*
 * make bench-tbprof: a QEMU TCG plugin that counts how often each
 * translation block runs (an inline add per block, no callback), and at
 * exit writes one line per block: its address, its instruction count and
 * its executions.  Under -icount shift=0 on one CPU a run is deterministic,
 * so tests/bench/tbprof.sh turns the lines into a per-function profile of
 * host and guest code alike that two builds can be compared with exactly
 * (docs/bench.md, "Where the instructions go").
 *
 * Debian ships QEMU with plugin support but without qemu-plugin.h, so the
 * few calls used are declared here as QEMU 7.2 (plugin API version 1)
 * exports them.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
typedef struct qemu_info_t qemu_info_t;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op, void *ptr,
                                              uint64_t imm);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

/* One per translation (a block translated again gets a second entry: the
 * script adds them up by address).  The adds are not atomic: exact on one
 * CPU, which is how the script runs it. */
struct block { uint64_t vaddr, insns, execs; };
#define MAX_BLOCKS (1u << 21)
static struct block *blocks;
static unsigned nblocks, dropped;
static const char *out = "tbprof.out";

static void translated(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    if (nblocks >= MAX_BLOCKS) {
        dropped++;
        return;
    }
    struct block *b = &blocks[nblocks++];
    b->vaddr = qemu_plugin_tb_vaddr(tb);
    b->insns = qemu_plugin_tb_n_insns(tb);
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &b->execs, 1);
}

static void done(qemu_plugin_id_t id, void *unused)
{
    (void)id;
    (void)unused;
    FILE *f = fopen(out, "w");
    if (!f) {
        perror(out);
        return;
    }
    for (unsigned i = 0; i < nblocks; i++)
        if (blocks[i].execs)
            fprintf(f, "%016llx %llu %llu\n", (unsigned long long)blocks[i].vaddr,
                    (unsigned long long)blocks[i].insns, (unsigned long long)blocks[i].execs);
    if (dropped)
        fprintf(f, "# %u translations not counted (more than %u)\n", dropped, MAX_BLOCKS);
    fclose(f);
}

/* -plugin tbprof.so,out=FILE */
__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                                               int argc, char **argv)
{
    (void)info;
    for (int i = 0; i < argc; i++)
        if (argv[i][0] == 'o' && argv[i][1] == 'u' && argv[i][2] == 't' && argv[i][3] == '=')
            out = argv[i] + 4;
    blocks = calloc(MAX_BLOCKS, sizeof *blocks);
    if (!blocks)
        return -1;
    qemu_plugin_register_vcpu_tb_trans_cb(id, translated);
    qemu_plugin_register_atexit_cb(id, done, 0);
    return 0;
}
