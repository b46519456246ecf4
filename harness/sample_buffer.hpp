// A fixed-size, uniformly drawn sample of latencies (reservoir sampling).
//
// Its storage comes from mmap, pre-faulted, not from malloc: the instrumented
// pass measures the memory the allocator under test holds (mallinfo2, RSS),
// and the samples must add nothing to either while the pass runs.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <new>
#include <utility>
#include <vector>

namespace harness {

class SampleBuffer {
 public:
  static constexpr std::size_t kCapacity = 32768;

  SampleBuffer() {
    void* p = ::mmap(nullptr, kCapacity * sizeof(std::uint64_t), PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    data_ = static_cast<std::uint64_t*>(p);
  }
  SampleBuffer(SampleBuffer&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)), size_(o.size_), seen_(o.seen_), rng_(o.rng_) {}
  SampleBuffer(const SampleBuffer&) = delete;
  SampleBuffer& operator=(const SampleBuffer&) = delete;
  SampleBuffer& operator=(SampleBuffer&&) = delete;
  ~SampleBuffer() {
    if (data_ != nullptr) ::munmap(data_, kCapacity * sizeof(std::uint64_t));
  }

  // Keeps every value until full, then each new one replaces a random kept
  // one with probability capacity/seen (Algorithm R), so the sample stays
  // uniform over the whole pass, not biased to its start.
  void add(std::uint64_t value) noexcept {
    ++seen_;
    if (size_ < kCapacity) {
      data_[size_++] = value;
      return;
    }
    const std::uint64_t slot = next() % seen_;
    if (slot < kCapacity) data_[slot] = value;
  }

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::uint64_t seen() const noexcept { return seen_; }
  void append_to(std::vector<std::uint64_t>& out) const {
    out.insert(out.end(), data_, data_ + size_);
  }

 private:
  std::uint64_t next() noexcept {  // xorshift64
    rng_ ^= rng_ << 13;
    rng_ ^= rng_ >> 7;
    rng_ ^= rng_ << 17;
    return rng_;
  }

  std::uint64_t* data_ = nullptr;
  std::size_t size_ = 0;
  std::uint64_t seen_ = 0;
  std::uint64_t rng_ = 0x9E3779B97F4A7C15ULL;
};

}  // namespace harness
