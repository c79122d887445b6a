#include "tests/ktest/util.h"
#include "kernel/heap.h"

unsigned kt_run_on_each_cpu(void (*fn)(void *), void *arg, unsigned per_cpu)
{
    unsigned n = ncpus * per_cpu, failed = 0;
    struct thread **t = kzalloc(n * sizeof *t);
    if (!t)
        return n;
    for (unsigned i = 0; i < n; i++) {
        t[i] = thread_create_on("kt-worker", fn, arg, (cpumask_t)1 << (i % ncpus));
        failed += !t[i];
    }
    for (unsigned i = 0; i < n; i++)
        if (t[i]) thread_join(t[i]);
    kfree(t);
    return failed;
}
