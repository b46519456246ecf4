// Must NOT compile (ctest harness.memory_model_mismatch_fails_to_build): a
// descriptor that declares a fixed arena over an adapter that has none. The
// test checks that the compiler's message names the missing member.
#include "allocators/descriptor.hpp"
#include "allocators/malloc_adapter.hpp"

namespace {

struct WrongModel {
  static constexpr std::string_view name = "wrong-model";
  static constexpr std::string_view description = "declares a fixed arena it does not have";
  static constexpr harness::Family family = harness::Family::other;
  static constexpr harness::Role role = harness::Role::competitor;
  static constexpr bool thread_safe = false;
  static constexpr harness::MallocProvider malloc_provider = harness::MallocProvider::glibc;
  static constexpr harness::MemoryModel memory_model = harness::MemoryModel::fixed_arena;
  template <workloads::ArenaHint>
  using adapter = harness::GlibcMallocAdapter;
};

static_assert(harness::kOffersDeclaredMemoryModel<WrongModel>);

}  // namespace
