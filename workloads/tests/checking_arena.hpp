// A CheckingAllocator that also models workloads::ReleasesAll, as an arena
// does: release_all() drops every live block at once.
#pragma once

#include "checking_allocator.hpp"

namespace workloads::testing {

class CheckingArena : public CheckingAllocator {
 public:
  void release_all() {
    ++release_alls_;
    CheckingAllocator::release_all_blocks();
  }
  std::uint64_t release_alls() const { return release_alls_; }

 private:
  std::uint64_t release_alls_ = 0;
};

}  // namespace workloads::testing
