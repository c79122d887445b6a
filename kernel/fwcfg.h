/* QEMU's fw_cfg: read a named file (scripted runs pass extra command-line
 * words as opt/peel/cmdline). */
#pragma once
#include <stddef.h>

/* Copies at most size-1 bytes and terminates; returns the length, or -1 if
 * there is no fw_cfg or no such file. */
int fwcfg_read_file(const char *name, char *buf, size_t size);
