/*
 * The virtual PC's ROM: writes dropped by a single step (host/vmm/rom.h).
 */
#include "host/vmm/rom.h"
#include "host/vmm/guest.h"
#include "host/vmm/vcpu.h"
#include "host/vmm/shadow.h"
#include "host/vmm/codepage.h"
#include "kernel/pmm.h"
#include "kernel/string.h"
#include "kernel/vm.h"

bool rom_init(struct guest *g)
{
    g->rom = (struct rom_step){ 0 };
    g->rom.save = page_alloc(ROM_STEP_PAGES);
    return g->rom.save != 0;
}

void rom_free(struct guest *g)
{
    if (g->rom.save)
        page_free(g->rom.save, ROM_STEP_PAGES);
    g->rom.save = 0;
}

/* Paging off: ROM page pfn's entry in g->root writable or not.  The other
 * CPUs' TLBs follow the protocol of host/vmm/codepage.h ("TLBs"): a CPU
 * that runs guest code next flushes if the generation moved. */
static void root_writable(struct guest *g, uint32_t pfn, bool w)
{
    uint64_t *pte = vm_space_pte(g->root, (uint64_t)pfn << 12);
    if (pte)
        codepage_root_store(g, pfn, pte, w ? *pte | PTE_W : *pte & ~(uint64_t)PTE_W);
}

bool rom_step_begin(struct vcpu *v, struct trapframe *tf, uint32_t lin, uint32_t gpa)
{
    struct guest *g = v->guest;
    struct rom_step *r = &g->rom;
    uint32_t pfn = gpa >> 12;
    unsigned slot = ROM_STEP_PAGES;
    for (unsigned i = 0; i < ROM_STEP_PAGES; i++)
        if (r->gpa[i] == pfn + 1 || (!r->gpa[i] && slot == ROM_STEP_PAGES))
            slot = i;
    if (slot == ROM_STEP_PAGES) {
        guest_end(g, GUEST_DEAD, -1, "one instruction writes more pages of its ROM than a write can");
        return false;
    }
    if (r->gpa[slot] != pfn + 1) {
        memcpy(r->save + slot * PAGE_SIZE, g->ram + ((uint64_t)pfn << 12), PAGE_SIZE);
        r->gpa[slot] = pfn + 1;
        r->lin[slot] = lin & ~0xfffu;
    }
    if (!(v->cr0 & CR0_PG))
        root_writable(g, pfn, true);
    if (!r->stepping) {
        r->stepping = true;
        r->steps++;
        r->guest_tf = tf->rflags & EFLAGS_TF;
        tf->rflags |= EFLAGS_TF;
    }
    return true;
}

bool rom_write_fault(struct vcpu *v, struct trapframe *tf, uint32_t cr2)
{
    uint32_t need = PFEC_PRESENT | PFEC_WRITE;
    /* (the patch blocks' code pages are read-only too: a write there goes
     * nowhere in the same way, host/vmm/blocks.h) */
    if ((v->cr0 & CR0_PG) || ((uint32_t)tf->error & need) != need ||
        !(rom_overlaps(cr2, 1) || blocks_owns(&v->guest->blocks, cr2)))
        return false;
    rom_step_begin(v, tf, cr2, cr2);
    return true;
}

bool rom_writable(const struct guest *g, uint32_t gpa)
{
    if (!rom_overlaps(gpa, 1) && !blocks_code_overlaps(&g->blocks, gpa, 1))
        return true;                          /* (the blocks' code: a guest that maps it writes nothing) */
    for (unsigned i = 0; g->rom.stepping && i < ROM_STEP_PAGES; i++)
        if (g->rom.gpa[i] == (gpa >> 12) + 1)
            return true;
    return false;
}

bool rom_step_trap(struct vcpu *v, struct trapframe *tf)
{
    struct guest *g = v->guest;
    struct rom_step *r = &g->rom;
    if (tf->vector == VEC_PF)
        return false;                         /* the stepped write's next page, maybe: it goes on */
    r->stepping = false;
    for (unsigned i = 0; i < ROM_STEP_PAGES; i++) {
        if (!r->gpa[i])
            continue;
        uint32_t pfn = r->gpa[i] - 1;
        uint8_t *page = g->ram + ((uint64_t)pfn << 12), *kept = r->save + i * PAGE_SIZE;
        if (memcmp(page, kept, PAGE_SIZE)) {
            memcpy(page, kept, PAGE_SIZE);
            r->dropped++;
        }
        if (v->cr0 & CR0_PG)
            shadow_invlpg(v, r->lin[i]);      /* the shadow's writable entry goes */
        else
            root_writable(g, pfn, false);
        r->gpa[i] = 0;
    }
    bool keep_tf = r->guest_tf || g->host_stepping || g->codepages.stepping;
    if (!keep_tf)
        tf->rflags &= ~(uint64_t)EFLAGS_TF;
    return tf->vector == VEC_DB && !keep_tf;  /* the step's own #DB: nothing more */
}
