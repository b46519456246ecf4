// ProgramHeap: the recommended whole-program allocator, for
//
//   STALLOC_GLOBAL_ALLOCATOR(heap, stalloc::ProgramHeap);   // <stalloc/global.hpp>
//
// and the configuration the harness's `stalloc-chain` row measures (on every
// workload, recorded real programs included).
//
//   requests of    go to                                          blocks   arena
//   0..256 B       Synchronized<Stalloc<65535, 16, ChainedQuickFit>>   1..16    1 MiB
//   257 B..4 KiB   Synchronized<Stalloc<65535, 256, ChainedQuickFit>>  2..16    16 MiB
//   anything else, and what a full arena refuses: System (malloc)
//
// Why this shape: QuickFit serves requests of 1..16 blocks from its quick
// lists in O(1), so each arena's block size is chosen to put the requests it
// takes in that range; larger requests go to malloc, which is good at them.
// Each arena is locked, so the heap is thread-safe; and each is all-zero when
// empty, so the 17 MiB live in .bss and cost memory only for the pages a
// program touches.
//
// Programs whose live set outgrows an arena are the common case (the
// recorded gcc-cc1plus holds 9 MB live, python3-dicts 15 MB), so what a full
// arena does decides the result:
//   - ChainedQuickFit (stalloc.hpp) refuses at once instead of coalescing the
//     few blocks a busy program has just freed into it on every request;
//   - the lower bound of the second link keeps small requests that the first
//     one refuses out of the 256-byte blocks (they go to malloc instead of
//     wasting 7/8 of a block each and filling the second arena).
// Measured, replaying the shipped traces through this type in one process
// (taskset, best of 4, ns per operation; "before" is the previous
// configuration: plain QuickFit arenas, no lower bound):
//   trace           glibc   before   ProgramHeap
//   gcc-cc1plus     12.6     14.9      11.0
//   python3-dicts   13.3     23.6      15.5
//   sqlite3          6.5      6.2       6.6
//   git-log         11.8      6.0       6.2
//   git-grep         8.7      5.4       5.9
// Measured with the harness (one interleaved run): README "Results".
#pragma once

#include "stalloc/chain.hpp"
#include "stalloc/size_limited.hpp"
#include "stalloc/stalloc.hpp"
#include "stalloc/sync.hpp"
#include "stalloc/system.hpp"

namespace stalloc {

// Its functions are AllocChain's (chain.hpp), with each arena behind its own
// lock: an allocate costs two compares per arena it skips by size, then
// that arena's allocate (or, when it is full, malloc).
using ProgramHeap =
    Chain<SizeLimited<256, Synchronized<Stalloc<65535, 16, ChainedQuickFit>>>,
          SizeLimited<4096, Synchronized<Stalloc<65535, 256, ChainedQuickFit>>, 257>, System>;

}  // namespace stalloc
