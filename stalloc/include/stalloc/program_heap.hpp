// ProgramHeap: the recommended whole-program allocator, for
//
//   STALLOC_GLOBAL_ALLOCATOR(heap, stalloc::ProgramHeap);   // <stalloc/global.hpp>
//
// and the configuration the harness's `stalloc-chain` row measures (on every
// workload, recorded real programs included).
//
//   requests of    go to                                                  blocks   arenas
//   0..256 B       32 x Synchronized<Stalloc<65535, 16, ChainedQuickFit>>    1..16    32 x 1 MiB
//   257 B..4 KiB   4 x Synchronized<Stalloc<65535, 256, ChainedQuickFit>>    2..16    4 x 16 MiB
//   anything else, and what the full arenas refuse: System (malloc)
//
// Why this shape: QuickFit serves requests of 1..16 blocks from its quick
// lists in O(1), so each arena's block size is chosen to put the requests it
// takes in that range; larger requests go to malloc, which is good at them.
// Each arena is locked, so the heap is thread-safe (the locks are skipped
// while the program has only ever had one thread: sync.hpp; threads
// allocate from different arenas: below); and each is all-zero when empty,
// so the 96 MiB live in .bss and cost memory only for the pages a program
// touches.
//
// Why several arenas per size (ArenaArray, arena_array.hpp): one Stalloc
// holds at most 65,535 blocks (1 MiB of 16-byte blocks), and real programs'
// live sets are larger (the recorded gcc-cc1plus holds 9.7 MB live,
// python3-dicts 15.7 MB, most of it in requests of 128 bytes or less). With
// one arena per size, what did not fit went to malloc after a refusal, and
// that mix of a full arena and malloc was slower than either. The arrays
// fill one arena after another and touch a new one only when the used ones
// are all full, so a program with a small live set still touches only the
// first arena of each size, and one with a large live set stays in the
// arenas up to 32 MiB of small objects and 64 MiB of medium ones.
//
// Threads: once the program has started a thread, each thread allocates in
// a lane of its own of each array (up to 8 lanes; arena_array.hpp), and
// each lane starts on an arena of its own, so two threads do not take one
// lock or write one arena's cache lines (frees still go to the arena that
// owns the pointer, whichever thread frees). Before, every thread allocated
// from the one current arena. Measured on the AMD EPYC host (`stalloc-bench
// --workload threaded,larson,producer-consumer --threads 2 --allocator
// stalloc-chain,system,sync-stalloc,mimalloc -r 5 --interleave`, the build
// before and this one run in turn, twice each; ns per call, ratio to glibc):
//   threaded x2            29.0, 28.5 (0.09x, 0.11x) -> 11.9, 8.6 (0.31x, 0.28x)
//   larson x2              28.1, 30.0 (0.42x, 0.44x) -> 12.4, 8.95 (1.40x, 1.43x)
//   producer-consumer x2   4.56, 4.50 -> 4.58, 4.56 (its frees cross threads)
// One thread alone is unchanged (lane 0 is the one current arena of
// before): callgrind, instructions per operation, small-objects 48.7,
// local-string 30.6, size-mix 85.2 -> 85.3, random-free live=16384 (every
// allocation misses the quick path) 293.5 -> 296.8.
// Tried and not kept: ThreadCached arenas (thread_cached.hpp: a cache per
// thread in front of each arena's lock, what `sync-stalloc` is) instead of
// Synchronized ones, with lanes. Threads gain more (threaded x2 2.85 ns,
// 0.79x glibc; larson x2 6.32, 2.26x; lanes alone in the same pair of runs
// 8.62 and 8.36), but one thread loses: two pinned runs each, local-string
// 2.00-2.02 -> 2.44-2.47 ns, chained 2.09-2.11 -> 2.35-2.37, the sqlite3
// trace 5.14-5.31 -> 5.86-6.14 (1.40x -> 1.19-1.26x glibc); and a full
// arena that refuses makes a ThreadCached arena take every thread's cache
// back (a membarrier) before it refuses.
//
// What a full arena does decides the rest:
//   - ChainedQuickFit (stalloc.hpp) refuses at once instead of coalescing the
//     few blocks a busy program has just freed into it on every request;
//   - the lower bound of the second link keeps small requests that the
//     small arenas refuse out of the 256-byte blocks (they go to malloc
//     instead of wasting 7/8 of a block each and filling the second arena).
//
// Measured, replaying the shipped traces through this type in one process
// (taskset; the median over 3 rounds of the median of replays 4 to 10 of 10,
// so the steady state of a heap that has been filled and emptied before;
// ns per operation; "one arena" is the previous shape, one arena per size;
// "strictly in turn" an ArenaArray that moves on to the next arena whether
// touched or not; this machine was in a slow phase, glibc's own numbers
// moved by 25% between runs):
//   trace           glibc   one arena   strictly in turn   ProgramHeap
//   gcc-cc1plus     14.1      11.8           8.8               9.3
//   python3-dicts   14.6      27.5          15.9              19.6   (5 rounds, a run of its own)
//   sqlite3          7.2       5.4           6.1               5.9
//   git-log         18.8      10.8           8.4               7.9
//   git-grep        12.5       9.1          10.0               6.5
// Strictly in turn is faster on python3-dicts because it keeps arenas
// emptier, but it touches every arena (+14 MB peak RSS there); ProgramHeap's
// arrays touch a new arena only when the used ones are 3/4 full
// (arena_array.hpp). python3-dicts stayed slower than glibc (1.07x since
// the one-pass coalescing, stalloc.hpp flush_in_one_pass): its arenas run
// nearly full, where QuickFit's searches of the free list and its deferred
// coalescing were a sixth of the instructions. ChainedQuickFit's sorting of
// short chunks onto its quick lists (stalloc.hpp, quick_lists.hpp) took
// the searches out: its replay loop went from 189.7 to 159.1 instructions
// per operation (glibc 160.8, callgrind), but the time only from 18.4-18.6
// to 17.8-18.0 ns (measured as above, in two sessions of 5 rounds, glibc
// 14.1-14.8; the harness, interleaved, two runs of each build: 0.70x and
// 0.71x -> 0.81x and 0.80x glibc). What is left is not instructions: under
// callgrind's cache simulation both forms miss alike, and no more often
// than glibc; and making allocations follow the arena of the last free
// (hot memory, as glibc's tcache reuses) was slower (23.8 ns against 17.0
// in the same rounds). The traces that fit in one
// arena pay the array's indirection (about 5 instructions per operation):
// the current arena is kept as a byte offset (no multiply) and a free
// checks it first (no division).
//
// The path of a request: ProgramHeap's allocate and deallocate are the
// first link's quick path, inline (stalloc.hpp, "Quick path": the current
// small arena's quick-list pop or push behind the size and lone-thread
// tests, about 20 instructions and no call), and a call to the whole chain
// for everything else (chain.hpp). Before, every request called
// AllocChain's allocate and ArenaArray's, which saved and restored six
// registers around the pop for the calls of its rare paths. Instructions
// per operation of the harness's replay loop (callgrind, the full traces;
// glibc in brackets): sqlite3 138.6 -> 96.0 (129.6), python3-dicts
// 148.6 -> 113.4 (160.8), gcc-cc1plus 146.3 -> 102.1 (145.4), git-log
// 147.4 -> 111.8 (155.6), git-grep 173.7 -> 132.6 (175.3). In time, the
// two builds in turn (`--workload <the 5 traces> --allocator
// stalloc-chain,system -r 3 --interleave`, twice each), ratio to glibc:
// sqlite3 1.05x, 1.10x -> 1.33x, 1.36x; git-grep 1.24x, 1.17x -> 1.61x,
// 1.64x; gcc-cc1plus 1.22x, 1.29x -> 1.47x, 1.40x; git-log 1.34x, 1.31x ->
// 1.33x, 1.84x; python3-dicts 0.88x, 0.92x -> 1.07x, 1.08x. The price is
// on misses (an empty quick list: a growing heap), which test the quick
// list twice: filling random-free's 16,384 objects costs about 25
// instructions more per allocation.
//
// Measured with the harness (one interleaved run): README "Results".
#pragma once

#include "stalloc/arena_array.hpp"
#include "stalloc/chain.hpp"
#include "stalloc/size_limited.hpp"
#include "stalloc/stalloc.hpp"
#include "stalloc/sync.hpp"
#include "stalloc/system.hpp"

namespace stalloc {

// Its functions are AllocChain's (chain.hpp) over ArenaArrays, each arena
// behind its own lock: an allocate costs two compares per size class it
// skips, then the current arena's allocate (or, when the arrays are full,
// malloc); a free finds its arena from the address (a compare per size
// class and a division by a constant).
using ProgramHeap =
    Chain<SizeLimited<256, ArenaArray<32, Synchronized<Stalloc<65535, 16, ChainedQuickFit>>>>,
          SizeLimited<4096, ArenaArray<4, Synchronized<Stalloc<65535, 256, ChainedQuickFit>>>, 257>,
          System>;

}  // namespace stalloc
