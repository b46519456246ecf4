// THE place to add a workload: write workloads/include/workloads/<name>.hpp
// (see workloads/workload.hpp) and add it to this list. The order is the
// order of --list and of `--workload all`.
#pragma once

#include <workloads/small_objects.hpp>

#include "type_list.hpp"

namespace harness {

using WorkloadRegistry = TypeList<workloads::SmallObjects>;

}  // namespace harness
