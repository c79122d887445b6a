/* Thread objects: creation, exit, join, affinity and the global list. */
#include "sched/thread.h"
#include "sched/priv.h"
#include "kernel/heap.h"
#include "kernel/pmm.h"
#include "kernel/string.h"
#include "kernel/panic.h"

static struct spinlock threads_lock = SPINLOCK_INIT("threads");
static struct list all_threads = LIST_INIT(all_threads);
static uint64_t next_tid = 1, nthreads;

const char *thread_state_name(enum thread_state s)
{
    static const char *const names[] = { "runnable", "running", "sleeping", "zombie", "dead" };
    return s <= T_DEAD ? names[s] : "?";
}

static void init_common(struct thread *t, const char *name, cpumask_t affinity)
{
    strncpy_safe(t->name, name, sizeof t->name);
    t->tid = __atomic_fetch_add(&next_tid, 1, __ATOMIC_RELAXED);
    t->rq.affinity = affinity;
    t->migrate_to = -1;
    list_init(&t->rq.link);
    list_init(&t->wait_link);
    list_init(&t->timer_link);
    waitq_init(&t->joiners, "join");
    spin_lock_irq(&threads_lock);
    list_push_back(&all_threads, &t->all_link);
    nthreads++;
    spin_unlock_irq(&threads_lock);
}

struct thread *thread_create_on(const char *name, void (*fn)(void *), void *arg, cpumask_t affinity)
{
    if (!(affinity & cpus_online()))
        return 0;
    struct thread *t = kzalloc(sizeof *t);
    if (!t)
        return 0;
    t->stack = page_alloc(THREAD_STACK_PAGES);
    if (!t->stack) {
        kfree(t);
        return 0;
    }
    t->fn = fn;
    t->arg = arg;
    thread_stack_init(t, thread_trampoline);
    init_common(t, name, affinity);
    t->state = T_RUNNABLE;
    sched_place(t);
    return t;
}

struct thread *thread_create(const char *name, void (*fn)(void *), void *arg)
{
    return thread_create_on(name, fn, arg, CPUMASK_ALL);
}

void thread_adopt_boot(struct thread *t, const char *name)
{
    struct cpu *c = this_cpu();
    init_common(t, name, (cpumask_t)1 << c->id);
    t->state = T_RUNNING;
    t->idle = true;
    t->cpu = c->id;
    t->ran_on = (cpumask_t)1 << c->id;
    c->current = c->idle = t;
}

void thread_free(struct thread *t)
{
    spin_lock_irq(&threads_lock);
    list_remove(&t->all_link);
    nthreads--;
    spin_unlock_irq(&threads_lock);
    page_free(t->stack, THREAD_STACK_PAGES);
    kfree(t);
}

void thread_exit(int code)
{
    struct thread *t = current_thread();
    if (t->idle)
        panic("the idle thread of cpu %u tried to exit", t->cpu);
    t->exit_code = code;
    spin_lock_irq(&t->joiners.lock);
    t->state = T_ZOMBIE;
    schedule(&t->joiners.lock);        /* finish_switch -> thread_finish_exit */
    panic("zombie %s ran again", t->name);
}

/* Runs on the exited thread's CPU once it is off its stack. */
void thread_finish_exit(struct thread *t)
{
    spin_lock_irq(&t->joiners.lock);
    if (t->detached) {
        spin_unlock_irq(&t->joiners.lock);
        thread_free(t);
        return;
    }
    __atomic_store_n(&t->state, T_DEAD, __ATOMIC_RELEASE);
    waitq_wake_all_locked(&t->joiners);
    spin_unlock_irq(&t->joiners.lock);
}

void thread_detach(struct thread *t)
{
    spin_lock_irq(&t->joiners.lock);
    bool dead = t->state == T_DEAD;
    t->detached = true;
    spin_unlock_irq(&t->joiners.lock);
    if (dead)
        thread_free(t);
}

int thread_join(struct thread *t)
{
    spin_lock_irq(&t->joiners.lock);
    while (t->state != T_DEAD)
        waitq_sleep(&t->joiners, &t->joiners.lock);
    spin_unlock_irq(&t->joiners.lock);
    int code = t->exit_code;
    thread_free(t);
    return code;
}

void thread_set_affinity(cpumask_t mask)
{
    struct thread *t = current_thread();
    t->rq.affinity = mask;
    if (!(mask & ((cpumask_t)1 << t->cpu)))
        thread_yield();                 /* schedule() hands us to an allowed CPU */
}

/* Only this CPU calls the hooks, but a tick may come between the two
 * stores: hooks are never seen without their data (ext first when setting,
 * hooks first when clearing; the fences keep the compiler to that). */
void thread_set_hooks(const struct thread_hooks *hooks, void *ext)
{
    struct thread *t = current_thread();
    if (hooks)
        t->ext = ext;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    t->hooks = hooks;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    t->ext = ext;
}

uint64_t thread_count(void) { return __atomic_load_n(&nthreads, __ATOMIC_RELAXED); }

void thread_for_each(thread_visit_t fn, void *arg)
{
    spin_lock_irq(&threads_lock);
    struct list *l;
    list_for_each(l, &all_threads)
        fn(container_of(l, struct thread, all_link), arg);
    spin_unlock_irq(&threads_lock);
}
