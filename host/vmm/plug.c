/*
 * How the hypervisor plugs into the core, which names none of it
 * (kernel/initcall.h, kernel/cmdline.h): it owns the traps from rings 1-3,
 * adds its monitor commands and its command-line words, starts the guest
 * the command line names and, with oneshot, makes that guest's end the
 * machine's.  (A vCPU thread's switch and
 * preemption hooks are set by vcpu_run, host/vmm/vcpu.c.)
 */
#include "host/vmm/guest.h"
#include "host/vmm/vcpu.h"
#include "kernel/cmdline.h"
#include "kernel/console.h"
#include "kernel/initcall.h"
#include "kernel/power.h"
#include "kernel/trap.h"

static char guest_name[GUEST_NAME];   /* guest=NAME: run NAME.elf from the boot modules */
static char guest_args[256];          /* guestarg=WORD, repeatable: the guest's command line */
static char guest_disk[GUEST_NAME + 16]; /* guestdisk=FILE: its disk module; empty = NAME-disk.img */
static uint64_t guest_mem;            /* guestmem=SIZE (128M, 1G): its RAM; 0 = GUEST_RAM_DEFAULT */
static bool oneshot;                  /* power off with the guest's status when it ends */

static const char *set_guest(const char *v, size_t n)
{
    return cmdline_copy(guest_name, sizeof guest_name, v, n) ? 0 : "wants an image name";
}
CMDLINE_OPTION("guest", true, set_guest);

static const char *add_guest_arg(const char *v, size_t n)
{
    return cmdline_append(guest_args, sizeof guest_args, v, n) ? 0 : "guest command line too long";
}
CMDLINE_OPTION("guestarg", true, add_guest_arg);

/* Variants of one image (stripped, another build) share one disk module:
 * GRUB reads every module at each boot, 4 MiB each. */
static const char *set_guest_disk(const char *v, size_t n)
{
    return cmdline_copy(guest_disk, sizeof guest_disk, v, n) ? 0 : "wants a module name";
}
CMDLINE_OPTION("guestdisk", true, set_guest_disk);

static const char *set_guest_mem(const char *v, size_t n)
{
    uint64_t bytes;
    if (!cmdline_size(v, n, &bytes) || !bytes)
        return "wants a size with its unit, such as 128M or 1G";
    guest_mem = bytes;
    return 0;
}
CMDLINE_OPTION("guestmem", true, set_guest_mem);

static const char *set_oneshot(const char *v, size_t n)
{
    (void)v, (void)n;
    oneshot = true;
    return 0;
}
CMDLINE_OPTION("oneshot", false, set_oneshot);

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
    if (guest_name[0])
        started = guest_start(guest_name, guest_disk, guest_args, guest_mem);
}
INITCALL(INIT_START, vmm_start);

static void vmm_oneshot(void)
{
    if (!started || !oneshot)
        return;
    int status = guest_wait_all();
    kprintf("peel: oneshot: the guest ended with status %d\n", status);
    qemu_exit(status < 0 ? EXIT_PANIC : status);     /* QEMU exits (status << 1) | 1 */
    power_off();
}
INITCALL(INIT_WAIT, vmm_oneshot);
