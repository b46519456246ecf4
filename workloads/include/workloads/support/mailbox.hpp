// A bounded, mutex-protected mailbox that threads of a multithreaded workload
// use to hand objects to each other.
//
// Never blocks on another thread's progress: post() takes what fits and
// reports the rest (the sender deals with it), take() returns what is there,
// possibly nothing. So threads that run different numbers of rounds, or stop
// at different times, cannot deadlock. Storage is allocated once, in the
// constructor, so the timed loop never calls the system allocator behind the
// measured allocator's back. The lock also orders the sender's writes to an
// object before the receiver's reads of it.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace workloads::support {

// Item needs a `size` member (bytes of the object it carries) for the
// in-flight byte count.
template <class Item>
class Mailbox {
 public:
  explicit Mailbox(std::size_t capacity) : ring_(capacity) {}

  // Appends items[0..n) while there is room; returns how many were taken.
  std::size_t post(const Item* items, std::size_t n) {
    std::lock_guard lock{mutex_};
    const std::size_t accepted = std::min(n, ring_.size() - count_);
    for (std::size_t i = 0; i < accepted; ++i) {
      ring_[(head_ + count_ + i) % ring_.size()] = items[i];
      bytes_ += items[i].size;
    }
    count_ += accepted;
    peak_bytes_ = std::max(peak_bytes_, bytes_);
    return accepted;
  }

  // Moves up to `max` of the oldest items into out[]; returns how many.
  std::size_t take(Item* out, std::size_t max) {
    std::lock_guard lock{mutex_};
    const std::size_t n = std::min(max, count_);
    for (std::size_t i = 0; i < n; ++i) {
      out[i] = ring_[(head_ + i) % ring_.size()];
      bytes_ -= out[i].size;
    }
    head_ = (head_ + n) % ring_.size();
    count_ -= n;
    return n;
  }

  std::size_t capacity() const { return ring_.size(); }

  // The most bytes ever waiting in this mailbox at once.
  std::uint64_t peak_bytes() const {
    std::lock_guard lock{mutex_};
    return peak_bytes_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Item> ring_;
  std::size_t head_ = 0;
  std::size_t count_ = 0;
  std::uint64_t bytes_ = 0;
  std::uint64_t peak_bytes_ = 0;
};

}  // namespace workloads::support
