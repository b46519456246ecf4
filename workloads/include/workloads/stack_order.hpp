// stack-order: small-objects with every free taken from the top of the stack.
//
// The same sizes (8 to 64 bytes), live-set walk and request count as
// small-objects, but no object escapes its scope: each free is the most
// recent live allocation. For a first-fit arena this is the best case (the
// free list is one chunk, every allocation takes its front and every free
// merges back into it), so the gap between the two workloads is what the
// holes left by out-of-order frees cost; for any allocator it is the floor of
// the pattern Stalloc was made for.
#pragma once

#include "workloads/small_objects.hpp"

namespace workloads {

struct StackOrderShape {
  static constexpr Info info{
      .name = "stack-order",
      .description =
          "small-objects freed strictly last-in first-out (Stalloc's best case); 4096 "
          "requests/round",
      .arena = ArenaHint{8192, 8},
      .multithreaded = false,
      .uses_seed = true,
      .needs_input = false,
      .exceeds_arena_on_purpose = false,
  };
  static constexpr std::uint32_t kLifoPerMille = 1000;
};

using StackOrder = BasicSmallObjects<StackOrderShape>;
static_assert(Workload<StackOrder>);

}  // namespace workloads
