// Semantic checks on a parsed op stream: does every free and realloc name a
// live block, and is every new id fresh? Parsing cannot see these (each op is
// well-formed alone); the validator reports them as errors and the replayer
// counts them as warnings and skips the op.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "workloads/trace/op.hpp"

namespace workloads::trace {

enum class Issue {
  kNone,
  kFreeNeverAllocated,  // free/realloc of an id not live and not among the recent frees
  kDoubleFree,          // free/realloc of an id freed recently (Checker::kRecentFrees)
  kIdReused,            // a new block with the id of a live one
};

inline std::string describe(Issue issue, const Op& op) {
  std::uint64_t id = op.kind == OpKind::kRealloc ? op.old_id : op.id;
  std::string what = op.kind == OpKind::kRealloc ? "realloc" : "free";
  switch (issue) {
    case Issue::kNone:
      return "ok";
    case Issue::kFreeNeverAllocated:
      return what + " of id " + std::to_string(id) +
             ", which was never allocated (or was freed long before)";
    case Issue::kDoubleFree:
      return what + " of id " + std::to_string(id) + ", which is already freed (double free)";
    case Issue::kIdReused:
      return "new block id " + std::to_string(op.id) + " is already live";
  }
  return "?";
}

// Memory is proportional to the live blocks plus a fixed window of recent
// frees, never to every id a trace ever freed (a long trace would otherwise
// take gigabytes): a double free is recognised as one when the first free
// is among the last kRecentFrees frees, and reported as a free of an id
// that is not live otherwise. The trace is rejected either way.
class Checker {
 public:
  static constexpr std::size_t kRecentFrees = 1u << 16;

  // Applies op to the set of live blocks and says what, if anything, is wrong
  // with it. A wrong op changes nothing except kIdReused, where the new block
  // replaces the old one under that id.
  Issue apply(const Op& op) {
    switch (op.kind) {
      case OpKind::kAlloc:
      case OpKind::kCalloc:
        return create(op.id, op.bytes());
      case OpKind::kFree: {
        Issue i = release(op.id);
        return i;
      }
      case OpKind::kRealloc: {
        Issue i = release(op.old_id);
        if (i != Issue::kNone) return i;
        return create(op.id, op.size);
      }
    }
    return Issue::kNone;
  }

  std::uint64_t live_blocks() const { return live_.size(); }
  // Ids held in memory: live blocks and remembered frees.
  std::uint64_t tracked_ids() const { return live_.size() + recent_.size(); }
  std::uint64_t live_bytes() const { return live_bytes_; }
  std::uint64_t peak_bytes() const { return peak_bytes_; }

 private:
  Issue create(std::uint64_t id, std::uint64_t bytes) {
    recent_.erase(id);
    auto [it, fresh] = live_.try_emplace(id, bytes);
    Issue issue = Issue::kNone;
    if (!fresh) {
      live_bytes_ -= it->second;
      it->second = bytes;
      issue = Issue::kIdReused;
    }
    live_bytes_ += bytes;
    if (live_bytes_ > peak_bytes_) peak_bytes_ = live_bytes_;
    return issue;
  }
  Issue release(std::uint64_t id) {
    auto it = live_.find(id);
    if (it == live_.end())
      return recent_.count(id) ? Issue::kDoubleFree : Issue::kFreeNeverAllocated;
    live_bytes_ -= it->second;
    live_.erase(it);
    remember_free(id);
    return Issue::kNone;
  }
  // A ring of the last kRecentFrees frees; recent_ maps each to its ring
  // position, so an id freed, reused and freed again is forgotten only when
  // its latest free leaves the ring.
  void remember_free(std::uint64_t id) {
    std::size_t pos;
    if (ring_.size() < kRecentFrees) {
      pos = ring_.size();
      ring_.push_back(id);
    } else {
      pos = next_;
      if (auto r = recent_.find(ring_[pos]); r != recent_.end() && r->second == pos)
        recent_.erase(r);
      ring_[pos] = id;
      next_ = (next_ + 1) % kRecentFrees;
    }
    recent_[id] = pos;
  }

  std::unordered_map<std::uint64_t, std::uint64_t> live_;  // id -> bytes
  std::unordered_map<std::uint64_t, std::size_t> recent_;  // recently freed id -> ring position
  std::vector<std::uint64_t> ring_;
  std::size_t next_ = 0;
  std::uint64_t live_bytes_ = 0, peak_bytes_ = 0;
};

}  // namespace workloads::trace
