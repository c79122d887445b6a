/*
 * Do the natives' layouts describe this guest's image?  They were generated
 * at build time from one build of classic (layout.h); the image a guest
 * runs is whatever the boot modules hold.  Its GNU build ID (loader/note.c)
 * must be the one the layouts record, or every offset the natives use may
 * be wrong: then their peels are refused, and the guest runs its own code.
 */
#include "host/natives/classic/layout.h"
#include "host/vmm/guest.h"
#include "host/peel/natives.h"
#include "host/peel/peel.h"
#include "kernel/printf.h"
#include "kernel/string.h"
#include "loader/note.h"

const char *classic_layout_check(struct guest *g)
{
    static char why[64 + 2 * ELF32_BUILD_ID_MAX + sizeof LAYOUT_BUILD_ID];
    const uint8_t *id;
    size_t n = elf32_build_id(&g->elf, &id);
    char hex[2 * ELF32_BUILD_ID_MAX + 1] = "none";
    if (n)
        elf32_build_id_hex(id, n, hex);
    if (n && !strcmp(hex, LAYOUT_BUILD_ID))
        return 0;
    snprintf(why, sizeof why, "its layouts were generated from build ID %s, the image has %s", LAYOUT_BUILD_ID, hex);
    return why;
}
