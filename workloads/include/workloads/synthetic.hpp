// Every synthetic workload, as one type list, so the harness (and the tests)
// can register them all without naming each one.
#pragma once

#include <tuple>

#include "workloads/small_objects.hpp"

namespace workloads {

using SyntheticWorkloads = std::tuple<SmallObjects>;

}  // namespace workloads
