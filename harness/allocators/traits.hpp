// The traits every allocator descriptor declares (descriptor.hpp) besides its
// memory model (memory_model.hpp). They are declared, never inferred from
// which members an adapter happens to have, so that the run code, the
// results JSON (`allocators[]`) and the scripts all read one answer.
#pragma once

#include <string_view>

namespace harness {

// Where the allocator's code comes from. The scripts group and colour by it
// (scripts/plot: the Stalloc variants in blues).
enum class Family {
  stalloc,    // a configuration of this project's library (stalloc/)
  system,     // the C library's malloc, called in-process
  preloaded,  // a malloc replacement that LD_PRELOAD puts under plain malloc calls
  pmr,        // a std::pmr memory resource from the standard library
  other,      // anything else (a test-only allocator, a future experiment)
};

// How reports treat the allocator's rows (scripts/targets: "the fastest
// competitor" looks only at competitors).
enum class Role {
  subject,     // what the project measures: a Stalloc configuration
  competitor,  // an allocator a program could pick instead
  bound,       // not a general allocator: a floor to compare with (a bump pointer)
};

// The library that serves malloc/free/realloc in an allocator's worker process.
enum class MallocProvider { glibc, mimalloc, jemalloc, tcmalloc };

constexpr std::string_view family_name(Family f) noexcept {
  switch (f) {
    case Family::stalloc:
      return "stalloc";
    case Family::system:
      return "system";
    case Family::preloaded:
      return "preloaded";
    case Family::pmr:
      return "pmr";
    case Family::other:
      return "other";
  }
  return "?";
}

constexpr std::string_view role_name(Role r) noexcept {
  switch (r) {
    case Role::subject:
      return "subject";
    case Role::competitor:
      return "competitor";
    case Role::bound:
      return "bound";
  }
  return "?";
}

constexpr std::string_view provider_name(MallocProvider p) noexcept {
  switch (p) {
    case MallocProvider::glibc:
      return "glibc";
    case MallocProvider::mimalloc:
      return "mimalloc";
    case MallocProvider::jemalloc:
      return "jemalloc";
    case MallocProvider::tcmalloc:
      return "tcmalloc";
  }
  return "?";
}

}  // namespace harness
