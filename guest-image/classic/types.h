/* Freestanding basic types: classic includes nothing from outside its own
 * folder (it is built with -nostdinc), so the few libc types it needs are
 * spelled here from the compiler's own predefined macros. */
#ifndef CLASSIC_TYPES_H
#define CLASSIC_TYPES_H

typedef __UINT8_TYPE__  uint8_t;
typedef __UINT16_TYPE__ uint16_t;
typedef __UINT32_TYPE__ uint32_t;
typedef __UINT64_TYPE__ uint64_t;
typedef __INT32_TYPE__  int32_t;
typedef __INT64_TYPE__  int64_t;
typedef __SIZE_TYPE__   size_t;
typedef __UINTPTR_TYPE__ uintptr_t;

/* Guarded so host-side unit tests may include libc headers first. */
#ifndef NULL
#define NULL ((void *)0)
#endif
#ifndef offsetof
#define offsetof(t, m) __builtin_offsetof(t, m)
#endif

typedef __builtin_va_list va_list;
#ifndef va_start
#define va_start(ap, last) __builtin_va_start(ap, last)
#define va_arg(ap, t)      __builtin_va_arg(ap, t)
#define va_end(ap)         __builtin_va_end(ap)
#endif

/* Subsystem entry points are found by symbol name and may be replaced by a
 * host: keep every API call a real call to the global symbol. */
#define API __attribute__((noinline, used))
/* Code that runs once, at boot (gathered in .text.init). */
#define __init __attribute__((section(".text.init")))
#define NORETURN __attribute__((noreturn))
#define PRINTF(f, a) __attribute__((format(printf, f, a)))

#endif
