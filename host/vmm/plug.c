/*
 * How the hypervisor plugs into the core, which names none of it
 * (kernel/initcall.h): it owns the traps from rings 1-3, adds its monitor
 * commands, starts the guest the command line names and, with oneshot,
 * makes that guest's end the machine's.  (A vCPU thread's switch and
 * preemption hooks are set by vcpu_run, host/vmm/vcpu.c.)
 */
#include "host/vmm/guest.h"
#include "host/vmm/vcpu.h"
#include "kernel/cmdline.h"
#include "kernel/console.h"
#include "kernel/initcall.h"
#include "kernel/power.h"
#include "kernel/trap.h"

static const struct trap_client vmm_traps = { vcpu_trap, vcpu_return_failed };

static void vmm_plug(void)
{
    trap_set_client(&vmm_traps);
    guest_monitor_init();
}
INITCALL(INIT_PLUG, vmm_plug);

static struct guest *started;

static void vmm_start(void)
{
    if (cmdline.guest[0])
        started = guest_start(cmdline.guest, cmdline.guest_args, cmdline.peel, cmdline.guest_mem);
}
INITCALL(INIT_START, vmm_start);

static void vmm_oneshot(void)
{
    if (!started || !cmdline.oneshot)
        return;
    int status = guest_wait_all();
    kprintf("peel: oneshot: the guest ended with status %d\n", status);
    qemu_exit(status < 0 ? EXIT_PANIC : status);     /* QEMU exits (status << 1) | 1 */
    power_off();
}
INITCALL(INIT_WAIT, vmm_oneshot);
