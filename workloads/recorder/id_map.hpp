// Pointer -> block id, lock-free, allocation-free (mmap only).
#pragma once

#include <cstdint>

namespace recorder {

// Remembers p's id. A stale entry (a free the recorder did not see) is
// overwritten.
void map_insert(void* p, std::uint64_t id);
// Forgets p; returns its id, or 0 if p was never recorded.
std::uint64_t map_take(void* p);

}  // namespace recorder
