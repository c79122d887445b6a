/*
 * The native file system of a hosted classic (host/natives/classic/fs.c): cfs over
 * the native buffer cache, with a sleeping reader/writer lock per inode.
 * Its natives are found by name (host/natives/classic/checksum.c); this is its life cycle.
 */
#pragma once

struct guest;

/* The guest has ended and none of its threads runs: free its state. */
void nfs_release(struct guest *g);
