// Shard 0 of the (workload, allocator) instantiations; see worker_shard.hpp.
#include "worker_shard.hpp"

template bool harness::run_in_shard<0>(const harness::WorkerRequest&, nlohmann::json&);
