/*
 * Port I/O the guest kernel traps on: in/out and ins/outs (rep or not),
 * counted per port for `guest N stats`, carried out against the virtual
 * devices (host/vmm/vdevs.c); string buffers through gmem.
 */
#include "host/vmm/emulate_ops.h"
#include "host/vmm/vcpu.h"
#include "host/vmm/guest.h"
#include "host/vmm/vdevs.h"
#include "host/vmm/gmem.h"
#include "host/vmm/segment.h"
#include "host/decode/decode.h"
#include "kernel/x86.h"

static void count_io(struct vcpu *v, uint16_t port, bool is_in, uint64_t n)
{
    unsigned i = 0;
    while (i < v->nio && v->io[i].port != port) i++;
    if (i == v->nio) {
        if (v->nio == sizeof v->io / sizeof v->io[0]) { v->io_other += n; return; }
        v->io[v->nio++].port = port;
    }
    if (is_in) v->io[i].in += n; else v->io[i].out += n;
}

/* The port an in/out/ins/outs names (imm8 or DX) and its width in bytes. */
static uint16_t io_port(const struct insn *in, const struct trapframe *tf, unsigned *size)
{
    *size = in->opcode & 1 ? in->op_size / 8 : 1;
    return (in->opcode & 0xf8) == 0xe0 ? (uint16_t)in->imm : (uint16_t)tf->rdx;
}

/* May guest ring 3 run this port access?  Its IOPL is 0 (the host keeps
 * no other: Linux's iopl(3) is an all-ports bitmap anyway), so the I/O
 * permission bitmap of the guest's TSS decides, as on the CPU (SDM Vol. 1,
 * 19.5.2): the bitmap's offset is the word at 0x66; the two bytes holding
 * the port's bit must lie within the TSS's limit, and the bits of every
 * port the access touches must be clear.  The TSS is read as the CPU reads
 * it, with supervisor rights; any fault reading it is a #GP of the access. */
bool emulate_io_permitted(struct vcpu *v, const struct insn *in, const struct trapframe *tf)
{
    if (in->cls != INSN_IN && in->cls != INSN_OUT && in->cls != INSN_INS && in->cls != INSN_OUTS)
        return false;
    unsigned size;
    uint16_t port = io_port(in, tf, &size), map;
    uint8_t bits[2];
    struct gfault f;
    if (sel_null(v->tr) || v->tr_limit < 0x67 ||
        !gmem_read_lin(v, v->tr_base + 0x66, &map, 2, GMEM_READ, false, &f))
        return false;
    uint32_t at = (uint32_t)map + port / 8;
    if (at + 1 > v->tr_limit || !gmem_read_lin(v, v->tr_base + at, bits, 2, GMEM_READ, false, &f))
        return false;
    unsigned want = ((1u << size) - 1) << (port & 7);
    return ((bits[0] | bits[1] << 8) & want) == 0;
}

/* One in or out: a single device access, bounded by the device model. */
void emulate_io(struct vcpu *v, const struct insn *in, struct trapframe *tf)
{
    unsigned size;
    uint16_t port = io_port(in, tf, &size);
    count_io(v, port, in->cls == INSN_IN, 1);
    if (in->cls == INSN_IN)
        emulate_set_reg(tf, REG_AX, size, vdevs_in(v->guest, port, size));
    else
        vdevs_out(v->guest, port, size, (uint32_t)tf->rax);
}

/* Elements a rep ins/outs moves per trap.  The whole trap runs with host
 * interrupts off (the host's gates are interrupt gates), and an element
 * costs 70 to 300 ns under TCG (a 48 MiB rep insb held a CPU 3.4 s when the
 * count ran whole): 512 of them take some 40 to 150 us, and are still a
 * whole ATA sector at any element size, so a disk driver's rep insw stays
 * one trap.  A chunk also ends at an element that completed a console line,
 * which alone costs the host ~0.4 ms: one line per trap, as for `out`
 * (vdevs_ins and vdevs_outs stop there). */
#define STRING_IO_CHUNK 512u

/* ins/outs.  A rep moves at most STRING_IO_CHUNK elements (one while the
 * guest single-steps, which traps after each iteration) and, if more are
 * left, returns STRING_MORE with EIP still on the instruction and ECX,
 * ESI/EDI advanced, as a CPU leaves a rep string instruction an interrupt
 * cuts short: the guest executes it again, and the host's timer and IPIs
 * get in between.  DF=1 runs the buffer downward.  With 16-bit addressing
 * the count and pointer are CX and SI/DI; a chunk stops where the pointer
 * would wrap.  The buffer is ES:EDI for ins, DS (or the override):ESI for
 * outs, through gmem: a chunk that leaves the segment shrinks to its first
 * element, which faults as the CPU's would; with paging on a chunk stays
 * in the page of its first element, so a fault stops it exactly there.  An
 * ins chunk's pages are translated for writing before the port is read,
 * so a fault loses no input.  A chunk in one run of guest RAM (paging off,
 * or one page) moves in place; one across two pages through a copy. */
enum string_end emulate_string_io(struct vcpu *v, const struct insn *in, struct trapframe *tf)
{
    unsigned size = in->opcode & 1 ? in->op_size / 8 : 1;
    bool rep = in->prefixes & (PFX_REP | PFX_REPNE), is_in = in->cls == INSN_INS, down = tf->rflags & EFLAGS_DF;
    uint32_t mask = in->addr_size == 16 ? 0xffffu : 0xffffffffu;
    uint64_t *ptr_reg = is_in ? &tf->rdi : &tf->rsi;
    uint32_t ptr = (uint32_t)*ptr_reg & mask, left = rep ? (uint32_t)tf->rcx & mask : 1;
    uint32_t n = left < STRING_IO_CHUNK ? left : STRING_IO_CHUNK;
    if ((tf->rflags & EFLAGS_TF) && n)
        n = 1;
    uint64_t room = down ? ptr / size + 1 : ((uint64_t)mask + 1 - ptr + size - 1) / size;
    n = n < room ? n : (uint32_t)room;
    unsigned seg = is_in ? SEG_ES : in->mem.seg;
    uint64_t d = vcpu_seg_cache(v, seg);
    bool user = (tf->cs & 3) == 3;
    enum gmem_access a = is_in ? GMEM_WRITE : GMEM_READ;
    uint8_t bounce[STRING_IO_CHUNK * 4], *buf = 0;   /* guest RAM itself where it is one run */
    uint32_t lin = 0;
    struct gfault f;
    if (n) {
        /* element i lies at ptr + i * size, or ptr - i * size: the lowest of them */
        uint32_t span = n * size, low = down ? ptr + size - span : ptr;
        if (!gmem_linear_desc(d, seg == SEG_SS, low, span, a, &lin, &f)) {
            n = 1;
            span = size;
            low = ptr;
            if (!gmem_linear_desc(d, seg == SEG_SS, low, span, a, &lin, &f)) { gmem_reflect(v, tf, &f); return STRING_FAULTED; }
        }
        if ((v->cr0 & CR0_PG) && n > 1) {
            uint32_t first = desc_base(d) + ptr, in_page = first & 4095;
            uint32_t fit = down ? in_page / size + 1 : (4096 - in_page) / size;
            if (fit && n > fit) {
                n = fit;
                span = n * size;
                low = down ? ptr + size - span : ptr;
                lin = desc_base(d) + low;
            }
        }
        buf = gmem_direct(v, lin, span, is_in, user, &f);
        bool ok = buf || (f.vector == GFAULT_SPLIT &&
                          (is_in ? gmem_probe_lin(v, lin, span, true, user, &f)
                                 : gmem_read_lin(v, lin, bounce, span, GMEM_READ, user, &f)));
        if (!ok) { gmem_reflect(v, tf, &f); return STRING_FAULTED; }
    }
    uint8_t *at = buf ? buf : bounce;
    uint16_t port = (uint16_t)tf->rdx;
    uint32_t done = !n ? 0 : is_in ? vdevs_ins(v->guest, port, size, at, n, down)
                                   : vdevs_outs(v->guest, port, size, at, n, down);
    if (is_in && done && !buf) {                      /* the moved elements: the top of the buffer if down */
        uint32_t skip = down ? (n - done) * size : 0;
        if (!gmem_write_lin(v, lin + skip, bounce + skip, done * size, user, &f)) { gmem_reflect(v, tf, &f); return STRING_FAULTED; }
    }
    count_io(v, port, is_in, done);
    uint32_t moved = down ? ptr - done * size : ptr + done * size;
    *ptr_reg = ((uint32_t)*ptr_reg & ~mask) | (moved & mask);
    if (rep)
        tf->rcx = ((uint32_t)tf->rcx & ~mask) | ((left - done) & mask);
    return !rep || left == done ? STRING_DONE : STRING_MORE;
}
