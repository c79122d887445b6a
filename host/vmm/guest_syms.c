/*
 * A guest's symbols, wherever they come from: the image's own ELF symbol
 * table, or — for a stripped image — the symbol map shipped beside it as
 * the boot module NAME.map (nm's output, loader/symmap.h).  The scan's start
 * points, the peels and the profiler all ask here, so a stripped image
 * with its map is hosted and peeled like one that kept its symbols.
 */
#include "host/vmm/guest.h"
#include "loader/symmap.h"
#include "kernel/console.h"
#include "kernel/heap.h"

#define SHN_ABS 0xfff1

static bool from_map(const struct symmap_sym *s, struct elf32_symbol *out)
{
    /* The map does not say which section a symbol is in: any nonzero
     * shndx means "defined", which is all the host asks. */
    *out = (struct elf32_symbol){
        .name = s->name, .value = s->addr, .size = s->size,
        .type = s->kind == SYMMAP_FUNC ? ELF32_STT_FUNC : s->kind == SYMMAP_OBJECT ? ELF32_STT_OBJECT
                                                                                  : ELF32_STT_NOTYPE,
        .bind = s->global,                           /* STB_GLOBAL 1, STB_LOCAL 0 */
        .shndx = s->type == 'A' || s->type == 'a' ? SHN_ABS : 1,
    };
    return true;
}

static bool own_symbols(const struct guest *g)
{
    return elf32_symbol_count(&g->elf) > 1;          /* index 0 is ELF's null symbol */
}

static size_t own_functions(const struct guest *g)
{
    size_t n = 0;
    struct elf32_symbol s;
    for (size_t i = 0; i < elf32_symbol_count(&g->elf); i++)
        n += elf32_symbol(&g->elf, i, &s) && s.type == ELF32_STT_FUNC;
    return n;
}

/* After the image is open: its own symbol table if it has one, else the
 * map (text, len; NULL if there is no NAME.map).  A map that does not parse
 * is refused as a whole with its line number, like a bad manifest: its
 * addresses cannot be trusted, for peels or for the scan.  The guest then
 * has no symbols, as a stripped image without a map: nothing can be peeled,
 * and code reached only through pointers is not scanned (docs/hosting.md). */
void guest_symbols_load(struct guest *g, const char *map, size_t len)
{
    if (own_symbols(g)) {
        kprintf("guest %s: symbols from its ELF symbol table (%zu functions)%s\n", g->name, own_functions(g),
                map ? "; its .map is not needed" : "");
        return;
    }
    if (!map) {
        kprintf("guest %s: no symbols (a stripped image and no %s.map): the scan starts at the entry "
                "point only, and nothing can be peeled\n", g->name, g->name);
        return;
    }
    char err[96];
    size_t need = symmap_space(map, len);
    void *space = need ? kmalloc(need) : 0;          /* kept: the profile names point into it */
    const char *why = need && !space ? "out of memory for the symbols"
                                     : symmap_parse(map, len, space, need, &g->syms, err, sizeof err);
    if (why) {
        kfree(space);
        g->syms = (struct symmap){ 0 };
        kprintf("guest %s: symbol map refused (%s); it runs unpeeled, and its scan starts at the "
                "entry point only\n", g->name, why);
        return;
    }
    kprintf("guest %s: symbols from %s.map (%zu functions)\n", g->name, g->name, g->syms.nfuncs);
}

bool guest_symbol(const struct guest *g, const char *name, struct elf32_symbol *out)
{
    if (!g->syms.n)
        return elf32_lookup(&g->elf, name, out);
    const struct symmap_sym *s = symmap_find(&g->syms, name);
    return s && from_map(s, out);
}

size_t guest_symbol_count(const struct guest *g)
{
    return g->syms.n ? g->syms.n : elf32_symbol_count(&g->elf);
}

bool guest_symbol_at(const struct guest *g, size_t i, struct elf32_symbol *out)
{
    if (!g->syms.n)
        return elf32_symbol(&g->elf, i, out);
    return i < g->syms.n && from_map(&g->syms.syms[i], out);
}
