// THE place to add an allocator: write harness/allocators/<name>.hpp (a
// descriptor, see descriptor.hpp) and add it to this list. The order is the
// order of --list, of the runs and of the result table. Nothing else names
// allocators: the run code, the results JSON and the scripts read the
// descriptors' declared traits.
#pragma once

#include "allocators/hardened_stalloc.hpp"
#include "allocators/jemalloc.hpp"
#include "allocators/mimalloc.hpp"
#include "allocators/pmr_monotonic.hpp"
#include "allocators/pmr_pool.hpp"
#include "allocators/stalloc.hpp"
#include "allocators/stalloc_chain.hpp"
#include "allocators/stalloc_firstfit.hpp"
#include "allocators/stalloc_indexed.hpp"
#include "allocators/sync_stalloc.hpp"
#include "allocators/system.hpp"
#include "allocators/tcmalloc.hpp"
#include "allocators/unsafe_stalloc.hpp"
#include "type_list.hpp"

// A test build may append one allocator to the list (harness/tests: the slot
// isolation test compiles slot 0 with and without it; the one-file-plus-one-
// line test builds a whole stalloc-bench with it). Never set otherwise.
#if defined(STALLOC_BENCH_TEST_ALLOCATOR_HEADER)
#include STALLOC_BENCH_TEST_ALLOCATOR_HEADER
#define STALLOC_BENCH_TEST_ALLOCATOR , TestOnlyAllocator
#else
#define STALLOC_BENCH_TEST_ALLOCATOR
#endif

namespace harness {

using AllocatorRegistry =
    TypeList<StallocAllocator, StallocFirstFitAllocator, StallocIndexedAllocator,
             HardenedStallocAllocator, UnsafeStallocAllocator, SyncStallocAllocator,
             StallocChainAllocator, SystemAllocator, MimallocAllocator, JemallocAllocator,
             TcmallocAllocator, PmrMonotonicAllocator,
             PmrPoolAllocator STALLOC_BENCH_TEST_ALLOCATOR>;

// Every registered descriptor declares every trait, and its adapter offers
// what its declared memory model needs (else the message says what is missing).
static_assert([]<class... Ds>(TypeList<Ds...>*) {
  return (kOffersDeclaredMemoryModel<Ds> && ...);
}(static_cast<AllocatorRegistry*>(nullptr)));

}  // namespace harness
