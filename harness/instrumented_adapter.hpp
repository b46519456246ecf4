// The adapter of the untimed instrumented pass: wraps any allocator adapter,
// forwards every call, and records what the timed pass cannot afford to:
//   - latency of every k-th call, per kind (allocate, free, realloc), read
//     from TickClock around the forwarded call only;
//   - requested bytes live and their peak; failed requests and, for a fixed
//     arena, how full it was (live requested bytes / capacity) at the first
//     failure;
//   - bytes the allocator held: the arena high-water mark (highest byte ever
//     handed out) for arenas, or a periodic probe (mallinfo2, RSS) for the
//     others.
// Which of these apply is the allocator's declared memory model M
// (allocators/memory_model.hpp), never a guess from A's members.
// Counters are atomics and samples are per thread, so multithreaded workloads
// run through it unchanged. Each thread calls bind_thread(t) before its first
// call.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "allocators/descriptor.hpp"
#include "memory_probe.hpp"
#include "sample_buffer.hpp"
#include "tick_clock.hpp"

namespace harness {

enum class OpKind : unsigned { allocate = 0, free = 1, realloc = 2 };
inline constexpr std::size_t kOpKinds = 3;

// How "bytes held" is measured for an allocator that is not an arena.
enum class HeldProbe { none, mallinfo2, rss };

struct ThreadSamples {
  std::array<SampleBuffer, kOpKinds> ticks;
  std::uint64_t calls = 0;
};

template <class A, MemoryModel M>
class InstrumentedAdapter {
  // Arena offsets are tracked for the models that have arenas; a fill level
  // only for a fixed arena (the others never fail for lack of room).
  static constexpr bool kTracksArena =
      M == MemoryModel::fixed_arena || M == MemoryModel::arena_plus_fallback;

 public:
  // How often (in calls of one thread) the process-level held probe runs.
  static constexpr std::uint64_t kProbeEvery = 1024;

  InstrumentedAdapter(A& inner, const TickClock& clock, unsigned threads, unsigned sample_every,
                      HeldProbe probe)
      : inner_(inner),
        clock_(clock),
        sample_every_(sample_every),
        probe_(probe),
        per_thread_(threads) {
    // Baselines after the sample buffers exist (they are pre-faulted mmap):
    // what the process held before the pass is not the allocator's doing.
    if (probe_ == HeldProbe::rss) baseline_ = current_rss_bytes();
    if (probe_ == HeldProbe::mallinfo2) baseline_ = glibc_in_use_bytes();
    probe_held();
  }

  // Which sample buffer this thread writes; once per thread, before calling.
  void bind_thread(unsigned thread) noexcept { current() = &per_thread_[thread]; }

  [[nodiscard]] void* allocate(std::size_t size, std::size_t align) noexcept {
    ThreadSamples& t = *current();
    const bool timed = begin(t);
    const std::uint64_t t0 = timed ? clock_.start() : 0;
    void* p = inner_.allocate(size, align);
    if (timed) record(t, OpKind::allocate, clock_.stop() - t0);
    if (p == nullptr) {
      note_failure();
    } else {
      note_acquired(p, size);
    }
    return p;
  }

  void deallocate(void* p, std::size_t size, std::size_t align) noexcept {
    ThreadSamples& t = *current();
    if (p != nullptr) note_released(p, size);
    const bool timed = begin(t);
    const std::uint64_t t0 = timed ? clock_.start() : 0;
    inner_.deallocate(p, size, align);
    if (timed) record(t, OpKind::free, clock_.stop() - t0);
  }

  [[nodiscard]] void* reallocate(void* p, std::size_t old_size, std::size_t new_size,
                                 std::size_t align) noexcept {
    ThreadSamples& t = *current();
    const bool timed = begin(t);
    const std::uint64_t t0 = timed ? clock_.start() : 0;
    void* q = inner_.reallocate(p, old_size, new_size, align);
    if (timed) record(t, OpKind::realloc, clock_.stop() - t0);
    if (q == nullptr) {
      note_failure();
    } else {
      if (p != nullptr) note_released(p, old_size);
      note_acquired(q, new_size);
    }
    return q;
  }

  void release_all() noexcept requires requires(A& a) { a.release_all(); }
  {
    inner_.release_all();
    live_.store(0, std::memory_order_relaxed);
    fallback_live_.store(0, std::memory_order_relaxed);
  }

  // ---- Results (read after every thread has finished) ------------------
  [[nodiscard]] std::uint64_t calls() const noexcept {
    std::uint64_t n = 0;
    for (const auto& t : per_thread_) n += t.calls;
    return n;
  }
  [[nodiscard]] std::vector<std::uint64_t> samples(OpKind kind) const {
    std::vector<std::uint64_t> all;
    for (const auto& t : per_thread_) t.ticks[static_cast<unsigned>(kind)].append_to(all);
    return all;
  }
  [[nodiscard]] std::size_t requested_live_bytes() const noexcept { return live_.load(); }
  [[nodiscard]] std::size_t requested_peak_bytes() const noexcept { return peak_.load(); }
  [[nodiscard]] std::uint64_t failed_requests() const noexcept { return failed_.load(); }
  [[nodiscard]] std::optional<double> fill_at_first_failure() const noexcept {
    const double f = fill_at_failure_.load();
    if (f < 0) return std::nullopt;
    return f;
  }
  // Highest arena byte ever handed out (0 when nothing came from an arena).
  [[nodiscard]] std::size_t arena_high_water() const noexcept { return high_water_.load(); }
  // Peak of requested bytes served outside the arena (a chain's fallback).
  [[nodiscard]] std::size_t fallback_peak_bytes() const noexcept { return fallback_peak_.load(); }
  // Peak of the process-level probe (mallinfo2 bytes, or RSS growth).
  [[nodiscard]] std::size_t probed_peak_bytes() noexcept {
    probe_held();
    return probed_peak_.load();
  }

 private:
  static ThreadSamples*& current() noexcept {
    thread_local ThreadSamples* samples = nullptr;
    return samples;
  }

  bool begin(ThreadSamples& t) noexcept {
    const std::uint64_t n = ++t.calls;
    if (probe_ != HeldProbe::none && n % kProbeEvery == 0) probe_held();
    return n % sample_every_ == 0;
  }
  void record(ThreadSamples& t, OpKind kind, std::uint64_t ticks) {
    t.ticks[static_cast<unsigned>(kind)].add(ticks);
  }

  static void raise_to(std::atomic<std::size_t>& peak, std::size_t value) noexcept {
    std::size_t seen = peak.load(std::memory_order_relaxed);
    while (value > seen && !peak.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
    }
  }

  void note_acquired(const void* p, std::size_t size) noexcept {
    raise_to(peak_, live_.fetch_add(size, std::memory_order_relaxed) + size);
    if constexpr (kTracksArena) {
      if (size == 0) return;  // a zero-size pointer is not memory
      const std::size_t offset = inner_.arena_offset(p);
      if (offset != kNotInArena) {
        raise_to(high_water_, offset + size);
      } else {
        raise_to(fallback_peak_, fallback_live_.fetch_add(size, std::memory_order_relaxed) + size);
      }
    }
  }
  void note_released(const void* p, std::size_t size) noexcept {
    live_.fetch_sub(size, std::memory_order_relaxed);
    if constexpr (kTracksArena) {
      if (size != 0 && inner_.arena_offset(p) == kNotInArena)
        fallback_live_.fetch_sub(size, std::memory_order_relaxed);
    }
  }
  void note_failure() noexcept {
    if (failed_.fetch_add(1, std::memory_order_relaxed) != 0) return;
    if constexpr (M == MemoryModel::fixed_arena) {
      fill_at_failure_.store(static_cast<double>(live_.load()) /
                             static_cast<double>(A::arena_capacity));
    }
  }
  void probe_held() noexcept {
    switch (probe_) {
      case HeldProbe::none:
        return;
      // glibc: all it holds from the OS, minus what the rest of the process
      // had in use when the pass began (free memory it already held counts:
      // an upper bound, as glibc never gives its initial heap back).
      case HeldProbe::mallinfo2: {
        const std::size_t held = glibc_held_bytes();
        raise_to(probed_peak_, held > baseline_ ? held - baseline_ : 0);
        return;
      }
      case HeldProbe::rss: {
        const std::size_t rss = current_rss_bytes();
        raise_to(probed_peak_, rss > baseline_ ? rss - baseline_ : 0);
        return;
      }
    }
  }

  A& inner_;
  const TickClock& clock_;
  const std::uint64_t sample_every_;
  const HeldProbe probe_;
  std::size_t baseline_ = 0;
  std::vector<ThreadSamples> per_thread_;
  std::atomic<std::size_t> live_{0};
  std::atomic<std::size_t> peak_{0};
  std::atomic<std::size_t> high_water_{0};
  std::atomic<std::size_t> fallback_live_{0};
  std::atomic<std::size_t> fallback_peak_{0};
  std::atomic<std::size_t> probed_peak_{0};
  std::atomic<std::uint64_t> failed_{0};
  std::atomic<double> fill_at_failure_{-1.0};
};

}  // namespace harness
