// A tiny checker for the global-replacement test programs. They cannot use
// GoogleTest's reporting from inside static destructors, and they want every
// allocation of the program, gtest's own included, to be theirs to account
// for; so they are plain programs that exit non-zero on the first failure.
#pragma once

#include <unistd.h>
#include <cstdio>
#include <cstdlib>

#define GLOBAL_CHECK(cond)                                                          \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::fflush(stderr);                                                          \
      ::_exit(1);                                                                   \
    }                                                                               \
  } while (0)

// Checks the arena's invariants, printing the broken rule.
#define GLOBAL_CHECK_CONSISTENT(arena)                                                        \
  do {                                                                                        \
    const ::stalloc::InvariantReport report_ = (arena).check_invariants();                    \
    if (!report_.ok) {                                                                        \
      std::fprintf(stderr, "%s:%d: arena inconsistent: %s (chunk %zu)\n", __FILE__, __LINE__, \
                   report_.what, report_.chunk);                                              \
      ::_exit(1);                                                                             \
    }                                                                                         \
  } while (0)
