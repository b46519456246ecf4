// A radix tree over the address space, one 8-byte id per 16-byte granule
// (glibc aligns every block to 16). Lock-free: a block's entry is written by
// whoever allocates it and cleared (exchange) by whoever frees it, and the
// program itself orders those. Entries sit next to each other as the blocks
// do, so the map has the locality of the heap (a hash map's random access
// cost a cache miss per op). Cost: at most half the heap's address span in
// id pages, touched lazily (large blocks cost one entry).
//   47-bit address = 11 root bits | 16 mid bits | 16 leaf bits | 4 granule bits
#include "id_map.hpp"

#include <sys/mman.h>

#include <atomic>
#include <cstddef>

namespace recorder {
namespace {

using IdSlot = std::atomic<std::uint64_t>;
constexpr unsigned kGranuleBits = 4, kLeafBits = 16, kMidBits = 16, kRootBits = 11;
static_assert(kGranuleBits + kLeafBits + kMidBits + kRootBits == 47);

std::atomic<std::atomic<IdSlot*>*> g_root[std::size_t{1} << kRootBits];

template <class T>
T* install(std::atomic<T*>& at, std::size_t entries) {
  T* cur = at.load(std::memory_order_acquire);
  if (cur) return cur;
  // mmap'ed memory is zeroed and only the pages touched become real.
  void* m = mmap(nullptr, entries * sizeof(T), PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) return nullptr;
  auto* fresh = static_cast<T*>(m);
  if (at.compare_exchange_strong(cur, fresh, std::memory_order_acq_rel)) return fresh;
  munmap(m, entries * sizeof(T));  // another thread installed one first
  return cur;
}

IdSlot* id_slot(void* p, bool create) {
  const std::uint64_t g = reinterpret_cast<std::uint64_t>(p) >> kGranuleBits;
  const std::uint64_t root = g >> (kLeafBits + kMidBits);
  if (root >= (std::uint64_t{1} << kRootBits)) return nullptr;  // beyond 47 bits: not tracked
  const std::size_t mid = (g >> kLeafBits) & ((std::size_t{1} << kMidBits) - 1);
  const std::size_t leaf = g & ((std::size_t{1} << kLeafBits) - 1);
  std::atomic<IdSlot*>* mids = g_root[root].load(std::memory_order_acquire);
  if (!mids) {
    if (!create) return nullptr;
    mids = install(g_root[root], std::size_t{1} << kMidBits);
    if (!mids) return nullptr;
  }
  IdSlot* leaves = mids[mid].load(std::memory_order_acquire);
  if (!leaves) {
    if (!create) return nullptr;
    leaves = install(mids[mid], std::size_t{1} << kLeafBits);
    if (!leaves) return nullptr;
  }
  return &leaves[leaf];
}

}  // namespace

void map_insert(void* p, std::uint64_t id) {
  if (IdSlot* slot = id_slot(p, true)) slot->store(id, std::memory_order_relaxed);
}

std::uint64_t map_take(void* p) {
  IdSlot* slot = id_slot(p, false);
  return slot ? slot->exchange(0, std::memory_order_relaxed) : 0;
}

}  // namespace recorder
