// libFuzzer target for SizedStalloc (the arena behind operator new): the
// input drives allocate, sized and unsized frees, grow, shrink, clear and
// the quick path on a SizedStalloc and, with the same requests, on a plain
// Stalloc of the same shape (its twin, told every size). Checked after every
// operation:
//   - the SizedStalloc places every request where its twin does, and their
//     free lists and quick lists agree (the end marks change nothing else);
//   - allocation_size() of every live allocation is the caller's size
//     rounded up to blocks, wherever earlier allocations left stale marks;
//   - both arenas' check_invariants() hold; contents survive every resize;
//   - freeing everything (unsized) leaves both empty.
//   input[0]: bits 0-1 the shape, bits 2-3 the policy (QuickFit,
//             ChainedQuickFit, FirstFit); input[1..]: the operations.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <utility>
#include <vector>

#include "differential_driver.hpp"
#include "stalloc/sized_stalloc.hpp"

namespace {

[[noreturn]] void fail(const char* what, std::size_t op) {
  std::fprintf(stderr, "SizedStalloc: %s (op %zu)\n", what, op);
  std::abort();
}

struct Live {
  unsigned char* sized;
  unsigned char* plain;
  std::size_t size;
  unsigned char tag;
};

template <std::size_t L, std::size_t B, class Policy>
class SizedFuzz {
  using Sized = stalloc::SizedStalloc<L, B, Policy>;
  using Plain = stalloc::Stalloc<L, B, Policy>;
  // Both at a page boundary, so aligned requests land at the same offsets.
  struct Twins {
    alignas(4096) Sized sized;
    alignas(4096) Plain plain;
  };
  static constexpr bool kQuick = stalloc::detail::has_quick_path<Sized>;

 public:
  void run(stalloc_test::ByteSource& in) {
    while (!in.exhausted() && op_ < 1500) {
      ++op_;
      const std::uint64_t roll = in.next(20);
      if (roll < 8 || live_.empty()) {
        allocate(in);
      } else if (roll < 14) {
        release(in.next(live_.size()), in.next(2) == 0);
      } else if (roll < 19) {
        resize(in.next(live_.size()), in);
      } else if (in.next(8) == 0) {
        t_->sized.clear();
        t_->plain.clear();
        live_.clear();
      }
      check();
    }
    while (!live_.empty()) release(live_.size() - 1, true);
    check();
    if (!t_->sized.is_empty() || !t_->plain.is_empty()) fail("not empty at the end", op_);
  }

 private:
  static std::size_t pick_size(stalloc_test::ByteSource& in) {
    switch (in.next(4)) {
      case 0:
        return in.next(3 * B);  // 0 included
      case 1:
        return 1 + in.next(L * B);
      default:
        return 1 + in.next(16 * B);
    }
  }

  std::size_t offset_sized(const void* p) const {
    return static_cast<std::size_t>(static_cast<const unsigned char*>(p) -
                                    static_cast<const unsigned char*>(t_->sized.block_address(0)));
  }
  std::size_t offset_plain(const void* p) const {
    return static_cast<std::size_t>(static_cast<const unsigned char*>(p) -
                                    static_cast<const unsigned char*>(t_->plain.block_address(0)));
  }

  void fill(const Live& a) {
    for (std::size_t i = 0; i < a.size; ++i) a.sized[i] = static_cast<unsigned char>(a.tag + i);
  }
  bool intact(const Live& a, std::size_t n) const {
    for (std::size_t i = 0; i < n && i < a.size; ++i)
      if (a.sized[i] != static_cast<unsigned char>(a.tag + i)) return false;
    return true;
  }

  void allocate(stalloc_test::ByteSource& in) {
    const std::size_t size = pick_size(in);
    const std::size_t align = std::size_t{1} << in.next(7);
    void* s = nullptr;
    if constexpr (kQuick) {
      if (in.next(2) == 0) s = t_->sized.try_allocate_quick(size, align);
    }
    if (s == nullptr) s = t_->sized.allocate(size, align);
    void* p = t_->plain.allocate(size, align);
    if ((s == nullptr) != (p == nullptr)) fail("one twin failed, the other did not", op_);
    if (s == nullptr || size == 0) return;
    if (offset_sized(s) != offset_plain(p)) fail("placed differently from its twin", op_);
    Live a{static_cast<unsigned char*>(s), static_cast<unsigned char*>(p), size,
           static_cast<unsigned char>(op_)};
    fill(a);
    live_.push_back(a);
  }

  void release(std::size_t i, bool unsized) {
    const Live a = live_[i];
    if (!intact(a, a.size)) fail("contents changed before free", op_);
    if (unsized) {
      t_->sized.deallocate_unsized(a.sized, B);
    } else {
      bool done = false;
      if constexpr (kQuick) done = t_->sized.try_deallocate_quick(a.sized, a.size, B);
      if (!done) t_->sized.deallocate(a.sized, a.size, B);
    }
    t_->plain.deallocate(a.plain, a.size, B);
    live_[i] = live_.back();
    live_.pop_back();
  }

  void resize(std::size_t i, stalloc_test::ByteSource& in) {
    Live& a = live_[i];
    const std::size_t to = 1 + in.next(in.next(4) == 0 ? L * B : 20 * B);
    const std::size_t align = std::size_t{1} << in.next(4);
    void* s = t_->sized.reallocate(a.sized, a.size, to, align);
    void* p = t_->plain.reallocate(a.plain, a.size, to, align);
    if ((s == nullptr) != (p == nullptr))
      fail("one twin's resize failed, the other's did not", op_);
    if (s == nullptr) {
      if (!intact(a, a.size)) fail("a failed resize changed the allocation", op_);
      return;
    }
    if (offset_sized(s) != offset_plain(p)) fail("resized differently from its twin", op_);
    a.sized = static_cast<unsigned char*>(s);
    a.plain = static_cast<unsigned char*>(p);
    if (!intact(a, a.size < to ? a.size : to)) fail("contents lost in a resize", op_);
    a.size = to;
    fill(a);
  }

  void check() {
    const auto rs = t_->sized.check_invariants();
    if (!rs) fail(rs.what, op_);
    const auto rp = t_->plain.check_invariants();
    if (!rp) fail(rp.what, op_);
    for (const Live& a : live_) {
      if (t_->sized.allocation_size(a.sized) != (a.size + B - 1) / B * B)
        fail("allocation_size is not the caller's size", op_);
    }
    std::vector<std::pair<std::size_t, std::size_t>> s_chunks, p_chunks;
    t_->sized.arena().for_each_free_chunk(
        [&](std::size_t at, std::size_t n) { s_chunks.emplace_back(at, n); });
    t_->plain.for_each_free_chunk(
        [&](std::size_t at, std::size_t n) { p_chunks.emplace_back(at, n); });
    if (s_chunks != p_chunks) fail("free lists differ from the twin's", op_);
    if constexpr (Policy::quick_lists > 0) {
      s_chunks.clear();
      p_chunks.clear();
      t_->sized.arena().for_each_quick_entry(
          [&](std::size_t at, std::size_t n) { s_chunks.emplace_back(at, n); });
      t_->plain.for_each_quick_entry(
          [&](std::size_t at, std::size_t n) { p_chunks.emplace_back(at, n); });
      if (s_chunks != p_chunks) fail("quick lists differ from the twin's", op_);
    }
  }

  std::unique_ptr<Twins> t_ = std::make_unique<Twins>();
  std::vector<Live> live_;
  std::size_t op_ = 0;
};

template <std::size_t L, std::size_t B>
void run_shape(stalloc_test::ByteSource& in, unsigned policy) {
  switch (policy) {
    case 1:
      SizedFuzz<L, B, stalloc::ChainedQuickFit>().run(in);
      break;
    case 2:
      SizedFuzz<L, B, stalloc::FirstFit>().run(in);
      break;
    default:
      SizedFuzz<L, B, stalloc::QuickFit>().run(in);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  stalloc_test::ByteSource in(data + 1, size - 1);
  const unsigned policy = (data[0] >> 2) & 0x3;
  switch (data[0] & 0x3) {
    case 0:
      run_shape<8, 4>(in, policy);
      break;
    case 1:
      run_shape<64, 8>(in, policy);
      break;
    case 2:
      run_shape<200, 4>(in, policy);  // allocations across bitmap words
      break;
    default:
      run_shape<300, 16>(in, policy);
  }
  return 0;
}
