// ProgramHeap: the recommended whole-program allocator, for
//
//   STALLOC_GLOBAL_ALLOCATOR(heap, stalloc::ProgramHeap);   // <stalloc/global.hpp>
//
// and the configuration the harness's `stalloc-chain` row measures (on every
// workload, recorded real programs included).
//
//   requests of    go to                                   blocks     arena
//   1..256 B       SyncStalloc<65535, 16>                   1..16      1 MiB
//   257 B..4 KiB   SyncStalloc<65535, 256>                  2..16      16 MiB
//   anything the arenas cannot take: System (malloc)
//
// Why this shape: QuickFit serves requests of 1..16 blocks from its quick
// lists in O(1), so each arena's block size is chosen to put the requests it
// takes in that range; larger requests, or requests that find their arena
// full, go to malloc, which is good at them. Each arena is locked
// (SyncStalloc), so the heap is thread-safe; and each is all-zero when
// empty, so the 17 MiB live in .bss and cost memory only for the pages a
// program touches. Measured on the recorded programs: README "Results".
#pragma once

#include "stalloc/chain.hpp"
#include "stalloc/size_limited.hpp"
#include "stalloc/sync.hpp"
#include "stalloc/system.hpp"

namespace stalloc {

using ProgramHeap = Chain<SizeLimited<256, SyncStalloc<65535, 16>>,
                          SizeLimited<4096, SyncStalloc<65535, 256>>, System>;

}  // namespace stalloc
