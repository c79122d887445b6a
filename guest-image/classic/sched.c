/* sched: threads, context switch, sleep/wakeup on channels (V6 Unix
 * style), preemption.  Thread 0 is the boot context, which becomes the idle
 * thread: it runs only when nothing else can, and halts the CPU there. */
#include "sched.h"
#include "console.h"
#include "exit.h"
#include "klib.h"
#include "mm.h"
#include "x86.h"

#define STACK_MAGIC 0x57ac4b1du    /* at the bottom of every thread stack */

struct thread sched_threads[SCHED_NTHREADS];
struct thread *sched_current;
struct thread *sched_idle_thread;
volatile int sched_need_resched;
uint32_t sched_quantum_left;
uint32_t sched_context_switches;
uint32_t sched_preemptions;     /* switches forced by the timer */
uint32_t sched_next_id;

extern uint8_t boot_stack[];    /* entry.asm */

API __init void sched_init(void)
{
    struct thread *t = &sched_threads[0];
    t->state = T_RUNNING;
    t->id = sched_next_id++;
    strncpy(t->name, "idle", sizeof t->name - 1);
    t->stack = boot_stack;
    *(uint32_t *)boot_stack = STACK_MAGIC;
    sched_current = sched_idle_thread = t;
    sched_quantum_left = SCHED_QUANTUM;
}

static void check_stack(struct thread *t)
{
    if (*(uint32_t *)t->stack != STACK_MAGIC)
        panic("sched: stack overflow in thread '%s'", t->name);
}

/* Round robin from the thread after the current one; idle only when
 * nothing else is runnable.  Called with interrupts off. */
static struct thread *pick_next(void)
{
    uint32_t start = (uint32_t)(sched_current - sched_threads);
    for (uint32_t i = 1; i <= SCHED_NTHREADS; i++) {
        struct thread *t = &sched_threads[(start + i) % SCHED_NTHREADS];
        if (t != sched_idle_thread && t->state == T_RUNNABLE)
            return t;
    }
    return sched_idle_thread;
}

/* Give the CPU to the next thread.  The current thread's state has
 * already been set (RUNNABLE, SLEEPING or ZOMBIE).  Interrupts are off. */
static void reschedule(void)
{
    struct thread *prev = sched_current, *next = pick_next();
    check_stack(prev);
    sched_need_resched = 0;
    sched_quantum_left = SCHED_QUANTUM;
    if (next == prev) {
        prev->state = T_RUNNING;
        return;
    }
    if (prev->state == T_RUNNING)
        prev->state = T_RUNNABLE;
    next->state = T_RUNNING;
    next->switches++;
    sched_context_switches++;
    sched_current = next;
    sched_swtch(&prev->sp, next->sp);
}

API struct thread *sched_spawn(const char *name, void (*fn)(void *), void *arg)
{
    uint32_t f = irq_save();
    struct thread *t = NULL;
    for (int i = 1; i < SCHED_NTHREADS && !t; i++)
        if (sched_threads[i].state == T_FREE)
            t = &sched_threads[i];
    if (!t)
        panic("sched: no free thread slot for '%s'", name);
    t->stack = mm_page_alloc(SCHED_STACK_PAGES);
    if (!t->stack)
        panic("sched: no memory for the stack of '%s'", name);
    *(uint32_t *)t->stack = STACK_MAGIC;
    /* Initial stack, read by sched_swtch then sched_trampoline:
     * EDI ESI EBX EBP, return address, entry function, its argument. */
    uint32_t *sp = (uint32_t *)((uint8_t *)t->stack + SCHED_STACK_PAGES * MM_PAGE_SIZE);
    *--sp = (uint32_t)arg;
    *--sp = (uint32_t)fn;
    *--sp = (uint32_t)sched_trampoline;
    for (int i = 0; i < 4; i++)
        *--sp = 0;
    t->sp = sp;
    t->id = sched_next_id++;
    memset(t->name, 0, sizeof t->name);
    strncpy(t->name, name, sizeof t->name - 1);
    t->chan = NULL;
    t->switches = 0;
    t->state = T_RUNNABLE;
    irq_restore(f);
    return t;
}

API NORETURN void sched_exit(void)
{
    cli();
    if (sched_current == sched_idle_thread)
        panic("sched: idle thread exited");
    sched_current->state = T_ZOMBIE;
    sched_wakeup(sched_current);    /* a joiner sleeps on the thread itself */
    reschedule();
    panic("sched: zombie '%s' ran again", sched_current->name);
}

/* Wait for t to exit, then free its stack and slot. */
API void sched_join(struct thread *t)
{
    uint32_t f = irq_save();
    while (t->state != T_ZOMBIE)
        sched_sleep(t);
    mm_page_free(t->stack, SCHED_STACK_PAGES);
    t->stack = NULL;
    t->state = T_FREE;
    irq_restore(f);
}

API void sched_yield(void)
{
    uint32_t f = irq_save();
    sched_current->state = T_RUNNABLE;
    reschedule();
    irq_restore(f);
}

/* From the timer interrupt, after EOI: switch away from the interrupted
 * thread.  It resumes here later and IRET returns it to where it was. */
API void sched_preempt(void)
{
    sched_preemptions++;
    sched_yield();
}

API void sched_sleep(void *chan)
{
    if (read_eflags() & EFLAGS_IF)
        panic("sched_sleep(%p) with interrupts enabled in '%s'", chan, sched_current->name);
    if (sched_current == sched_idle_thread)
        panic("sched: the idle thread may not sleep");
    sched_current->chan = chan;
    sched_current->state = T_SLEEPING;
    reschedule();
    sched_current->chan = NULL;
}

API void sched_wakeup(void *chan)
{
    uint32_t f = irq_save();
    for (int i = 0; i < SCHED_NTHREADS; i++) {
        struct thread *t = &sched_threads[i];
        if (t->state == T_SLEEPING && t->chan == chan)
            t->state = T_RUNNABLE;
    }
    irq_restore(f);
}

/* Timer interrupt: count down the running thread's slice.  The idle
 * thread needs no slice: it yields itself after every halt. */
API void sched_tick(void)
{
    if (sched_current != sched_idle_thread && --sched_quantum_left == 0)
        sched_need_resched = 1;
}

/* The boot thread ends here.  Check for work with interrupts off, then
 * halt with STI;HLT so a wakeup cannot slip between check and halt. */
API NORETURN void sched_idle(void)
{
    for (;;) {
        cli();
        if (pick_next() == sched_idle_thread)
            sti_hlt();
        sti();
        sched_yield();
    }
}

API void sched_mutex_lock(struct sched_mutex *m)
{
    uint32_t f = irq_save();
    if (m->locked && m->owner == sched_current)
        panic("sched: '%s' locks mutex %s twice", sched_current->name, m->name);
    while (m->locked)
        sched_sleep(m);
    m->locked = 1;
    m->owner = sched_current;
    irq_restore(f);
}

API void sched_mutex_unlock(struct sched_mutex *m)
{
    uint32_t f = irq_save();
    if (!m->locked || m->owner != sched_current)
        panic("sched: '%s' unlocks mutex %s it does not hold", sched_current->name, m->name);
    m->locked = 0;
    m->owner = NULL;
    sched_wakeup(m);
    irq_restore(f);
}
