/*
 * Patch blocks (issue 14): cli, sti, pushf, popf and iret without a trap.
 *
 * A trap costs hundreds of host instructions; the instruction it stands
 * for costs one.  So where the scanner (host/vmm/scan.c) finds one of the
 * five in a guest's kernel, it may rewrite, in the loaded
 * copy, the instructions from there on (at least the 5 bytes a jump needs,
 * at most 15, within one page) into `jmp` to a block of host-generated code
 * that does the same with the guest's virtual IF kept in memory — as
 * VirtualBox's PATM did.  The blocks live in an arena at the top of the
 * guest's reserved pool (its memory map says reserved), which code sees
 * there with paging off and, with paging on, through a window of linear
 * space its page tables leave empty (below):
 *
 *   page 0      the flags page, writable, not executable:
 *                 +0  the virtual IF (0 or EFLAGS_IF) of the vCPU that holds
 *                     the guest kernel lock;
 *                 +4  nonzero while a virtual interrupt may be pending
 *                     (BLOCK_PENDING_ARMED: and a block may deliver it);
 *   pages 1..   block code, executable and read-only (a write is dropped,
 *               as one to the ROM is: host/vmm/rom.h); first, the tail
 *               every delivery by a block ends in.
 *
 * One flags word serves every vCPU because only the GKL holder runs guest
 * code: the host reads it into vcpu->vif when a trap begins and writes it
 * back (with the pending word) before the guest runs again.  The guest can
 * write it, as it can set its own IF: the host reads one bit of it.
 *
 * A block is a list of units, one per displaced instruction.  cli, sti,
 * pushf, popf and iret are emulated (pushf shows the virtual IF, popf and
 * iret set it); each leaves the guest — through a hlt "stub" that the side
 * table (host/vmm/sites.h) says stands for the instruction, which the
 * emulator then carries out — only when it must: an sti, popf or iret that
 * enables interrupts while one may be pending; any of them in guest ring 3;
 * an iret to another CS, to virtual-8086 mode, with TF in its flags or with
 * NT set (a task return), or to an address the host has not seen it
 * interrupted at lately (BLOCK_RETURNS of them, in the flags page: a frame
 * the guest made itself may return to code no scan has reached).  Other instructions are copied; jcc, jmp, call
 * and ret are re-aimed at the same targets (a call only as the last unit:
 * its return address must be the original code after the patch).  Then a
 * jmp back.  At every stub the guest's state is what it was at the
 * original instruction, so a fault there is reported as the original
 * instruction's.
 *
 * Delivery without leaving the guest.  An interrupt that comes due while
 * the virtual IF is clear would cost a trap at the popf or iret that sets
 * it (classic holds IF clear round its whole disk I/O: one a request per
 * disk interrupt).  So when the host returns to a guest whose IF is clear
 * with an interrupt waiting, it may arm it (blocks_arm): the gate checked
 * as a delivery checks it, the handler already scanned (the first delivery
 * through a gate is the emulator's), the handler in the CS the guest runs
 * in now (no stack switch, no far jump), the pending word
 * BLOCK_PENDING_ARMED.  A popf or iret block that sets IF then pushes the
 * frame the CPU would (EFLAGS as pushf shows them, CS as the guest knows
 * it, the return address: the code after the unit, or the iret's own
 * frame as it stands) and jumps to the tail, code the host wrote (IF after
 * the gate, the jump to the handler: rewritten only when they change, a
 * code write being costly on every CPU), which copies the pending words
 * the host foresaw from the flags page, marks the interrupt taken and
 * jumps to the handler.
 * The INTA is the host's, at the next trap (blocks_vif_in says which IRQ):
 * until the guest traps, no port access can tell.  An armed interrupt no
 * block took is simply disarmed at the next trap: nothing changed.  sti
 * never delivers in a block (a `sti; hlt` would sleep through its own
 * interrupt); nor does anything in ring 3.  The return
 * address goes into a ninth return slot, so the handler's iret comes back
 * through its block.  The guest can write the pending word, and so make a
 * block jump to the last handler the host armed, with its own frame: its
 * own harm, as if it had called its handler; it cannot choose the target.
 *
 * An `out dx, al` to a port whose writes may wait (BLOCK_LOG_LO..HI: the
 * ATA task file) is logged in the flags page instead of trapping; the host
 * replays the log, in order, first thing at the guest's next trap (the
 * command write that follows, anything): no device sees a difference but
 * the moment.  Other ports, ring 3, or a full log: the stub.  So is
 * `out 0x20, al` of 0x20, the master PIC's non-specific EOI, which also
 * sets the pending word to what the host foresaw for after it (the flags
 * page's EOI word: an interrupt the EOI lets through leaves the guest at
 * the next sti, popf or iret that sets IF, as before); and `out 0xa0, al`
 * of 0x20, the slave's, which sets the pending word to the host's forecast
 * for after it and the EOI word to its forecast for after the slave's and
 * then the master's (an IRQ 8-15 handler's order).  Each forecast holds
 * for one EOI of each: an EOI unit leaves the words it did not use saying
 * "may be pending", so a second EOI leaves at the next IF set.  And `in al, dx`
 * from the ATA status register (0x1F7, or the alternate at 0x3F6) is
 * answered from the flags page's copy, which the host keeps as the model
 * would answer, while nothing is logged and the drive is not busy: it
 * completes every command at once, at the trap of its command write, so
 * the copy is current.  A read of 0x1F7 that acknowledges INTRQ is logged
 * too (a read entry, replayed for its effect) when IRQ 14 is
 * edge-triggered: the line stays high until the next trap, which replays
 * the read before anything else, so no new edge is lost; level-triggered,
 * the PIC would see it still asserted after the EOI, and the read traps.
 *
 * The branches the scanner patches because their target may be code no
 * scan has reached (a ret after a stack switch, call or jmp through a
 * register: host/vmm/scan.h) get blocks too, placed over the instructions
 * before them: the block looks the target up in the targets page, a table
 * of targets the host has scanned (written by the host when a block's stub
 * trapped and the emulator landed there; read-only to the guest), hashed
 * by address, and branches at once on a match.  A drop of a page's scan
 * forgets the targets in that page (blocks_forget_targets): they may be
 * unscanned again.  One table serves every block, because a retpoline's
 * one ret goes to every function called through a register.
 *
 * A call to a return trampoline (a callee in the same page that writes
 * the return address and returns: `mov [esp], reg; ret`, a retpoline's
 * body) is too short for a block of its own, 4 bytes; the call's 5 bytes
 * carry it instead: the block pushes the call's return address, runs a
 * copy of the callee's instruction, and makes its ret as above.  The
 * callee's own bytes stay, scanned and patched as before (its bytes count
 * as covered, so a write to them drops the page and with it the block).
 *
 * Where a patch cannot be placed safely the trap stays: a displaced byte
 * another path reaches (a branch target found now or later: the scan
 * "breaks" the block and puts back the bytes), an instruction that is not
 * plain (a segment load, a privileged or sensitive one, a far or indirect
 * branch, a ret the scanner patches), a page boundary.  A fault in a block
 * (or a stub's emulation) is reported at the original instruction; after
 * the first unit, the page is dropped (its bytes back, rescanned at the
 * next fetch), since the displaced bytes are no longer there to resume in.
 * An interrupt may arrive while the guest is inside a block: its frame
 * then holds the block's address, and the guest returns there (a guest
 * that reads its interrupted EIP sees the arena, as under PATM).
 *
 * Blocks need the guest's CS and SS flat (base 0, 4 GiB): the stubs and
 * jumps are linear addresses, the flags words are reached through SS.  A
 * scan places them only under a flat CS and SS; the guest kernel loading
 * SS with a segment that is not flat (the host sees it: blocks_ss_loaded)
 * or single-stepping into a block gives back every block for good
 * (blocks_give_back).  blocks=off on the host command line turns them off.
 *
 * Paging on.  Every address in a block's code is linear, the side table's
 * keys and the arena's bytes physical (struct block: head and head_lin).
 * The arena is seen through a window (host/vmm/blocks.c, "the arena's
 * window"): the shadow maps it (fill_arena) and gmem answers for it where
 * the guest's tables map nothing, to its kernel only.  Turning paging on
 * or off drops the pages with blocks (scanned again, from every
 * instruction they had, where they next run) and starts the arena afresh.  A physical page's
 * blocks are made for one linear page (codepage's block_lin): run through
 * another mapping, or one ring 3 may run, their jumps would leave it, so
 * such a mapping is NX and a fetch through it gives them back.  A scan
 * from ring 3 places none.
 */
#pragma once
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include "host/dev/pic.h"
#include "kernel/x86-defs.h"

#define BLOCKS_SIZE      (512u << 10)        /* the arena: the flags page, the targets page, then code */
#define BLOCK_UNITS      8
#define BLOCK_MIN        5                   /* the jmp rel32 at the head */
#define BLOCK_FLAG_VIF   0                   /* offsets in the flags page */
#define BLOCK_FLAG_PENDING 4
#define BLOCK_FLAG_LOGGED 8                  /* port writes waiting in the log */
#define BLOCK_FLAG_LOG   12                  /* the log: { u16 port, u8 value, u8 0 } each */
#define BLOCK_LOG_MAX    16
#define BLOCK_FLAG_RETURNS 80                /* where the host delivered from: an iret may go back at once */
#define BLOCK_RETURNS    8                   /* the host's; then one a block's delivery writes */
#define BLOCK_FLAG_TAKEN_RETURN (BLOCK_FLAG_RETURNS + 4 * BLOCK_RETURNS)
#define BLOCK_FLAG_CS_SEEN 116               /* an armed interrupt: the CS its frame shows */
#define BLOCK_FLAG_TAKEN 120                 /* nonzero once a block delivered it */
#define BLOCK_FLAG_ATA_STATUS 124            /* what a status read returns, or BLOCK_ATA_TRAP */
#define BLOCK_FLAG_EOI_PENDING 128           /* the pending word once the top interrupt in service ends */
#define BLOCK_FLAG_PENDING_AFTER 132         /* an armed interrupt: the pending word, and the EOI word, */
#define BLOCK_FLAG_EOI_AFTER 136             /* once a block has delivered it */
#define BLOCK_FLAG_SLAVE_PENDING 140         /* the pending word once the slave's EOI ends */
#define BLOCK_FLAG_SLAVE_EOI_PENDING 144     /* the EOI word after the slave's: after both */
#define BLOCK_FLAG_SLAVE_AFTER 148           /* the same two, once a block has delivered */
#define BLOCK_FLAG_SLAVE_EOI_AFTER 152       /* the armed interrupt */
#define BLOCK_FLAG_UART_LSR 156             /* what a read of COM1's LSR returns, or BLOCK_UART_TRAP */
#define BLOCK_PENDING_ARMED 2
#define BLOCK_ATA_TRAP   0x100               /* the drive is busy: a read is the host's */
#define BLOCK_ATA_ACK    0x200               /* a read of 0x1F7 acknowledges INTRQ (edge-triggered): logged */
#define BLOCK_UART_TRAP  0x100               /* the read would clear a line status error: the host's */
#define BLOCK_UART_THR_LOG 0x200             /* a write to 0x3F8 only sends its byte: logged */
#define BLOCK_UART_THR   0x3f8               /* COM1's THR */
#define BLOCK_UART_LSR   (BLOCK_UART_THR + 5) /* and its LSR */
#define BLOCK_LOG_READ   1                   /* a log entry's last byte: a read, replayed for its effect */
/* Ports whose writes may wait for the guest's next trap: the primary ATA
 * channel's task file (features, count, LBA, device), latches that do
 * nothing until the command register is written (host/dev/ata.c ata_out):
 * a driver writes five of them before each command. */
#define BLOCK_LOG_LO     0x1f1
#define BLOCK_LOG_HI     0x1f6

enum unit_kind {
    UNIT_COPY, UNIT_JCC, UNIT_JMP, UNIT_CALL, UNIT_RET,        /* the guest's own, copied or re-aimed */
    UNIT_CLI, UNIT_STI, UNIT_PUSHF, UNIT_POPF, UNIT_IRET,      /* emulated */
    UNIT_RET_SEEN, UNIT_CALL_SEEN, UNIT_JMP_SEEN,              /* a branch to a target already scanned */
    UNIT_OUT_DX,                                               /* out dx, al: logged when it may wait (task file, COM1's THR) */
    UNIT_EOI,                                                  /* out 0x20, al: logged when an EOI */
    UNIT_EOI_SLAVE,                                            /* out 0xa0, al: the same, the slave's */
    UNIT_IN_DX,                                                /* in al, dx: the ATA status or COM1's LSR from the copy */
    UNIT_CALL_INLINE,                                          /* call rel32 to a return trampoline: its push */
};
#define BLOCK_TARGETS 1024                   /* entries of the targets page: one linear address each */
/* A target's entry in the targets page (the block code computes the same). */
static inline unsigned block_target_slot(uint32_t lin)
{
    return ((lin >> 4) ^ (lin >> 14)) & (BLOCK_TARGETS - 1);
}
/* An empty entry: an address that does not hash to it, so no target matches. */
static inline uint32_t block_target_none(unsigned slot)
{
    return slot ? 0 : 0x10;
}
/* A unit after which execution never falls to the next: the block's last. */
static inline bool unit_ends(int kind)
{
    return kind == UNIT_JMP || kind == UNIT_CALL || kind == UNIT_RET || kind == UNIT_IRET ||
           kind == UNIT_RET_SEEN || kind == UNIT_CALL_SEEN || kind == UNIT_JMP_SEEN;
}

/* What the scanner asks for: the instructions at head, in order. */
struct block_plan {
    uint32_t head, head_lin;         /* guest-physical; the linear address the scan found it at */
    uint8_t len, nunits;
    /* the displaced bytes (len), and on to the end of a return trampoline
     * the block copies (UNIT_CALL_INLINE: its units' off are past len) */
    uint8_t orig[32];
    struct { uint8_t kind, off, length; uint32_t target; } unit[BLOCK_UNITS];
};

/* One block, as the host remembers it (the arena holds its code). */
struct block {
    uint32_t head, at;               /* the patched address; its code in the arena (guest-physical) */
    uint32_t head_lin;               /* the patched address as the guest runs it */
    uint16_t size;
    uint8_t len, nunits;
    /* where unit k's code begins in the block, and its instruction's offset
     * from head; [nunits] is the jump back (orig == len) */
    struct { uint16_t code; uint8_t orig; } unit[BLOCK_UNITS + 1];
    bool branch;                     /* it ends in a branch checked in the targets page */
    struct block_plan plan;          /* what it was made from: made again in another window */
};

#define BLOCK_WINDOWS    8                   /* paging on: windows a guest may take from us */
#define BLOCK_WINDOW_AT  0x180000            /* a window's place in its 4 MiB: the middle */

struct blocks {
    bool on;                         /* new blocks may be placed */
    const char *off;                 /* why not any more, or 0 */
    uint32_t base;                   /* the arena's guest-physical address */
    /* where guest code sees the arena: base with paging off; with paging
     * on, the current window (0: none chosen yet) */
    uint32_t lin;
    uint32_t retired[BLOCK_WINDOWS]; /* windows the guest took back: served while it maps nothing there */
    unsigned nretired;
    uint8_t burned[128];             /* a bit per 4 MiB a window was lost in */
    uint32_t used, peak;             /* code bytes handed out, after the flags page; the most at once */
    struct block *b;                 /* by address in the arena */
    size_t n, cap;
    uint64_t made, broken, faults, reverted;
    uint64_t windows_lost, aliased;  /* windows the guest took; pages whose blocks an alias gave back */
    unsigned next_return;            /* the return slot to write next */
    uint32_t tail;                   /* the deliveries' tail, first in the arena */
    int armed;                       /* the IRQ armed for a block to deliver, or -1 */
    uint16_t armed_cs;               /* the CS it was armed in */
    uint64_t taken;                  /* interrupts blocks delivered */
    uint64_t learnt, forgotten;      /* entries written into the targets page; taken out again */
    uint64_t trampolines;            /* blocks made over a call to a return trampoline */
    uint32_t target_page[BLOCK_TARGETS];   /* 1 + the guest-physical page of each entry's target, or 0 */
};

struct guest;
struct vcpu;
struct trapframe;
struct site;

/* The arena: its flags page, the targets page, then code. */
#define BLOCKS_TARGETS(b)   ((b)->base + 4096)
#define BLOCKS_CODE_BASE(b) ((b)->base + 8192)
#define BLOCKS_CODE_ROOM    (BLOCKS_SIZE - 8192)
/* Where blocks_arm writes into the tail's code (blocks_code.c makes it):
 * mov dword [ss:vif], imm32 at +0; jmp rel32 to the handler at +78. */
#define TAIL_VIF_AFTER 7
#define TAIL_HANDLER   79
#define TAIL_SIZE      83

/* A segment blocks can run under: base 0, 4 GiB, 32-bit (a null one is not). */
static inline bool blocks_flat(uint64_t d)
{
    return d && desc_base(d) == 0 && desc_limit(d) == 0xffffffffu && (d & DESC_DB);
}

/* At guest creation, after its memory: the arena mapped (make_memory). */
bool blocks_init(struct guest *g, uint32_t base, bool on);
void blocks_free(struct guest *g);
static inline bool blocks_owns(const struct blocks *b, uint64_t gpa)
{
    return b->base && gpa >= b->base && gpa < (uint64_t)b->base + BLOCKS_SIZE;
}
/* The arena's guest-physical address for linear address lin if guest
 * code runs the arena there (the current window, or paging on, a retired
 * one), else 0. */
static inline uint32_t blocks_arena(const struct blocks *b, uint64_t lin)
{
    if (b->lin && lin >= b->lin && lin < (uint64_t)b->lin + BLOCKS_SIZE)
        return (uint32_t)(b->base + (lin - b->lin));
    for (unsigned i = 0; i < b->nretired; i++)     /* code returning into a block of an old window */
        if (lin >= b->retired[i] && lin < (uint64_t)b->retired[i] + BLOCKS_SIZE)
            return (uint32_t)(b->base + (lin - b->retired[i]));
    return 0;
}
/* The linear address guest code sees arena address gpa at (the current window). */
static inline uint32_t blocks_lin(const struct blocks *b, uint32_t gpa)
{
    return gpa - b->base + b->lin;
}
/* [gpa, gpa + len) touches the arena's code or targets (not its flags page). */
static inline bool blocks_code_overlaps(const struct blocks *b, uint64_t gpa, uint64_t len)
{
    return b->base && gpa < (uint64_t)b->base + BLOCKS_SIZE && gpa + len > (uint64_t)b->base + 4096;
}
/* Emit a block for plan: its code in the arena and, in stubs (room for
 * BLOCK_UNITS), the side-table entries of its stubs.  The head's jmp is the
 * caller's to write (blocks_jump).  Its linear address, 0 if the arena is full. */
uint32_t blocks_emit(struct guest *g, const struct block_plan *p, struct site *stubs, size_t *nstubs);
/* The tail, on a page of its own after the code so far, for the arena
 * as guest code sees it now (b->lin): at blocks_init and for each new
 * window.  False if the arena has no page left for it. */
bool blocks_emit_tail(struct guest *g);
/* The 5 bytes of the jmp at head to at (both linear), and the hlt fill after them. */
void blocks_jump(uint8_t *code, uint32_t head, uint32_t len, uint32_t at);
/* Forget the blocks emitted after the first `keep` (a scan that failed). */
void blocks_truncate(struct guest *g, size_t keep);

/* The guest's virtual IF from the flags page, at a trap's start (and the
 * port log replayed, the armed interrupt disarmed): the IRQ a block
 * delivered since the last return, whose INTA is the caller's to do, or -1;
 * and back, with whether an interrupt may be pending, before the guest runs
 * again (in CS cs). */
int blocks_vif_in(struct vcpu *v);
void blocks_vif_out(struct vcpu *v, uint16_t cs);
/* Blocks may deliver: on, placed, and no interrupt armed yet this trap. */
static inline bool blocks_may_arm(const struct blocks *b)
{
    return b->on && b->n && b->armed < 0;
}
/* Arm irq for the blocks to deliver in CS cs (real selector) to handler:
 * frames show CS as cs_seen; IF after it vif_after; more: another
 * interrupt may be pending once this one is in service; after: and once
 * its handler's EOIs end it. */
void blocks_arm(struct guest *g, int irq, uint16_t cs, uint16_t cs_seen, uint32_t handler, uint32_t vif_after,
                bool more, struct pic_forecast after);
/* The port writes the blocks logged, in order: after blocks_vif_in and
 * the INTA of what a block delivered (the log may hold its EOI). */
void blocks_replay(struct guest *g);
/* EIP in the arena: the original instruction's address instead (0 if not a
 * block's); for a fault, blocks_fault also makes that address runnable
 * (drops the page if the block was left after its first unit). */
uint32_t blocks_original(const struct guest *g, uint32_t eip);
void blocks_fault(struct vcpu *v, struct trapframe *tf);
/* A stub trapped at stub and the emulator carried out its branch to
 * target, now scanned: the block remembers it. */
void blocks_learn(struct vcpu *v, uint32_t stub, uint32_t target);
/* The scan of page pfn (guest-physical; ~0u: every page) was dropped: no
 * block trusts a target there any more, nor an iret a return address
 * anywhere. */
void blocks_forget_targets(struct guest *g, uint32_t pfn);
/* The host delivers an interrupt or exception that returns to eip (it ran
 * there, so it is scanned): an iret block may return there without the
 * emulator. */
void blocks_note_return(struct guest *g, uint32_t eip);
/* Paging on: may a scan by v (now) place blocks, the window chosen if
 * there is none (a 4 MiB the guest's page directory leaves empty)? */
bool blocks_paged_fit(struct vcpu *v);
/* The guest turned paging on or off: every page with blocks dropped, to
 * be scanned again where it next runs from every instruction it had
 * (codepage_drop_remember), the arena started afresh and seen where
 * paging off sees it, or through a window chosen at the next scan. */
void blocks_paging(struct guest *g, bool on);
/* Paging on: is the current window still the guest's nothing?  If its
 * page directory (CR3's) maps the window's 4 MiB, the window is given up
 * (still served where the guest maps nothing, for code returning into a
 * block), another chosen and every live block made again there. */
void blocks_window_check(struct vcpu *v);
/* Paging on: does guest-physical page gpa hold blocks made for another
 * linear page than lin's (an alias: their jumps would leave it), or may
 * ring 3 run it there (user)?  Such a leaf is mapped NX, and a fetch
 * through it gives that page's blocks back (blocks_exec_alias). */
bool blocks_alias(const struct guest *g, uint32_t lin, uint32_t gpa, bool user);
void blocks_exec_alias(struct guest *g, uint32_t gpa);
/* A transfer the host made (an iret, a far return, jump or call, a
 * delivery) has the guest run on under code segment d: if d is not flat
 * 32-bit code, every block whose bytes d reaches would run wrong (its
 * jmp rel32 is a jmp rel16 and two stray bytes as 16-bit code, and its
 * jumps are linear), and is withdrawn, its instructions patched as a scan
 * without blocks leaves them.  All of them, not only the landing page's:
 * the near jumps on from there are the guest's own.  The host makes every
 * far transfer of a guest with blocks (scan.c far_seen), so no CS gets
 * there without passing here. */
void blocks_cs_landed(struct vcpu *v, uint64_t d);

/* No more blocks for this guest (why: for `guest N stats`), and every
 * block's head given back (its bytes as they were, the instructions in
 * them patched as a scan without blocks would): when its kernel loads SS
 * with a segment that is not flat, or it single-steps into a block. */
void blocks_give_back(struct guest *g, const char *why);
/* The guest's kernel (ring 0) runs on the stack segment d from now on. */
void blocks_ss_loaded(struct vcpu *v, uint64_t d);
/* A #DB of the guest's own TF at a block's first byte: it stepped the jmp,
 * which is not its instruction.  Blocks are given back, EIP is the head
 * again, and the #DB is not the guest's: true. */
bool blocks_stepped_in(struct vcpu *v, struct trapframe *tf);
/* The guest returns into a block with its own TF set (a popf or iret in
 * it set TF, through its stub): its #DB would come inside the block.
 * Blocks are given back and EIP is the original instruction's, which the
 * guest then steps as on a CPU.  (EIP there is a unit's first byte.) */
void blocks_leave_stepping(struct vcpu *v, struct trapframe *tf);
