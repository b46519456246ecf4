// libFuzzer target for AllocChain: Stalloc<8, 4> -> Stalloc<64, 8> ->
// (optionally) System, or with an ArenaArray as the second link (three
// locked ChainedQuickFit arenas of 64 blocks: ProgramHeap's shape in small,
// so that arenas fill, refuse, and the array moves between them). The input
// drives allocate / free / grow / shrink / reallocate with odd sizes and
// alignments. A chain has no simple exact
// model, so this checks the properties every answer must have: each link's
// invariants hold; live allocations never overlap; each is aligned and owned
// by exactly the link the chain routes it to; contents survive every resize;
// a failed resize leaves the old allocation intact; and freeing everything
// leaves both arenas empty. With the System tail nothing valid may fail.
//   input[0] bit 0: System tail; bit 1: ArenaArray second link;
//   input[1..]: operations
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <vector>

#include "differential_driver.hpp"
#include "stalloc/arena_array.hpp"
#include "stalloc/chain.hpp"
#include "stalloc/system.hpp"

namespace {

[[noreturn]] void fail(const char* what, std::size_t op) {
  std::fprintf(stderr, "AllocChain: %s (op %zu)\n", what, op);
  std::abort();
}

struct Live {
  unsigned char* p;
  std::size_t size;
  std::size_t align;
  unsigned char tag;
};

template <class Chain>
class ChainFuzz {
 public:
  explicit ChainFuzz(bool has_system) : has_system_(has_system) {}

  void run(stalloc_test::ByteSource& in) {
    while (!in.exhausted() && op_ < 1500) {
      ++op_;
      const std::uint64_t roll = in.next(10);
      if (roll < 4 || live_.empty()) {
        allocate(in);
      } else if (roll < 7) {
        release(in.next(live_.size()));
      } else {
        resize(in.next(live_.size()), in);
      }
      check();
    }
    while (!live_.empty()) release(live_.size() - 1);
    check();
    if (!chain_.first().is_empty() || !small_and_medium_second().is_empty())
      fail("arenas not empty after freeing everything", op_);
  }

 private:
  auto& small_and_medium_second() {
    if constexpr (requires { chain_.second().second(); }) {
      return chain_.second().first();
    } else {
      return chain_.second();
    }
  }

  static std::size_t pick_size(stalloc_test::ByteSource& in) {
    switch (in.next(4)) {
      case 0:
        return in.next(9);
      case 1:
        return 1 + in.next(64);
      case 2:
        return 1 + in.next(700);
      default:
        return 1 + in.next(40);
    }
  }
  static std::size_t pick_align(stalloc_test::ByteSource& in) {
    return in.next(16) == 0 ? 3 : std::size_t{1} << in.next(7);
  }

  void fill(const Live& a) {
    for (std::size_t i = 0; i < a.size; ++i) a.p[i] = static_cast<unsigned char>(a.tag + i);
  }
  bool intact(const Live& a, std::size_t n) const {
    for (std::size_t i = 0; i < n && i < a.size; ++i)
      if (a.p[i] != static_cast<unsigned char>(a.tag + i)) return false;
    return true;
  }

  void allocate(stalloc_test::ByteSource& in) {
    const std::size_t size = pick_size(in);
    const std::size_t align = pick_align(in);
    void* p = chain_.allocate(size, align);
    const bool valid = (align & (align - 1)) == 0;
    if (!valid) {
      if (p != nullptr && size != 0) fail("invalid alignment accepted", op_);
      return;
    }
    if (size == 0) return;  // the dangling pointer of size 0 is not tracked
    if (p == nullptr) {
      if (has_system_) fail("allocation failed with a System tail", op_);
      return;
    }
    Live a{static_cast<unsigned char*>(p), size, align, static_cast<unsigned char>(op_)};
    if (reinterpret_cast<std::uintptr_t>(p) % align != 0) fail("misaligned", op_);
    fill(a);
    live_.push_back(a);
  }

  void release(std::size_t i) {
    const Live a = live_[i];
    if (!intact(a, a.size)) fail("contents changed before free", op_);
    chain_.deallocate(a.p, a.size, a.align);
    live_[i] = live_.back();
    live_.pop_back();
  }

  void resize(std::size_t i, stalloc_test::ByteSource& in) {
    Live& a = live_[i];
    const std::size_t new_size = in.next(2) == 0 ? 1 + in.next(a.size) : a.size + in.next(600);
    void* q = chain_.reallocate(a.p, a.size, new_size, a.align);
    if (q == nullptr) {
      if (has_system_) fail("resize failed with a System tail", op_);
      if (!intact(a, a.size)) fail("failed resize changed contents", op_);
      return;
    }
    if (reinterpret_cast<std::uintptr_t>(q) % a.align != 0) fail("resize misaligned", op_);
    const std::size_t kept = a.size < new_size ? a.size : new_size;
    a.p = static_cast<unsigned char*>(q);
    if (!intact(a, kept)) fail("resize lost contents", op_);
    a.size = new_size;
    fill(a);
  }

  void check() {
    if (!chain_.first().check_invariants()) fail("first link invariant", op_);
    if (!small_and_medium_second().check_invariants()) fail("second link invariant", op_);
    std::map<std::uintptr_t, std::size_t> ranges;
    for (const Live& a : live_) {
      const auto start = reinterpret_cast<std::uintptr_t>(a.p);
      const bool in_first = chain_.first().owns(a.p);
      const bool in_second = small_and_medium_second().owns(a.p);
      if (in_first && in_second) fail("owned by two links", op_);
      if (!has_system_ && !in_first && !in_second) fail("owned by no link", op_);
      if (in_first && !chain_.first().owns(a.p + a.size - 1)) fail("runs out of link 1", op_);
      if (in_second && !small_and_medium_second().owns(a.p + a.size - 1))
        fail("runs out of link 2", op_);
      auto [it, inserted] = ranges.emplace(start, a.size);
      if (!inserted) fail("two allocations at one address", op_);
      if (it != ranges.begin() && std::prev(it)->first + std::prev(it)->second > start)
        fail("overlap", op_);
      if (std::next(it) != ranges.end() && start + a.size > std::next(it)->first)
        fail("overlap", op_);
    }
  }

  Chain chain_;
  bool has_system_;
  std::vector<Live> live_;
  std::size_t op_ = 0;
};

using Arenas = stalloc::Chain<stalloc::Stalloc<8, 4>, stalloc::Stalloc<64, 8>>;
using WithSystem = stalloc::Chain<stalloc::Stalloc<8, 4>, stalloc::Stalloc<64, 8>, stalloc::System>;
using Array =
    stalloc::ArenaArray<3,
                        stalloc::Synchronized<stalloc::Stalloc<64, 8, stalloc::ChainedQuickFit>>>;
using ArrayArenas = stalloc::Chain<stalloc::Stalloc<8, 4>, Array>;
using ArrayWithSystem = stalloc::Chain<stalloc::Stalloc<8, 4>, Array, stalloc::System>;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  stalloc_test::ByteSource in(data + 1, size - 1);
  switch (data[0] & 3) {
    case 0:
      ChainFuzz<Arenas>(false).run(in);
      break;
    case 1:
      ChainFuzz<WithSystem>(true).run(in);
      break;
    case 2:
      ChainFuzz<ArrayArenas>(false).run(in);
      break;
    default:
      ChainFuzz<ArrayWithSystem>(true).run(in);
      break;
  }
  return 0;
}
