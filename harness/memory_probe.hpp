// Process-level memory figures for the instrumented pass and the worker.
#pragma once

#include <cstddef>

namespace harness {

// Anonymous resident memory now (resident minus file-backed pages, from
// /proc/self/statm; 0 when unreadable).
std::size_t current_rss_bytes() noexcept;
// Peak resident set of this process so far (getrusage ru_maxrss).
std::size_t peak_rss_bytes() noexcept;
// Bytes glibc's malloc holds from the OS: mallinfo2 arena + hblkhd. Only
// meaningful when glibc serves malloc.
std::size_t glibc_held_bytes() noexcept;
// Bytes glibc has handed out and not had back: mallinfo2 uordblks + hblkhd.
std::size_t glibc_in_use_bytes() noexcept;

}  // namespace harness
