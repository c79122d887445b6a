/*
 * The code of patch blocks (host/vmm/blocks.h): each unit's instructions
 * as bytes, a block's units in order with the jump back, and the tail
 * every delivery by a block ends in.  x86-32, emitted by hand: NASM is
 * not at hand at run time, and each unit is a few fixed sequences.
 */
#include "host/vmm/blocks.h"
#include "host/vmm/guest.h"
#include "host/vmm/sites.h"
#include "kernel/heap.h"
#include "kernel/string.h"
#include "kernel/x86-defs.h"

#define CODE_BASE(b) BLOCKS_CODE_BASE(b)
#define CODE_ROOM    BLOCKS_CODE_ROOM

/* ---- the code of a block ------------------------------------------------ */

struct emit {
    uint8_t buf[2048];
    bool overflow;                           /* more than buf: no block */
    uint32_t n, at;                          /* bytes so far; the linear address of buf[0] */
    uint32_t vif, pending;                   /* the flags words' addresses */
    uint32_t stub[BLOCK_UNITS];              /* offsets of the stubs, for the side table */
    uint8_t stub_insn[BLOCK_UNITS][SITE_ORIG_MAX];   /* and the instruction each stands for */
    uint8_t stub_len[BLOCK_UNITS];
    unsigned nstubs;
    uint32_t table;                          /* the targets page's linear address */
    uint32_t tail;                           /* the deliveries' tail */
    uint32_t cont[2];                        /* imm32s that want the address after this unit */
    unsigned ncont;
};

static void put(struct emit *e, const uint8_t *bytes, uint32_t n)
{
    if (e->n + n > sizeof e->buf) {
        e->overflow = true;
        return;
    }
    memcpy(e->buf + e->n, bytes, n);
    e->n += n;
}
#define PUT(e, ...) put(e, (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

static void put32(struct emit *e, uint32_t v)
{
    PUT(e, (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24));
}

/* A rel32 that reaches target from the end of these 4 bytes. */
static void rel32(struct emit *e, uint32_t target)
{
    put32(e, target - (e->at + e->n + 4));
}

/* A forward jump to a label placed later (op: the short form, jcc 7x or
 * jmp EB), emitted near (rel32: a unit may outgrow rel8): its rel32's
 * offset, for land to fix. */
static uint32_t jump(struct emit *e, uint8_t op)
{
    if (op == 0xeb) PUT(e, 0xe9); else PUT(e, 0x0f, (uint8_t)(0x80 | (op & 15)));
    put32(e, 0);
    return e->n - 4;
}
static void land(struct emit *e, uint32_t from)
{
    uint32_t rel = e->n - (from + 4);
    memcpy(e->buf + from, &rel, 4);
}

/* The guest's CPL is 3 (CS's RPL, bits 1 and 0 both set in ring 3, 01 in
 * its ring 0 that runs in ring 1): ZF clear, for a jnz to the stub.
 * Clobbers EAX and the flags. */
static void if_ring3(struct emit *e)
{
    PUT(e, 0x8c, 0xc8,                       /* mov eax, cs */
           0xa8, 0x02);                      /* test al, 2 */
}

/* cmp dword [ss:pending], 0 */
static void test_pending(struct emit *e)
{
    PUT(e, 0x36, 0x83, 0x3d);
    put32(e, e->pending);
    PUT(e, 0x00);
}

/* The stub: hlt, which the side table says stands for the instruction
 * at insn (len bytes).  The emulator resumes after an instruction len
 * bytes long (one that does not branch: out 0x20, al), so the stub takes
 * len bytes: hlt, then never-run hlt padding. */
static void stub_for(struct emit *e, const uint8_t *insn, uint8_t len)
{
    e->stub[e->nstubs] = e->n;
    memcpy(e->stub_insn[e->nstubs], insn, len);
    e->stub_len[e->nstubs++] = len;
    for (uint8_t i = 0; i < len; i++)
        PUT(e, 0xf4);
}

static void stub(struct emit *e, uint8_t op)
{
    stub_for(e, &op, 1);
}

/* mov dword [ss:vif], imm32 */
static void set_vif(struct emit *e, uint32_t value)
{
    PUT(e, 0x36, 0xc7, 0x05);
    put32(e, e->vif);
    put32(e, value);
}

/* cmp dword [ss:pending], ARMED; jne (the rel32 to land) */
static uint32_t test_armed(struct emit *e)
{
    PUT(e, 0x36, 0x83, 0x3d);
    put32(e, e->pending);
    PUT(e, BLOCK_PENDING_ARMED);
    return jump(e, 0x75);
}

/* An imm32 that wants the address of the code after this unit. */
static void put_cont(struct emit *e)
{
    e->cont[e->ncont++] = e->n;
    put32(e, 0);
}

/* The armed interrupt, taken after this unit (the guest's state is its
 * instruction's outcome, IF set): the frame a CPU pushes (EFLAGS as pushf
 * shows them, CS as the guest knows it, the address after the unit, kept
 * in the block's return slot for the handler's iret), NT and TF cleared as
 * a gate clears them, then the tail. */
static void deliver_after(struct emit *e)
{
    uint32_t flags = e->vif - BLOCK_FLAG_VIF;
    PUT(e, 0x9c,                             /* pushf */
           0x81, 0x24, 0x24);                /* and dword [esp], the guest's flags */
    put32(e, EFLAGS_GUEST_MASK | EFLAGS_RESERVED1 | EFLAGS_IF);
    PUT(e, 0x36, 0xff, 0x35);                /* push dword [ss:cs_seen] */
    put32(e, flags + BLOCK_FLAG_CS_SEEN);
    PUT(e, 0x68);                            /* push the address after the unit */
    put_cont(e);
    PUT(e, 0x36, 0xc7, 0x05);                /* mov dword [ss:taken_return], it */
    put32(e, flags + BLOCK_FLAG_TAKEN_RETURN);
    put_cont(e);
    PUT(e, 0xff, 0x74, 0x24, 0x08,           /* push dword [esp+8] */
           0x81, 0x24, 0x24);                /* and dword [esp], ~(NT | TF) */
    put32(e, ~(uint32_t)(EFLAGS_NT | EFLAGS_TF));
    PUT(e, 0x9d, 0xe9);                      /* popf; jmp tail */
    rel32(e, e->tail);
}

/* cli and sti: the flags saved round the ring test; sti leaves when an
 * interrupt may be waiting for it. */
static void unit_cli_sti(struct emit *e, bool sti)
{
    PUT(e, 0x9c, 0x50);                      /* pushf; push eax */
    if_ring3(e);
    uint32_t ring3 = jump(e, 0x75), busy = 0;
    if (sti) {
        test_pending(e);
        busy = jump(e, 0x75);
    }
    PUT(e, 0x58, 0x9d);                      /* pop eax; popf */
    set_vif(e, sti ? EFLAGS_IF : 0);
    uint32_t done = jump(e, 0xeb);
    land(e, ring3);
    if (sti)
        land(e, busy);
    PUT(e, 0x58, 0x9d);
    stub(e, sti ? 0xfb : 0xfa);
    land(e, done);
}

/* pushf: the real flags (the guest's own, but IF, which is the host's)
 * with the virtual IF in. */
static void unit_pushf(struct emit *e)
{
    PUT(e, 0x9c, 0x9c, 0x50,                 /* pushf (the image); pushf (to restore); push eax */
           0x81, 0x64, 0x24, 0x08);          /* and dword [esp+8], ~IF */
    put32(e, ~(uint32_t)EFLAGS_IF);
    PUT(e, 0x36, 0xa1);                      /* mov eax, [ss:vif] */
    put32(e, e->vif);
    PUT(e, 0x25);                            /* and eax, IF: one bit of the word is the guest's IF */
    put32(e, EFLAGS_IF);
    PUT(e, 0x09, 0x44, 0x24, 0x08,           /* or [esp+8], eax */
           0x58, 0x9d);                      /* pop eax; popf */
}

/* The virtual IF from EAX's IF bit: jz over the pending test when it is
 * clear; leaves (jne slow, returned) when it is set and one may be pending. */
static uint32_t store_vif(struct emit *e)
{
    PUT(e, 0x25);                            /* and eax, IF */
    put32(e, EFLAGS_IF);
    uint32_t off = jump(e, 0x74);
    test_pending(e);
    uint32_t busy = jump(e, 0x75);
    land(e, off);
    PUT(e, 0x36, 0xa3);                      /* mov [ss:vif], eax */
    put32(e, e->vif);
    return busy;
}

/* popf: the virtual IF from the popped value, the rest by a real popf
 * (in ring 1 it leaves IF and IOPL as they are).  One that sets TF is the
 * emulator's: the step's #DB must come after the guest's next instruction,
 * not the block's. */
static void unit_popf(struct emit *e)
{
    PUT(e, 0x50);                            /* push eax */
    if_ring3(e);
    uint32_t ring3 = jump(e, 0x75);
    PUT(e, 0x8b, 0x44, 0x24, 0x04,           /* mov eax, [esp+4] */
           0xa9);                            /* test eax, TF */
    put32(e, EFLAGS_TF);
    uint32_t tf = jump(e, 0x75);
    uint32_t busy = store_vif(e);
    PUT(e, 0x58, 0x9d);                      /* pop eax; popf */
    uint32_t done = jump(e, 0xeb);
    land(e, busy);
    uint32_t unarmed = test_armed(e);
    PUT(e, 0x58, 0x9d);                      /* pop eax; popf: the popf done, then the interrupt */
    deliver_after(e);
    land(e, ring3);
    land(e, tf);
    land(e, unarmed);
    PUT(e, 0x58);
    stub(e, 0x9d);
    land(e, done);
}

/* iret to the same CS: the flags by popf, EIP by ret 8.  Anything else
 * (another CS or ring, NT now, new flags with more than the arithmetic
 * ones, DF and IF: TF, NT, RF, AC, IOPL, VM) is the emulator's. */
static void unit_iret(struct emit *e)
{
    uint32_t slow[6];
    PUT(e, 0x50);                            /* push eax */
    if_ring3(e);
    slow[0] = jump(e, 0x75);
    PUT(e, 0x34, 0x01,                       /* xor al, 1: CS as the guest knows it (RPL 0) */
           0x66, 0x3b, 0x44, 0x24, 0x08);    /* cmp ax, [esp+8] */
    slow[1] = jump(e, 0x75);
    PUT(e, 0x9c,                             /* pushf */
           0xf7, 0x04, 0x24);                /* test dword [esp], NT */
    put32(e, EFLAGS_NT);
    PUT(e, 0x8d, 0x64, 0x24, 0x04);          /* lea esp, [esp+4] */
    slow[2] = jump(e, 0x75);
    PUT(e, 0x8b, 0x44, 0x24, 0x0c,           /* mov eax, [esp+12] */
           0xa9);                            /* test eax, anything else */
    put32(e, ~(uint32_t)(0x0dd5 | EFLAGS_IF | EFLAGS_RESERVED1));
    slow[3] = jump(e, 0x75);
    PUT(e, 0x8b, 0x44, 0x24, 0x04);          /* mov eax, [esp+4]: where it returns */
    uint32_t seen[BLOCK_RETURNS + 1];
    for (unsigned i = 0; i <= BLOCK_RETURNS; i++) {
        PUT(e, 0x36, 0x3b, 0x05);            /* cmp eax, [ss:returns + 4i] */
        put32(e, e->vif - BLOCK_FLAG_VIF + BLOCK_FLAG_RETURNS + 4 * i);
        seen[i] = jump(e, 0x74);
    }
    slow[4] = jump(e, 0xeb);                /* not one the host delivered from */
    for (unsigned i = 0; i <= BLOCK_RETURNS; i++)
        land(e, seen[i]);
    PUT(e, 0x8b, 0x44, 0x24, 0x0c);          /* mov eax, [esp+12] */
    uint32_t busy = store_vif(e);
    PUT(e, 0x58,                             /* pop eax */
           0xff, 0x74, 0x24, 0x08,           /* push dword [esp+8] */
           0x9d,                             /* popf */
           0xc2, 0x08, 0x00);                /* ret 8 */
    /* the armed interrupt right after the iret: its frame is the iret's
     * own (same CS, IF set, EFLAGS as the CPU would push them) */
    land(e, busy);
    slow[5] = test_armed(e);
    PUT(e, 0x58,                             /* pop eax */
           0x83, 0x4c, 0x24, 0x08, 0x02,     /* or dword [esp+8], bit 1 */
           0xff, 0x74, 0x24, 0x08, 0x9d,     /* push dword [esp+8]; popf */
           0xff, 0x34, 0x24,                 /* push dword [esp] */
           0x36, 0x8f, 0x05);                /* pop dword [ss:taken_return] */
    put32(e, e->vif - BLOCK_FLAG_VIF + BLOCK_FLAG_TAKEN_RETURN);
    PUT(e, 0xe9);                            /* jmp tail */
    rel32(e, e->tail);
    for (unsigned i = 0; i < 6; i++)
        land(e, slow[i]);
    PUT(e, 0x58);
    stub(e, 0xcf);
}

/* Is EAX a target the host has scanned?  Its entry in the targets page
 * (block_target_slot), compared; EDX, the flags and EAX, the caller's
 * pushes, popped again (first EDX, then EAX); ZF set on a match, for the
 * jz returned to land where the branch is made. */
static uint32_t lookup_target(struct emit *e)
{
    PUT(e, 0x89, 0xc2,                       /* mov edx, eax */
           0xc1, 0xea, 0x0a,                 /* shr edx, 10 */
           0x31, 0xc2,                       /* xor edx, eax */
           0xc1, 0xea, 0x04,                 /* shr edx, 4 */
           0x81, 0xe2);                      /* and edx, BLOCK_TARGETS - 1 */
    put32(e, BLOCK_TARGETS - 1);
    PUT(e, 0x36, 0x3b, 0x04, 0x95);          /* cmp eax, [ss:table + edx*4] */
    put32(e, e->table);
    PUT(e, 0x5a, 0x58);                      /* pop edx; pop eax */
    return jump(e, 0x74);
}

/* ret (or ret imm16) to an address from data: at once if it is one the
 * host has scanned, else the emulator's (which scans it). */
static void unit_ret_seen(struct emit *e, const uint8_t *insn, uint8_t len)
{
    PUT(e, 0x9c, 0x50, 0x52,                 /* pushf; push eax; push edx */
           0x8b, 0x44, 0x24, 0x0c);          /* mov eax, [esp+12]: the return address */
    uint32_t hit = lookup_target(e);
    PUT(e, 0x9d);                            /* popf */
    stub_for(e, insn, len);
    land(e, hit);
    PUT(e, 0x9d);
    put(e, insn, len);
}

/* call or jmp through a register (not ESP) or through [disp32], the same
 * way; the call's return address is the original one (a call is the last
 * unit).  (Through memory, the jmp reads the pointer again: only the
 * guest's own code could change it in between, while it holds the guest
 * kernel lock.) */
static void unit_branch_seen(struct emit *e, const uint8_t *insn, uint32_t ret, bool call)
{
    bool mem = (insn[1] & 0xc7) == 0x05;
    unsigned reg = insn[1] & 7;
    uint8_t jmp_to[6] = { 0xff, (uint8_t)(mem ? 0x25 : 0xe0 | reg) };   /* jmp [disp32] or jmp reg */
    if (mem)
        memcpy(jmp_to + 2, insn + 2, 4);
    PUT(e, 0x9c, 0x50, 0x52);                /* pushf; push eax; push edx */
    if (mem) {
        PUT(e, 0xa1);                        /* mov eax, [disp32] */
        put(e, insn + 2, 4);
    } else if (reg != 0) {
        PUT(e, 0x89, (uint8_t)(0xc0 | reg << 3));   /* mov eax, reg (EDX not yet changed) */
    }
    uint32_t hit = lookup_target(e);
    PUT(e, 0x9d);                            /* popf */
    if (call) { PUT(e, 0x68); put32(e, ret); }
    stub_for(e, jmp_to, mem ? 6 : 2);        /* the emulator's jmp (the return address pushed) */
    land(e, hit);
    PUT(e, 0x9d);
    if (call) { PUT(e, 0x68); put32(e, ret); }
    put(e, jmp_to, mem ? 6 : 2);
}

/* out dx, al: to a port whose writes may wait, into the log: the task
 * file's, and COM1's THR while the copy says a write only sends. */
static void unit_out_dx(struct emit *e, uint32_t log, uint32_t logged)
{
    uint32_t uart = e->vif - BLOCK_FLAG_VIF + BLOCK_FLAG_UART_LSR;
    PUT(e, 0x9c, 0x50);                      /* pushf; push eax */
    if_ring3(e);
    PUT(e, 0x58);                            /* pop eax (the flags of the test stay) */
    uint32_t slow[4];
    slow[0] = jump(e, 0x75);
    PUT(e, 0x66, 0x81, 0xfa, BLOCK_UART_THR & 0xff, BLOCK_UART_THR >> 8);   /* cmp dx, THR */
    uint32_t not_thr = jump(e, 0x75);
    PUT(e, 0x36, 0xf6, 0x05);                /* test byte [ss:uart + 1], THR_LOG >> 8 */
    put32(e, uart + 1);
    PUT(e, BLOCK_UART_THR_LOG >> 8);
    slow[3] = jump(e, 0x74);                                           /* jz */
    uint32_t thr = jump(e, 0xeb);
    land(e, not_thr);
    PUT(e, 0x66, 0x81, 0xfa, BLOCK_LOG_LO & 0xff, BLOCK_LOG_LO >> 8);   /* cmp dx, LO */
    slow[1] = jump(e, 0x72);                                           /* jb */
    PUT(e, 0x66, 0x81, 0xfa, BLOCK_LOG_HI & 0xff, BLOCK_LOG_HI >> 8);   /* cmp dx, HI */
    slow[2] = jump(e, 0x77);                                           /* ja */
    land(e, thr);
    PUT(e, 0x53, 0x36, 0x8b, 0x1d);          /* push ebx; mov ebx, [ss:logged] */
    put32(e, logged);
    PUT(e, 0x83, 0xfb, BLOCK_LOG_MAX);       /* cmp ebx, MAX */
    uint32_t full = jump(e, 0x73);          /* jae */
    PUT(e, 0x36, 0x66, 0x89, 0x14, 0x9d);    /* mov [ss:log + ebx*4], dx */
    put32(e, log);
    PUT(e, 0x36, 0x88, 0x04, 0x9d);          /* mov [ss:log + 2 + ebx*4], al */
    put32(e, log + 2);
    PUT(e, 0x43, 0x36, 0x89, 0x1d);          /* inc ebx; mov [ss:logged], ebx */
    put32(e, logged);
    PUT(e, 0x5b, 0x9d);                      /* pop ebx; popf */
    uint32_t done = jump(e, 0xeb);
    land(e, full);
    PUT(e, 0x5b);
    for (unsigned i = 0; i < 4; i++)
        land(e, slow[i]);
    PUT(e, 0x9d);
    stub(e, 0xee);
    land(e, done);
}

/* push ebx; the log's next entry in EBX, or jae to land when it is full */
static uint32_t log_next(struct emit *e)
{
    PUT(e, 0x53, 0x36, 0x8b, 0x1d);          /* push ebx; mov ebx, [ss:logged] */
    put32(e, e->vif - BLOCK_FLAG_VIF + BLOCK_FLAG_LOGGED);
    PUT(e, 0x83, 0xfb, BLOCK_LOG_MAX);       /* cmp ebx, MAX */
    return jump(e, 0x73);                    /* jae */
}

/* push dword [ss:from]; pop dword [ss:to] */
static void copy_word(struct emit *e, uint32_t from, uint32_t to)
{
    PUT(e, 0x36, 0xff, 0x35);
    put32(e, from);
    PUT(e, 0x36, 0x8f, 0x05);
    put32(e, to);
}

/* mov dword [ss:to], value */
static void set_word(struct emit *e, uint32_t to, uint32_t value)
{
    PUT(e, 0x36, 0xc7, 0x05);
    put32(e, to);
    put32(e, value);
}

/* out 0x20, al or out 0xa0, al: a non-specific EOI (AL 0x20) to the master
 * or the slave into the log, the pending word as the host foresaw it for
 * after the EOI, and for the slave's, the EOI word as it foresaw it for
 * after the slave's and then the master's.  Each forecast is for one EOI
 * of each chip: the words this EOI did not use say "may be pending" after
 * it (a second EOI leaves at the next IF set). */
static void unit_eoi(struct emit *e, uint8_t port)
{
    uint32_t flags = e->vif - BLOCK_FLAG_VIF, slow[2];
    PUT(e, 0x9c, 0x50);                      /* pushf; push eax */
    if_ring3(e);
    PUT(e, 0x58);                            /* pop eax (the flags of the test stay) */
    slow[0] = jump(e, 0x75);
    PUT(e, 0x3c, 0x20);                      /* cmp al, 0x20 */
    slow[1] = jump(e, 0x75);
    uint32_t full = log_next(e);
    PUT(e, 0x36, 0x66, 0xc7, 0x04, 0x9d);    /* mov word [ss:log + ebx*4], port */
    put32(e, flags + BLOCK_FLAG_LOG);
    PUT(e, port, 0x00,
           0x36, 0x88, 0x04, 0x9d);          /* mov [ss:log + 2 + ebx*4], al */
    put32(e, flags + BLOCK_FLAG_LOG + 2);
    PUT(e, 0x43, 0x36, 0x89, 0x1d);          /* inc ebx; mov [ss:logged], ebx */
    put32(e, flags + BLOCK_FLAG_LOGGED);
    if (port == 0x20) {
        copy_word(e, flags + BLOCK_FLAG_EOI_PENDING, e->pending);
        set_word(e, flags + BLOCK_FLAG_EOI_PENDING, 1);
    } else {
        copy_word(e, flags + BLOCK_FLAG_SLAVE_PENDING, e->pending);
        copy_word(e, flags + BLOCK_FLAG_SLAVE_EOI_PENDING, flags + BLOCK_FLAG_EOI_PENDING);
    }
    set_word(e, flags + BLOCK_FLAG_SLAVE_PENDING, 1);
    set_word(e, flags + BLOCK_FLAG_SLAVE_EOI_PENDING, 1);
    PUT(e, 0x5b, 0x9d);                      /* pop ebx; popf */
    uint32_t done = jump(e, 0xeb);
    land(e, full);
    PUT(e, 0x5b);
    land(e, slow[0]);
    land(e, slow[1]);
    PUT(e, 0x9d);
    stub_for(e, (const uint8_t[]){ 0xe6, port }, 2);
    land(e, done);
}

/* in al, dx: from the ATA status register (0x1F7 or 0x3F6), the copy in
 * the flags page while nothing is logged and the copy says the read
 * changes nothing; from COM1's line status register (0x3FD) likewise,
 * whatever is logged (no logged write moves it). */
static void unit_in_dx(struct emit *e)
{
    uint32_t flags = e->vif - BLOCK_FLAG_VIF, slow[5];
    PUT(e, 0x9c, 0x50);                      /* pushf; push eax */
    if_ring3(e);
    slow[0] = jump(e, 0x75);
    PUT(e, 0x66, 0x81, 0xfa, BLOCK_UART_LSR & 0xff, BLOCK_UART_LSR >> 8);   /* cmp dx, LSR */
    uint32_t not_lsr = jump(e, 0x75);
    PUT(e, 0x36, 0xa1);                      /* mov eax, [ss:uart_lsr] */
    put32(e, flags + BLOCK_FLAG_UART_LSR);
    PUT(e, 0xf6, 0xc4, BLOCK_UART_TRAP >> 8);   /* test ah, TRAP */
    slow[4] = jump(e, 0x75);
    uint32_t lsr = jump(e, 0xeb);
    land(e, not_lsr);
    PUT(e, 0x66, 0x81, 0xfa, 0xf7, 0x01);    /* cmp dx, 0x1f7 */
    uint32_t status = jump(e, 0x74);
    PUT(e, 0x66, 0x81, 0xfa, 0xf6, 0x03);    /* cmp dx, 0x3f6 */
    slow[1] = jump(e, 0x75);
    land(e, status);
    PUT(e, 0x36, 0x83, 0x3d);                /* cmp dword [ss:logged], 0 */
    put32(e, flags + BLOCK_FLAG_LOGGED);
    PUT(e, 0x00);
    slow[2] = jump(e, 0x75);
    PUT(e, 0x36, 0xa1);                      /* mov eax, [ss:ata_status] */
    put32(e, flags + BLOCK_FLAG_ATA_STATUS);
    PUT(e, 0xf6, 0xc4, BLOCK_ATA_TRAP >> 8); /* test ah, TRAP */
    slow[3] = jump(e, 0x75);
    PUT(e, 0xf6, 0xc4, BLOCK_ATA_ACK >> 8);  /* test ah, ACK */
    uint32_t quiet = jump(e, 0x74);
    PUT(e, 0x66, 0x81, 0xfa, 0xf7, 0x01);    /* cmp dx, 0x1f7 (the alternate status acknowledges nothing) */
    uint32_t alt = jump(e, 0x75);
    uint32_t full = log_next(e);             /* the read's acknowledgement, for the host to replay */
    PUT(e, 0x36, 0xc7, 0x04, 0x9d);          /* mov dword [ss:log + ebx*4], { 0x1f7, 0, READ } */
    put32(e, flags + BLOCK_FLAG_LOG);
    put32(e, 0x1f7u | (uint32_t)BLOCK_LOG_READ << 24);
    PUT(e, 0x43, 0x36, 0x89, 0x1d);          /* inc ebx; mov [ss:logged], ebx */
    put32(e, flags + BLOCK_FLAG_LOGGED);
    PUT(e, 0x5b);                            /* pop ebx */
    land(e, quiet);
    land(e, alt);
    land(e, lsr);
    PUT(e, 0x88, 0x04, 0x24,                 /* mov [esp], al: into the saved EAX */
           0x58, 0x9d);                      /* pop eax; popf */
    uint32_t done = jump(e, 0xeb);
    land(e, full);
    PUT(e, 0x5b);                            /* pop ebx */
    for (unsigned i = 0; i < 5; i++)
        land(e, slow[i]);
    PUT(e, 0x58, 0x9d);
    stub(e, 0xec);
    land(e, done);
}

static void unit_code(struct emit *e, const struct block_plan *p, unsigned k)
{
    const uint8_t *insn = p->orig + p->unit[k].off;
    switch (p->unit[k].kind) {
    case UNIT_COPY: case UNIT_RET:
        put(e, insn, p->unit[k].length);
        break;
    case UNIT_JCC:                           /* 7x rel8 or 0F 8x rel32: 0F 8x rel32 */
        PUT(e, 0x0f, (uint8_t)(0x80 | ((insn[0] == 0x0f ? insn[1] : insn[0]) & 15)));
        rel32(e, p->unit[k].target);
        break;
    case UNIT_JMP:
        PUT(e, 0xe9);
        rel32(e, p->unit[k].target);
        break;
    case UNIT_CALL: case UNIT_CALL_INLINE:   /* the return address is the original one */
        PUT(e, 0x68);
        put32(e, p->head_lin + p->unit[k].off + p->unit[k].length);
        if (p->unit[k].kind == UNIT_CALL) {  /* (inline: the callee's units follow) */
            PUT(e, 0xe9);
            rel32(e, p->unit[k].target);
        }
        break;
    case UNIT_CLI: unit_cli_sti(e, false); break;
    case UNIT_STI: unit_cli_sti(e, true); break;
    case UNIT_PUSHF: unit_pushf(e); break;
    case UNIT_POPF: unit_popf(e); break;
    case UNIT_IRET: unit_iret(e); break;
    case UNIT_RET_SEEN: unit_ret_seen(e, insn, p->unit[k].length); break;
    case UNIT_OUT_DX: unit_out_dx(e, e->vif - BLOCK_FLAG_VIF + BLOCK_FLAG_LOG, e->vif - BLOCK_FLAG_VIF + BLOCK_FLAG_LOGGED); break;
    case UNIT_EOI: unit_eoi(e, 0x20); break;
    case UNIT_EOI_SLAVE: unit_eoi(e, 0xa0); break;
    case UNIT_IN_DX: unit_in_dx(e); break;
    case UNIT_CALL_SEEN: case UNIT_JMP_SEEN:
        unit_branch_seen(e, insn, p->head_lin + p->unit[k].off + p->unit[k].length, p->unit[k].kind == UNIT_CALL_SEEN);
        break;
    }
}

uint32_t blocks_emit(struct guest *g, const struct block_plan *p, struct site *stubs, size_t *nstubs)
{
    struct blocks *b = &g->blocks;
    static struct emit e;                    /* (under the guest kernel lock, or before the guest runs) */
    uint32_t at = CODE_BASE(b) + b->used;   /* (guest-physical; the code's addresses are linear) */
    e = (struct emit){ .at = blocks_lin(b, at), .vif = b->lin + BLOCK_FLAG_VIF,
                       .pending = b->lin + BLOCK_FLAG_PENDING, .tail = blocks_lin(b, b->tail),
                       .table = blocks_lin(b, BLOCKS_TARGETS(b)) };
    struct block rec = { .head = p->head, .head_lin = p->head_lin, .at = at, .len = p->len, .nunits = p->nunits,
                         .plan = *p };
    for (unsigned k = 0; k < p->nunits; k++) {
        rec.unit[k].code = (uint16_t)e.n;
        rec.unit[k].orig = p->unit[k].off;
        unit_code(&e, p, k);
        for (unsigned i = 0; i < e.ncont; i++) {    /* the unit's end: where its delivery returns */
            uint32_t after = e.at + e.n;
            memcpy(e.buf + e.cont[i], &after, 4);
        }
        e.ncont = 0;
    }
    rec.unit[p->nunits].code = (uint16_t)e.n;
    rec.unit[p->nunits].orig = p->len;
    if (!unit_ends(p->unit[p->nunits - 1].kind)) {
        PUT(&e, 0xe9);                       /* back to the guest's code after the patch */
        rel32(&e, p->head_lin + p->len);
    }
    if (e.overflow)
        return 0;
    rec.size = (uint16_t)e.n;
    unsigned last = p->unit[p->nunits - 1].kind;
    rec.branch = last == UNIT_RET_SEEN || last == UNIT_CALL_SEEN || last == UNIT_JMP_SEEN;
    if (b->used + e.n > CODE_ROOM)
        return 0;
    if (!kgrow((void **)&b->b, &b->cap, b->n, b->n + 1, sizeof *b->b, 256))
        return 0;
    b->b[b->n++] = rec;
    b->made++;
    memcpy(g->ram + at, e.buf, e.n);
    b->used += (e.n + 15) & ~15u;
    b->peak = b->used > b->peak ? b->used : b->peak;
    for (unsigned i = 0; i < e.nstubs; i++) {
        struct site *s = &stubs[i];
        *s = (struct site){ .addr = at + e.stub[i], .kind = SITE_PATCH, .len = e.stub_len[i] };
        memcpy(s->orig, e.stub_insn[i], e.stub_len[i]);
    }
    *nstubs = e.nstubs;
    return e.at;
}

void blocks_jump(uint8_t *code, uint32_t head, uint32_t len, uint32_t at)
{
    uint32_t rel = at - (head + 5);
    code[0] = 0xe9;
    memcpy(code + 1, &rel, 4);
    memset(code + 5, 0xf4, len - 5);
}

void blocks_truncate(struct guest *g, size_t keep)
{
    struct blocks *b = &g->blocks;
    if (keep >= b->n)
        return;
    b->used = b->b[keep].at - CODE_BASE(b);
    b->made -= b->n - keep;
    memset(g->ram + b->b[keep].at, 0xf4, CODE_ROOM - b->used);
    b->n = keep;
}

/* The tail of every delivery by a block: IF as the gate leaves it and the
 * jump to the handler are code, written by the host when it arms (so the
 * guest cannot choose where it jumps), and only when they change: a code
 * write makes every CPU (and QEMU's translator, which stops all vCPUs for
 * it) drop what it knew of that page, and arming comes with nearly every
 * interrupt.  The pending and EOI words to leave, which change at every
 * arming, are copied from words of the flags page (the guest's to forge,
 * as it can set its own IF).  Then the interrupt is marked taken. */

bool blocks_emit_tail(struct guest *g)
{
    struct blocks *b = &g->blocks;
    static struct emit e;
    uint32_t used = (b->used + 4095) & ~4095u, at = CODE_BASE(b) + used, f = b->lin;
    if (used + 4096 > CODE_ROOM)
        return false;
    e = (struct emit){ .at = blocks_lin(b, at), .vif = f + BLOCK_FLAG_VIF };
    set_vif(&e, 0);                                                           /* +0 */
    copy_word(&e, f + BLOCK_FLAG_PENDING_AFTER, f + BLOCK_FLAG_PENDING);      /* +11 */
    copy_word(&e, f + BLOCK_FLAG_EOI_AFTER, f + BLOCK_FLAG_EOI_PENDING);      /* +25 */
    copy_word(&e, f + BLOCK_FLAG_SLAVE_AFTER, f + BLOCK_FLAG_SLAVE_PENDING);  /* +39 */
    copy_word(&e, f + BLOCK_FLAG_SLAVE_EOI_AFTER, f + BLOCK_FLAG_SLAVE_EOI_PENDING);   /* +53 */
    set_word(&e, f + BLOCK_FLAG_TAKEN, 1);                                    /* +67 */
    PUT(&e, 0xe9);                                                            /* +78 */
    rel32(&e, e.at);
    memcpy(g->ram + at, e.buf, e.n);
    b->tail = at;
    b->used = used + 4096;                   /* a page of its own: the host writes it */
    return true;
}
