/* The few string and memory functions the kernel needs (GCC may emit
 * calls to memcpy/memset/memmove/memcmp itself). */
#pragma once
#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strncpy_safe(char *dst, const char *src, size_t size);   /* always terminates */
