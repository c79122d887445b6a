/* One-line wrappers for the privileged and I/O instructions (xv6 x86.h).
 * They are the only inline functions in classic: everything a host may want
 * to replace is an out-of-line global function instead.  The critical
 * section idiom is the legacy one, `pushf; cli ... popf`: the saved EFLAGS
 * carries IF, so sections nest without a counter. */
#ifndef CLASSIC_X86_H
#define CLASSIC_X86_H
#include "types.h"

#define X86_INLINE static inline __attribute__((always_inline))
#define EFLAGS_IF 0x200u

X86_INLINE uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

X86_INLINE void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

X86_INLINE uint16_t inw(uint16_t port)
{
    uint16_t v;
    __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

X86_INLINE void insw(uint16_t port, void *buf, uint32_t words)
{
    __asm__ volatile("cld; rep insw" : "+D"(buf), "+c"(words) : "d"(port) : "memory");
}

X86_INLINE void outsw(uint16_t port, const void *buf, uint32_t words)
{
    __asm__ volatile("cld; rep outsw" : "+S"(buf), "+c"(words) : "d"(port) : "memory");
}

X86_INLINE void cli(void) { __asm__ volatile("cli" ::: "memory"); }
X86_INLINE void sti(void) { __asm__ volatile("sti" ::: "memory"); }

/* `sti; hlt` back to back: STI's one-instruction interrupt shadow means no
 * interrupt can slip in between the check the caller made and the halt. */
X86_INLINE void sti_hlt(void) { __asm__ volatile("sti; hlt" ::: "memory"); }
X86_INLINE void hlt(void) { __asm__ volatile("hlt" ::: "memory"); }

X86_INLINE uint32_t read_eflags(void)
{
    uint32_t f;
    __asm__ volatile("pushfl; popl %0" : "=r"(f));
    return f;
}

/* Enter a critical section: remember IF, then disable interrupts. */
X86_INLINE uint32_t irq_save(void)
{
    uint32_t f;
    __asm__ volatile("pushfl; popl %0; cli" : "=r"(f) : : "memory");
    return f;
}

/* Leave it: POPF puts IF back the way irq_save found it. */
X86_INLINE void irq_restore(uint32_t f)
{
    __asm__ volatile("pushl %0; popfl" : : "r"(f) : "memory", "cc");
}

struct x86_dtr {
    uint16_t limit;
    uint32_t base;
} __attribute__((packed));

X86_INLINE void lgdt(const struct x86_dtr *d) { __asm__ volatile("lgdt %0" : : "m"(*d)); }
X86_INLINE void lidt(const struct x86_dtr *d) { __asm__ volatile("lidt %0" : : "m"(*d)); }

#endif
