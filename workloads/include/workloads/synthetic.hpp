// Every synthetic workload, as one type list, so the harness (and the tests)
// can register them all without naming each one.
#pragma once

#include <tuple>

#include "workloads/cache_scratch.hpp"
#include "workloads/chained.hpp"
#include "workloads/fast_vectors.hpp"
#include "workloads/large.hpp"
#include "workloads/larson.hpp"
#include "workloads/local_alloc.hpp"
#include "workloads/local_string.hpp"
#include "workloads/producer_consumer.hpp"
#include "workloads/random_free.hpp"
#include "workloads/realloc_growth.hpp"
#include "workloads/size_mix.hpp"
#include "workloads/small_objects.hpp"
#include "workloads/stack_order.hpp"
#include "workloads/threaded.hpp"

namespace workloads {

// In the order `--list` shows them: the headline, the crate's examples, then
// the standard stress patterns.
using SyntheticWorkloads = std::tuple<                        //
    SmallObjects, StackOrder,                                 //
    FastVectors, LocalAlloc, LocalString, Chained, Threaded,  //
    RandomFree, ReallocGrowth, SizeMix, Larson, ProducerConsumer, CacheScratch, Large>;

}  // namespace workloads
