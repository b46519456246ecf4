// Drives one Stalloc<L, B> and a ReferenceModel side by side with the same
// operations, and reports the first way they disagree. Shared by the
// randomized differential test (a seeded PRNG chooses the operations) and the
// libFuzzer targets (the fuzz input chooses them).
//
// After every operation: check_invariants(); the free chunks equal the model's
// free runs (so stats, is_oom and is_empty are checked against the truth, and
// first fit must have picked exactly the block the model predicts); every
// returned pointer is in bounds and aligned; and the bytes the caller wrote
// survive grow, shrink and moves (a sample of each allocation is checked on
// every touch, all samples periodically).
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <new>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "reference_model.hpp"
#include "stalloc/hardened.hpp"
#include "stalloc/ostream.hpp"
#include "stalloc/stalloc.hpp"

namespace stalloc_test {

// An operation source: next(bound) returns a number in [0, bound).
template <class In>
concept OpSource = requires(In& in, std::uint64_t bound) {
  { in.next(bound) } -> std::same_as<std::uint64_t>;
};

// xoshiro256** seeded through splitmix64: fast, and the same on every platform.
class Prng {
 public:
  explicit Prng(std::uint64_t seed) {
    for (auto& s : s_) {
      seed += 0x9E3779B97F4A7C15ULL;
      std::uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
      s = z ^ (z >> 31);
    }
  }
  std::uint64_t next(std::uint64_t bound) { return bound <= 1 ? 0 : raw() % bound; }

 private:
  std::uint64_t raw() {
    const std::uint64_t result = std::rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = std::rotl(s_[3], 45);
    return result;
  }
  std::uint64_t s_[4];
};

// Fuzz input as an operation source: each number consumes just enough bytes.
// Once the bytes run out every number is 0 and exhausted() is true.
class ByteSource {
 public:
  ByteSource(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  std::uint64_t next(std::uint64_t bound) {
    if (bound <= 1) return 0;
    std::uint64_t value = 0;
    for (std::uint64_t span = bound - 1; span != 0; span >>= 8) {
      if (pos_ == size_) {
        exhausted_ = true;
        break;
      }
      value = (value << 8) | data_[pos_++];
    }
    return value % bound;
  }
  bool exhausted() const { return exhausted_; }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
  bool exhausted_ = false;
};

// With a checking policy the driver installs this handler, which counts
// reports instead of aborting, so misuse can be provoked and predicted.
struct MisuseLog {
  static inline thread_local std::size_t reports = 0;
  static inline thread_local stalloc::Misuse last = stalloc::Misuse::double_free;
  // Misuse provoked and reported as predicted, by kind: lets a test check
  // that its run reached every kind.
  static inline thread_local std::size_t provoked[8] = {};
  static void record(const stalloc::MisuseReport& r) noexcept {
    ++reports;
    last = r.kind;
  }
};

template <std::size_t L, std::size_t B, class Policy = stalloc::QuickFit>
class Differential {
 public:
  using Arena = stalloc::Stalloc<L, B, Policy>;
  static constexpr std::size_t kSample = 256;  // bytes checked at each end

  // Placement granule: a block, or the arena's own alignment when a policy
  // makes it stricter than B.
  static constexpr std::size_t kStep = B > alignof(Arena) ? B : alignof(Arena);

  // The arena is placed `shift` granules past an address aligned to 8 of them, so
  // that runs with different shifts see different alignment phases.
  explicit Differential(std::size_t shift = 0)
      : raw_(static_cast<unsigned char*>(
            ::operator new (sizeof(Arena) + 8 * kStep, std::align_val_t{8 * kStep}))),
        arena_(new (raw_ + (shift % 8) * kStep) Arena()),
        model_(L, B, reinterpret_cast<std::uintptr_t>(arena_->block_address(0)),
               Policy::quick_lists, Policy::flush_threshold, Policy::sorts_small_chunks) {
    if constexpr (Policy::checks)
      previous_handler_ = stalloc::set_misuse_handler(&MisuseLog::record);
  }
  ~Differential() {
    if constexpr (Policy::checks) stalloc::set_misuse_handler(previous_handler_);
    arena_->~Arena();
    ::operator delete (raw_, std::align_val_t{8 * kStep});
  }
  Differential(const Differential&) = delete;
  Differential& operator=(const Differential&) = delete;

  const Arena& arena() const { return *arena_; }
  std::size_t live_count() const { return live_.size(); }
  std::size_t ops() const { return ops_; }

  // One operation chosen by `in`, then the full comparison. Returns "" when
  // arena and model agree, else what went wrong.
  template <OpSource In>
  std::string step(In& in) {
    ++ops_;
    const std::size_t reports_before = MisuseLog::reports;
    std::string error = operate(in);
    if (error.empty() && MisuseLog::reports != reports_before)
      error = failure("a valid operation was reported as misuse");
    if (error.empty()) error = compare();
    if (error.empty() && ops_ % 1024 == 0) error = check_all_contents();
    return error;
  }

  // Every live allocation's sampled bytes.
  std::string check_all_contents() const {
    for (const Live& a : live_)
      if (!contents_ok(a.p, a.size, a.tag)) return failure("contents of a live allocation changed");
    return {};
  }

  // Frees every live allocation in an order chosen by `in`; the arena must end
  // up empty.
  template <OpSource In>
  std::string free_all(In& in) {
    while (!live_.empty()) {
      const std::size_t i = in.next(live_.size());
      if (std::string e = release(i); !e.empty()) return e;
      if (std::string e = compare(); !e.empty()) return e;
    }
    if (!arena_->is_empty()) return failure("every allocation freed but is_empty() is false");
    return {};
  }

 private:
  struct Live {
    unsigned char* p;
    std::size_t size;  // bytes the caller may use (blocks * B for the block API)
    bool byte_api;
    std::size_t align;  // bytes
    std::uint32_t tag;  // seeds the content pattern
  };

  static constexpr std::size_t kCapacity = L * B;
  static constexpr std::size_t kMaxBlockAlign = std::size_t{1} << 32;

  static std::size_t blocks_for(std::size_t bytes) { return bytes / B + (bytes % B != 0); }
  static std::size_t byte_align_in_blocks(std::size_t align) { return align <= B ? 1 : align / B; }
  static unsigned char pattern(std::uint32_t tag, std::size_t i) {
    return static_cast<unsigned char>(tag * 131U + i * 7U + (i >> 8));
  }
  template <class F>
  static void for_each_sample(std::size_t size, F&& f) {
    const std::size_t head = std::min(size, kSample);
    for (std::size_t i = 0; i < head; ++i) f(i);
    for (std::size_t i = std::max(head, size > kSample ? size - kSample : 0); i < size; ++i) f(i);
  }
  static void fill(unsigned char* p, std::size_t size, std::uint32_t tag) {
    for_each_sample(size, [&](std::size_t i) { p[i] = pattern(tag, i); });
  }
  // The samples written for an allocation of `size` bytes, those below `limit`
  // (what survives a shrink to `limit` bytes).
  static bool contents_ok(const unsigned char* p, std::size_t size, std::uint32_t tag,
                          std::size_t limit = std::numeric_limits<std::size_t>::max()) {
    bool ok = true;
    for_each_sample(size,
                    [&](std::size_t i) { ok = ok && (i >= limit || p[i] == pattern(tag, i)); });
    return ok;
  }

  std::size_t index_of(const void* p) const { return arena_->block_index(p); }

  std::string failure(const std::string& what) const {
    std::ostringstream os;
    os << "op #" << ops_ << " (" << op_name_ << "): " << what << "\n  arena: " << *arena_
       << "\n  model:";
    model_.store().for_each_free_run(
        [&](std::size_t s, std::size_t n) { os << " [" << s << '+' << n << ']'; });
    const auto& quick = model_.quick_lists();
    for (std::size_t k = 1; k <= quick.size(); ++k)
      for (std::size_t s : quick[k - 1]) os << " q" << k << '@' << s;
    return os.str();
  }

  // ---- choosing arguments -----------------------------------------------
  template <class In>
  std::size_t pick_size(In& in) {
    switch (in.next(16)) {
      case 0:
        return 0;
      case 1:
      case 2:
      case 3:
      case 4:
      case 5:
      case 6:
        return 1 + in.next(2 * B);
      case 7:
      case 8:
      case 9:
        return 1 + in.next(8 * B);
      case 10:
      case 11:
        return 1 + in.next(kCapacity / 4 + 1);
      case 12:
        return 1 + in.next(kCapacity);
      case 13:
        return kCapacity - in.next(2 * B < kCapacity ? 2 * B : kCapacity);
      case 14:
        return kCapacity + 1 + in.next(B);
      default:
        return std::numeric_limits<std::size_t>::max() - in.next(4 * B);
    }
  }
  template <class In>
  std::size_t pick_align(In& in) {
    switch (in.next(16)) {
      case 13:
        return std::size_t{1} << in.next(17);
      case 14: {
        static constexpr std::size_t kOdd[] = {0, 3, 6, 12, 24, 100};
        return kOdd[in.next(6)];
      }
      case 15:
        return std::size_t{1} << (33 + in.next(31));
      default:
        return std::size_t{1} << in.next(7);
    }
  }
  template <class In>
  std::size_t pick_count(In& in) {
    switch (in.next(8)) {
      case 0:
        return in.next(L + 2);  // includes 0 and L + 1 (both refused)
      case 1:
        return 1 + in.next(L / 4 + 1);
      default:
        return 1 + in.next(4);
    }
  }
  template <class In>
  std::size_t pick_block_align(In& in) {
    switch (in.next(16)) {
      case 14: {
        static constexpr std::size_t kOdd[] = {0, 3, 5, 6, std::size_t{1} << 33};
        return kOdd[in.next(5)];
      }
      case 15:
        return std::size_t{1} << in.next(33);
      default:
        return std::size_t{1} << in.next(4);
    }
  }
  template <class In>
  std::size_t pick_live(In& in, bool byte_api) {
    if (live_.empty()) return npos;
    const std::size_t start = in.next(live_.size());
    for (std::size_t k = 0; k < live_.size(); ++k) {
      const std::size_t i = (start + k) % live_.size();
      if (live_[i].byte_api == byte_api) return i;
    }
    return npos;
  }
  static constexpr std::size_t npos = ReferenceModel::npos;

  // ---- predictions ------------------------------------------------------
  // Where allocate_blocks(count, align) must land, or npos for nullptr. The
  // model's state moves as the arena's must (the range is marked live).
  std::size_t predict_blocks(std::size_t count, std::size_t align) {
    if (count == 0 || count > L || !std::has_single_bit(align) || align > kMaxBlockAlign)
      return npos;
    return model_.allocate(count, align);
  }
  std::size_t predict_bytes(std::size_t size, std::size_t align) {
    if (size > kCapacity || !std::has_single_bit(align)) return npos;
    return predict_blocks(blocks_for(size), byte_align_in_blocks(align));
  }

  std::string expect_at(const void* p, std::size_t predicted, std::size_t size,
                        std::size_t align) const {
    if (predicted == npos) {
      if (p != nullptr) return failure("expected nullptr, got a pointer");
      return {};
    }
    if (p == nullptr) {
      std::ostringstream os;
      os << "expected block " << predicted << ", got nullptr";
      return failure(os.str());
    }
    if (!arena_->owns(p) || index_of(p) + blocks_for(size) > L)
      return failure("pointer out of the arena's bounds");
    if (index_of(p) != predicted) {
      std::ostringstream os;
      os << "first fit disagrees: expected block " << predicted << ", got " << index_of(p);
      return failure(os.str());
    }
    if (reinterpret_cast<std::uintptr_t>(p) % align != 0) return failure("pointer misaligned");
    return {};
  }

  std::string add_live(void* p, std::size_t size, bool byte_api, std::size_t align) {
    Live a{static_cast<unsigned char*>(p), size, byte_api, align, next_tag_++};
    fill(a.p, a.size, a.tag);
    live_.push_back(a);
    return {};
  }

  std::string release(std::size_t i) {
    op_name_ = "free";
    const Live a = live_[i];
    if (!contents_ok(a.p, a.size, a.tag)) return failure("contents changed before free");
    if (a.byte_api) {
      bool quick = false;
      if constexpr (stalloc::detail::has_quick_path<Arena>) {
        if (ops_ % 2 == 0) quick = arena_->try_deallocate_quick(a.p, a.size, a.align);
      }
      if (!quick) arena_->deallocate(a.p, a.size, a.align);
    } else {
      arena_->deallocate_blocks(a.p, a.size / B);
    }
    if (!model_.free(index_of(a.p), blocks_for(a.size))) return failure("model: freed twice");
    remember_freed(a);
    live_[i] = live_.back();
    live_.pop_back();
    return {};
  }

  void remember_freed(const Live& a) {
    if constexpr (Policy::checks) {
      if (freed_.size() < 16) {
        freed_.push_back(a);
      } else {
        freed_[ops_ % 16] = a;
      }
    }
  }

  // ---- operations ---------------------------------------------------------
  template <class In>
  std::string operate(In& in) {
    const std::uint64_t roll = in.next(100);
    if (roll < 20) return op_allocate(in);
    if (roll < 30) return op_allocate_blocks(in);
    if (roll < 52) {
      if (live_.empty()) return op_allocate(in);
      return release(in.next(live_.size()));
    }
    if (roll < 62) return op_grow(in);
    if (roll < 70) return op_shrink(in);
    if (roll < 75) return op_reallocate(in);
    if (roll < 80) return op_grow_in_place(in);
    if (roll < 85) return op_grow_up_to(in);
    if (roll < 90) return op_shrink_in_place(in);
    if (roll < 94) return op_zero_size(in);
    if (roll < 97) return op_refused(in);
    if (roll < 99) {
      if constexpr (Policy::checks) return op_misuse(in);
      return op_refused(in);
    }
    if (in.next(8) == 0) return op_clear();
    if (in.next(4) == 0) {
      op_name_ = "free all";
      return free_all(in);
    }
    return op_allocate(in);
  }

  template <class In>
  std::string op_allocate(In& in) {
    op_name_ = "allocate";
    const std::size_t size = pick_size(in);
    const std::size_t align = pick_align(in);
    void* p = nullptr;
    if constexpr (stalloc::detail::has_quick_path<Arena>) {
      // Every other allocation tries the quick path first, as a chain does
      // (stalloc.hpp, "Quick path"): the model must not see the difference.
      if (ops_ % 2 == 0) p = arena_->try_allocate_quick(size, align);
    }
    if (p == nullptr) p = arena_->allocate(size, align);
    if (size == 0) return check_dangling(p, align);
    const std::size_t predicted = predict_bytes(size, align);
    if (std::string e = expect_at(p, predicted, size, align); !e.empty()) return e;
    return p == nullptr ? std::string{} : add_live(p, size, true, align);
  }

  template <class In>
  std::string op_allocate_blocks(In& in) {
    op_name_ = "allocate_blocks";
    const std::size_t count = pick_count(in);
    const std::size_t align = pick_block_align(in);
    void* p = arena_->allocate_blocks(count, align);
    const std::size_t predicted = predict_blocks(count, align);
    const std::size_t byte_align = align <= kMaxBlockAlign ? align * B : 1;
    if (std::string e = expect_at(p, predicted, count * B, byte_align); !e.empty()) return e;
    return p == nullptr ? std::string{} : add_live(p, count * B, false, B);
  }

  std::string check_dangling(void* p, std::size_t align) const {
    if (!std::has_single_bit(align)) {
      if (p != nullptr) return failure("size 0 with an invalid alignment must give nullptr");
      return {};
    }
    if (p == nullptr) return failure("size 0 gave nullptr");
    if (reinterpret_cast<std::uintptr_t>(p) % align != 0) return failure("size 0 misaligned");
    return {};
  }

  // Byte grow: in place when p meets `align` and the next run suffices, else
  // a first-fit move with the old allocation still in use.
  template <class In>
  std::string op_grow(In& in) {
    op_name_ = "grow";
    const std::size_t i = pick_live(in, true);
    if (i == npos) return op_allocate(in);
    Live& a = live_[i];
    std::size_t new_size = a.size + (in.next(4) == 0 ? pick_size(in) : in.next(3 * B));
    if (new_size < a.size) new_size = std::numeric_limits<std::size_t>::max();  // wrapped
    const std::size_t align = in.next(6) == 0 ? pick_align(in) : a.align;
    return resize(i, new_size, align, /*grow=*/true);
  }

  template <class In>
  std::string op_shrink(In& in) {
    op_name_ = "shrink";
    const std::size_t i = pick_live(in, true);
    if (i == npos) return op_allocate(in);
    const std::size_t new_size = in.next(live_[i].size + 1);
    const std::size_t align = in.next(6) == 0 ? pick_align(in) : live_[i].align;
    return resize(i, new_size, align, /*grow=*/false);
  }

  template <class In>
  std::string op_reallocate(In& in) {
    op_name_ = "reallocate";
    const std::size_t i = pick_live(in, true);
    if (i == npos) return op_allocate(in);
    const std::size_t new_size =
        in.next(2) == 0 ? in.next(live_[i].size + 1) : live_[i].size + in.next(4 * B + 1);
    return resize(i, new_size, live_[i].align, new_size >= live_[i].size);
  }

  std::string resize(std::size_t i, std::size_t new_size, std::size_t align, bool grow) {
    Live a = live_[i];
    const std::size_t at = index_of(a.p);
    const std::size_t old_count = blocks_for(a.size);
    void* q = grow ? (op_name_ == "reallocate" ? arena_->reallocate(a.p, a.size, new_size, align)
                                               : arena_->grow(a.p, a.size, new_size, align))
                   : (op_name_ == "reallocate" ? arena_->reallocate(a.p, a.size, new_size, align)
                                               : arena_->shrink(a.p, a.size, new_size, align));
    // Predict.
    const bool valid_align = std::has_single_bit(align);
    if (!valid_align || (grow && new_size > kCapacity)) {
      if (q != nullptr) return failure("invalid resize must give nullptr");
      if (!contents_ok(a.p, a.size, a.tag)) return failure("failed resize changed contents");
      return {};
    }
    if (!grow && new_size == 0) {
      model_.free(at, old_count);
      live_[i] = live_.back();
      live_.pop_back();
      return check_dangling(q, align);
    }
    const std::size_t new_count = blocks_for(new_size);
    const bool aligned = reinterpret_cast<std::uintptr_t>(a.p) % align == 0;
    if (aligned &&
        (new_count <= old_count || model_.free_run_at(at + old_count) >= new_count - old_count)) {
      if (q != a.p) return failure("resize should have stayed in place");
      if (new_count > old_count) model_.take(at + old_count, new_count - old_count);
      if (new_count < old_count) model_.free_tail(at + new_count, old_count - new_count);
    } else {
      const std::size_t predicted = predict_bytes(new_size, align);
      if (std::string e = expect_at(q, predicted, new_size, align); !e.empty()) return e;
      if (q == nullptr) {
        if (!contents_ok(a.p, a.size, a.tag)) return failure("failed move changed contents");
        return {};
      }
      // grow() coalesces the old place at once from 64 bytes on.
      const bool was_live = grow && old_count * B >= 64 ? model_.free_to_store(at, old_count)
                                                        : model_.free(at, old_count);
      if (!was_live) return failure("model: moved allocation was not live");
    }
    auto* p = static_cast<unsigned char*>(q);
    if (!contents_ok(p, a.size, a.tag, new_size))
      return failure("contents not preserved by resize");
    live_[i].p = p;
    live_[i].size = new_size;
    live_[i].align = align;
    fill(p, new_size, a.tag);
    return {};
  }

  template <class In>
  std::string op_grow_in_place(In& in) {
    op_name_ = "grow_in_place";
    const std::size_t i = pick_live(in, false);
    if (i == npos) return op_allocate_blocks(in);
    Live& a = live_[i];
    const std::size_t old_count = a.size / B;
    const std::size_t new_count = old_count + in.next(in.next(4) == 0 ? L + 1 : 4);
    const bool ok = arena_->grow_in_place(a.p, old_count, new_count);
    const std::size_t end = index_of(a.p) + old_count;
    const bool expected =
        new_count <= old_count || model_.free_run_at(end) >= new_count - old_count;
    if (ok != expected) return failure("grow_in_place success disagrees with the model");
    if (ok && new_count > old_count) {
      model_.take(end, new_count - old_count);
      a.size = new_count * B;
      fill(a.p, a.size, a.tag);
    }
    return {};
  }

  template <class In>
  std::string op_grow_up_to(In& in) {
    op_name_ = "grow_up_to";
    const std::size_t i = pick_live(in, false);
    if (i == npos) return op_allocate_blocks(in);
    Live& a = live_[i];
    const std::size_t old_count = a.size / B;
    const std::size_t new_count = old_count + in.next(in.next(4) == 0 ? L + 1 : 6);
    const std::size_t got = arena_->grow_up_to(a.p, old_count, new_count);
    const std::size_t end = index_of(a.p) + old_count;
    const std::size_t expected =
        new_count <= old_count
            ? old_count
            : old_count + std::min(model_.free_run_at(end), new_count - old_count);
    if (got != expected) return failure("grow_up_to returned the wrong count");
    if (got > old_count) {
      model_.take(end, got - old_count);
      a.size = got * B;
      fill(a.p, a.size, a.tag);
    }
    return {};
  }

  template <class In>
  std::string op_shrink_in_place(In& in) {
    op_name_ = "shrink_in_place";
    const std::size_t i = pick_live(in, false);
    if (i == npos) return op_allocate_blocks(in);
    Live& a = live_[i];
    const std::size_t old_count = a.size / B;
    const std::size_t new_count = 1 + in.next(old_count);
    arena_->shrink_in_place(a.p, old_count, new_count);
    if (new_count < old_count) model_.free_tail(index_of(a.p) + new_count, old_count - new_count);
    if (!contents_ok(a.p, a.size, a.tag, new_count * B))
      return failure("shrink_in_place changed contents");
    a.size = new_count * B;
    fill(a.p, a.size, a.tag);
    return {};
  }

  template <class In>
  std::string op_zero_size(In& in) {
    op_name_ = "zero size";
    const std::size_t align = pick_align(in);
    void* p = arena_->allocate(0, align);
    if (std::string e = check_dangling(p, align); !e.empty()) return e;
    if (p == nullptr) return {};
    arena_->deallocate(p, 0, align);
    void* g = arena_->grow(p, 0, 0, align);  // still size 0: nothing allocated
    if (std::string e = check_dangling(g, align); !e.empty()) return e;
    return {};
  }

  // Requests that must be refused with the arena untouched.
  template <class In>
  std::string op_refused(In& in) {
    op_name_ = "refused";
    switch (in.next(4)) {
      case 0:
        if (arena_->allocate(kCapacity + 1 + in.next(1000), 1) != nullptr)
          return failure("allocate above capacity succeeded");
        return {};
      case 1:
        if (arena_->allocate(std::numeric_limits<std::size_t>::max() - in.next(B * 2), B) !=
            nullptr)
          return failure("allocate near SIZE_MAX succeeded");
        return {};
      case 2:
        if (arena_->allocate_blocks(1, 3) != nullptr || arena_->allocate_blocks(0, 1) != nullptr ||
            arena_->allocate_blocks(L + 1, 1) != nullptr)
          return failure("invalid allocate_blocks succeeded");
        return {};
      default: {
        const std::size_t i = pick_live(in, true);
        if (i == npos) return {};
        const Live& a = live_[i];
        if (arena_->grow(a.p, a.size, a.size + 1, 6) != nullptr ||
            arena_->shrink(a.p, a.size, a.size / 2, 12) != nullptr ||
            arena_->grow(a.p, a.size, std::numeric_limits<std::size_t>::max(), a.align) != nullptr)
          return failure("invalid grow/shrink succeeded");
        return {};
      }
    }
  }

  // Checking policies only: a misuse the model can predict, which must be
  // reported exactly once and change nothing. What each policy can see:
  //   Hardened (bitmaps of used blocks and allocation ends): a pointer whose
  //     block is free (double free), inside a live allocation (interior
  //     pointer), or at a live allocation's start with another size (wrong
  //     size); only the exact range of a live allocation passes, which is
  //     a legal call, so it is never provoked;
  //   HardenedFirstFit (no bitmaps): a range that overlaps a free block
  //     (double free); anything else is undetectable there and skipped.
  // Both: foreign and misaligned pointers, ranges past the end, size 0 for a
  // pointer into the arena.
  static constexpr bool kBoundaries = Policy::checks && Policy::quick_lists > 0;

  // The report a call naming blocks [at, at + count) as a live allocation
  // must give; nullopt when it passes (legal, or undetectable).
  std::optional<stalloc::Misuse> predict_misuse(std::size_t at, std::size_t count) const {
    using stalloc::Misuse;
    if (count == 0 || count > L - at) return Misuse::bad_size;
    if constexpr (kBoundaries) {
      if (model_.any_free_in(at, 1)) return Misuse::double_free;
      for (const Live& a : live_) {
        const std::size_t first = index_of(a.p);
        const std::size_t n = blocks_for(a.size);
        if (at < first || at >= first + n) continue;
        if (at != first) return Misuse::interior_pointer;
        if (count != n) return Misuse::wrong_size;
        return std::nullopt;
      }
      return Misuse::double_free;  // unreachable: a used block is in some live allocation
    } else {
      if (model_.any_free_in(at, count)) return Misuse::double_free;
      return std::nullopt;
    }
  }

  // Calls one of the APIs that take an existing allocation, claiming that
  // [p, p + count blocks) is one. Returns "" if the call's result is what a
  // reported misuse must give (nothing freed, nullptr, false, old count).
  template <class In>
  std::string call_with_claim(In& in, unsigned char* p, std::size_t count) {
    switch (in.next(6)) {
      case 0:
        arena_->deallocate_blocks(p, count);
        return {};
      case 1:
        arena_->deallocate(p, count * B - in.next(B), B);
        return {};
      case 2:
        if (arena_->grow_in_place(p, count, count + 1 + in.next(3)))
          return failure("grow_in_place succeeded after misuse");
        return {};
      case 3:
        if (arena_->grow_up_to(p, count, count + 1 + in.next(3)) != count)
          return failure("grow_up_to changed the count after misuse");
        return {};
      case 4:
        if (arena_->shrink(p, count * B, in.next(count * B + 1), B) != nullptr)
          return failure("shrink returned a pointer after misuse");
        return {};
      default:
        if (arena_->grow(p, count * B, std::min(count * B + in.next(2 * B), kCapacity), B) !=
            nullptr)
          return failure("grow returned a pointer after misuse");
        return {};
    }
  }

  template <class In>
  std::string op_misuse(In& in) {
    op_name_ = "misuse";
    using stalloc::Misuse;
    const std::size_t before = MisuseLog::reports;
    std::optional<Misuse> expected;
    std::string error;
    switch (in.next(8)) {
      case 0: {
        // Free or resize again something freed earlier. Its blocks may have
        // been handed out again since: Hardened then sees an interior
        // pointer or a wrong size, unless the very same range is live again
        // (a legal-looking call on someone else's memory: skipped).
        if (freed_.empty()) return {};
        const Live a = freed_[in.next(freed_.size())];
        expected = predict_misuse(index_of(a.p), blocks_for(a.size));
        if (!expected) return {};
        error = call_with_claim(in, a.p, blocks_for(a.size));
        break;
      }
      case 1: {
        int outside = 0;
        arena_->deallocate(&outside, sizeof outside, alignof(int));
        expected = Misuse::foreign_pointer;
        break;
      }
      case 2: {
        if (live_.empty()) return {};
        const Live& a = live_[in.next(live_.size())];
        arena_->deallocate_blocks(a.p + 1 + in.next(B - 1), 1);
        expected = Misuse::misaligned_pointer;
        break;
      }
      case 3: {
        if (live_.empty()) return {};
        const Live& a = live_[in.next(live_.size())];
        arena_->deallocate_blocks(a.p, L - index_of(a.p) + 1 + in.next(4));
        expected = Misuse::bad_size;
        break;
      }
      case 4:
      case 5: {
        // A pointer into a live allocation (case 4: at or after its start),
        // with a size that is not its own (case 5: from its start).
        if (live_.empty()) return {};
        const Live& a = live_[in.next(live_.size())];
        const std::size_t n = blocks_for(a.size);
        const std::size_t skip = in.next(2) == 0 ? in.next(n) : 0;
        const std::size_t at = index_of(a.p) + skip;
        const std::size_t room = L - at;
        std::size_t count =
            in.next(2) == 0 ? 1 + in.next(room) : 1 + in.next(std::min(room, n + 2));
        if (skip == 0 && count == n) count = count < room ? count + 1 : count - 1;
        if (count == 0) return {};
        expected = predict_misuse(at, count);
        if (!expected) return {};
        error = call_with_claim(in, a.p + skip * B, count);
        break;
      }
      case 6: {
        // Size 0 for a real allocation (allocate(0) gives a power of two).
        if (live_.empty()) return {};
        const Live& a = live_[in.next(live_.size())];
        if (std::has_single_bit(reinterpret_cast<std::uintptr_t>(a.p))) return {};
        expected = Misuse::wrong_size;
        switch (in.next(3)) {
          case 0:
            arena_->deallocate(a.p, 0, a.align);
            break;
          case 1:
            if (arena_->grow(a.p, 0, 1 + in.next(B), B) != nullptr)
              error = failure("grow from size 0 of a real allocation returned a pointer");
            break;
          default:
            if (arena_->shrink(a.p, 0, 0, B) != nullptr)
              error = failure("shrink of size 0 of a real allocation returned a pointer");
            break;
        }
        break;
      }
      default:
        if constexpr (kBoundaries) {
          std::string e = op_corrupt_header(in, expected);
          if (!e.empty() || !expected) return e;
          break;
        }
        return {};
    }
    if (!error.empty()) return error;
    if (MisuseLog::reports != before + 1) return failure("misuse not reported exactly once");
    if (MisuseLog::last != *expected) {
      std::ostringstream os;
      os << "misuse reported as " << static_cast<int>(MisuseLog::last) << ", expected "
         << static_cast<int>(*expected);
      return failure(os.str());
    }
    MisuseLog::reports = before;  // expected: not an error for step()
    ++MisuseLog::provoked[static_cast<std::size_t>(*expected)];
    return {};
  }

  // Hardened only: a use-after-free write into a free chunk's or a quick
  // entry's header, then the call that must meet it, then the header put
  // back. Only writes the checks catch for certain are provoked: the size
  // half changed (to zero, to another length, to a random value), or the
  // whole header zeroed; a changed `next` alone is caught only sometimes.
  template <class In>
  std::string op_corrupt_header(In& in, std::optional<stalloc::Misuse>& expected) {
    auto* base = static_cast<unsigned char*>(const_cast<void*>(arena_->block_address(0)));
    if (in.next(2) == 0) {
      // The top entry of a quick list, popped by the next request of its size.
      const auto& quick = model_.quick_lists();
      const std::size_t k = 1 + in.next(quick.size());
      if (quick[k - 1].empty()) return {};
      unsigned char* header = base + quick[k - 1].back() * B;
      unsigned char saved[4];
      std::memcpy(saved, header, 4);
      corrupt_size_half(in, header, static_cast<std::uint16_t>(k));
      if (std::memcmp(saved, header, 4) == 0) return {};
      expected = stalloc::Misuse::corrupt_free_list;
      void* p = arena_->allocate_blocks(k, 1);
      std::memcpy(header, saved, 4);
      if (p != nullptr) return failure("a corrupt quick entry was handed out");
      return {};
    }
    // A free chunk right after a live allocation, met by growing that one.
    if (live_.empty()) return {};
    const Live& a = live_[in.next(live_.size())];
    const std::size_t n = blocks_for(a.size);
    const std::size_t at = index_of(a.p) + n;
    const std::size_t len = model_.free_run_at(at);
    if (len == 0) return {};
    unsigned char* header = base + at * B;
    unsigned char saved[4];
    std::memcpy(saved, header, 4);
    corrupt_size_half(in, header, static_cast<std::uint16_t>(L - len));
    if (std::memcmp(saved, header, 4) == 0) return {};
    expected = stalloc::Misuse::corrupt_free_list;
    const bool grew = arena_->grow_in_place(a.p, n, n + 1);
    std::memcpy(header, saved, 4);
    if (grew) return failure("grew into a corrupt free chunk");
    return {};
  }
  // Changes the size half (bytes 2..3) of an encoded header whose plain
  // value is `plain`: zeroes the header, or stores a random value, or turns
  // it into another plain value (XOR of the stored half with the difference
  // leaves the mask in place), e.g. a chunk lengthened by a few blocks.
  template <class In>
  static void corrupt_size_half(In& in, unsigned char* header, std::uint16_t plain) {
    std::uint16_t half;
    std::memcpy(&half, header + 2, 2);
    switch (in.next(3)) {
      case 0:
        std::memset(header, 0, 4);
        return;
      case 1:
        half = static_cast<std::uint16_t>(in.next(65536));
        break;
      default: {
        // A size code 1..4 lower (a longer chunk) or higher, or a count off by one.
        const auto other = static_cast<std::uint16_t>(plain + (in.next(2) == 0 ? -1 : 1) *
                                                                  static_cast<int>(1 + in.next(4)));
        half = static_cast<std::uint16_t>(half ^ plain ^ other);
        break;
      }
    }
    std::memcpy(header + 2, &half, 2);
  }

  std::string op_clear() {
    op_name_ = "clear";
    arena_->clear();
    model_.clear();
    live_.clear();
    freed_.clear();
    if (!arena_->is_empty()) return failure("clear() did not empty the arena");
    return {};
  }

  // ---- the comparison ---------------------------------------------------
  std::string compare() const {
    if (const auto r = arena_->check_invariants(); !r) {
      std::ostringstream os;
      os << "invariant broken: " << r.what << " at block " << r.chunk;
      return failure(os.str());
    }
    // Free chunks == model runs, in order.
    bool same = true;
    std::size_t k = 0;
    std::vector<std::pair<std::size_t, std::size_t>>& runs = runs_;
    runs.clear();
    model_.store().for_each_free_run(
        [&](std::size_t s, std::size_t n) { runs.emplace_back(s, n); });
    arena_->for_each_free_chunk([&](std::size_t s, std::size_t n) {
      same = same && k < runs.size() && runs[k] == std::make_pair(s, n);
      ++k;
    });
    if (!same || k != runs.size()) return failure("free chunks differ from the model");
    // Quick lists, each from its most recently freed entry.
    const auto& quick = model_.quick_lists();
    std::size_t quick_blocks = 0;
    std::size_t quick_entries = 0;
    std::size_t list = 0;
    std::size_t depth = 0;
    bool same_quick = true;
    arena_->for_each_quick_entry([&](std::size_t s, std::size_t count) {
      if (count != list) {
        list = count;
        depth = 0;
      }
      const auto& q = quick[count - 1];
      same_quick = same_quick && depth < q.size() && q[q.size() - 1 - depth] == s;
      ++depth;
      quick_blocks += count;
      ++quick_entries;
    });
    std::size_t model_entries = 0;
    for (const auto& q : quick) model_entries += q.size();
    if (!same_quick || quick_entries != model_entries)
      return failure("quick lists differ from the model");
    const stalloc::FreeListStats st = arena_->stats();
    if (st.free_blocks != model_.free_blocks()) return failure("stats().free_blocks is wrong");
    if (st.free_chunks != runs.size()) return failure("stats().free_chunks is wrong");
    if (st.quick_blocks != quick_blocks || st.quick_entries != quick_entries)
      return failure("stats() quick figures are wrong");
    if (arena_->is_oom() != (model_.free_blocks() == 0)) return failure("is_oom() is wrong");
    if (arena_->is_empty() != (model_.live_blocks() == 0)) return failure("is_empty() is wrong");
    return {};
  }

  unsigned char* raw_;
  Arena* arena_;
  ArenaModel model_;
  std::vector<Live> live_;
  std::vector<Live> freed_;  // recent frees, for provoked double frees
  stalloc::MisuseHandler previous_handler_ = nullptr;
  mutable std::vector<std::pair<std::size_t, std::size_t>> runs_;
  std::uint32_t next_tag_ = 1;
  std::size_t ops_ = 0;
  std::string op_name_ = "none";
};

}  // namespace stalloc_test
