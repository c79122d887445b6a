/*
 * The mm peel (host/natives/classic/mm.c): classic's kmalloc/kfree served from the
 * guest's reserved pool by host/natives/classic/mm_pool.c, outside the guest kernel lock.
 */
#pragma once

struct guest;

/* The guest has ended and no vCPU of it runs a native any more: report
 * the allocator's counts and free its host-side books. */
void native_mm_release(struct guest *g);
