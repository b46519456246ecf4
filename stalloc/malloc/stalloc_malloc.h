/* libstalloc-malloc.so: Stalloc as any program's malloc.
 *
 *   LD_PRELOAD=/path/to/libstalloc-malloc.so program args...
 *
 * The library defines the whole malloc family (malloc, free, calloc, realloc,
 * reallocarray, posix_memalign, aligned_alloc, memalign, valloc, pvalloc,
 * malloc_usable_size; operator new and delete reach it through malloc) and
 * serves small requests from Stalloc arenas, everything else from glibc's own
 * entry points (__libc_malloc & co.). It is built from stalloc/malloc/ and
 * installed with the package (CMake: stalloc::malloc). It needs nothing but
 * glibc (Linux; checked with `ldd`: no libstdc++).
 *
 * Arenas (compiled in; all-zero statics, so they live in .bss and cost memory
 * only for the pages a program touches):
 *
 *   requests of     arenas, each behind its own lock                 capacity
 *   1..256 B        32 x SizedStalloc<65535, 16, ChainedQuickFit>    32 x 1 MiB
 *   257 B..4 KiB    8 x SizedStalloc<65535, 256, ChainedQuickFit>    8 x 16 MiB
 *   anything larger, alignments above 4 KiB (above 64 B for the small
 *   arenas), and whatever the arenas refuse when full: glibc.
 *
 * One arena of each class is the shape of stalloc::ProgramHeap
 * (program_heap.hpp, the harness's `stalloc-chain`); a Stalloc holds at most
 * 65535 blocks, so capacity comes from more arenas: 161 MiB of address space
 * in .bss in all (STALLOC_MALLOC_SMALL_ARENAS and STALLOC_MALLOC_MEDIUM_ARENAS
 * at compile time change the counts). malloc(0) is served as malloc(1).
 *
 * Choosing the arenas: the environment variable
 *
 *   STALLOC_MALLOC_ARENAS=N     (0..32, default 32)
 *
 * makes N small arenas and min(N, 8) medium ones take new allocations. N=1
 * has ProgramHeap's shape and capacity (17 MiB); N=0 sends every request to glibc (the cost
 * of the interposition alone). Why fewer: a smaller footprint, or to measure
 * ProgramHeap itself; why more: a program's live set of small objects beyond
 * N MiB goes to glibc (python3 holds tens of MB of them).
 *
 * Which arena: threads are numbered in the order of their first allocation
 * and start at arena (number % arenas of the class), so that their locks
 * are spread;
 * a thread stays on the arena that last served it, and when that one
 * refuses it tries the next ones in turn. When every arena of a class has
 * refused, that thread's next 64 requests of the class go to glibc before
 * it tries the arenas again. The variable is read once, by the library's
 * constructor; allocations made before it (other libraries' constructors)
 * use the default. Frees are routed by address whatever N is.
 *
 * Routing by address: free, realloc and malloc_usable_size of a pointer
 * inside an arena go to that arena (its size is found from the address: one
 * end bit per block); any other pointer is glibc's. realloc moves an
 * allocation between an arena and glibc when its new size calls for it,
 * copying min(old usable size, new size) bytes.
 *
 * Misuse it detects (a message on stderr, then abort()): a free, realloc or
 * malloc_usable_size of a pointer inside an arena that is not the start of a
 * live allocation (an interior or misaligned pointer, or a double free while
 * the block is still free). A pointer it does not know goes to glibc, which
 * has its own checks. It never corrupts an arena on those.
 *
 * Semantics follow glibc 2.36 except where noted: errno = ENOMEM on every
 * failure; calloc and reallocarray overflow -> NULL, ENOMEM; realloc(p, 0)
 * frees p and returns NULL; realloc(NULL, n) is malloc(n); posix_memalign
 * returns EINVAL for an alignment that is not a power of two multiple of
 * sizeof(void*); memalign rounds a non-power-of-two alignment up; aligned_alloc
 * returns NULL with EINVAL for an alignment that is not a power of two (the
 * rule of glibc 2.38 and C23; 2.36 rounded it up). malloc_usable_size of an
 * arena pointer is its size rounded up to whole blocks.
 *
 * Load it with LD_PRELOAD (or link it before libc): loaded later with
 * dlopen, it would receive frees of blocks glibc made, and the reverse.
 *
 * Threads and fork: each arena has a stalloc::AdaptiveLock (sync.hpp). A
 * pthread_atfork handler takes every arena lock before fork() and releases
 * them in the parent; the child re-initialises them, so it can allocate.
 *
 * The functions below (C linkage, exported) let a program or a test check that
 * the library really serves it: look them up with dlsym(RTLD_DEFAULT, ...).
 */
#ifndef STALLOC_MALLOC_H
#define STALLOC_MALLOC_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes of live arena allocations, each rounded up to whole blocks (glibc's
 * allocations are not counted). Approximate while other threads allocate. */
size_t stalloc_malloc_arena_bytes_in_use(void);
/* 1 when p points into one of the arenas' blocks, else 0. */
int stalloc_malloc_owns(const void* p);
/* How many small arenas take new allocations (STALLOC_MALLOC_ARENAS). */
size_t stalloc_malloc_active_arenas(void);

#ifdef __cplusplus
}
#endif

#endif /* STALLOC_MALLOC_H */
