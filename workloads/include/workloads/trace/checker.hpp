// Semantic checks on a parsed op stream: does every free and realloc name a
// live block, and is every new id fresh? Parsing cannot see these (each op is
// well-formed alone); the validator reports them as errors and the replayer
// counts them as warnings and skips the op.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "workloads/trace/op.hpp"

namespace workloads::trace {

enum class Issue {
  kNone,
  kFreeNeverAllocated,  // free/realloc of an id never created
  kDoubleFree,          // free/realloc of an id already freed
  kIdReused,            // a new block with the id of a live one
};

inline std::string describe(Issue issue, const Op& op) {
  std::uint64_t id = op.kind == OpKind::kRealloc ? op.old_id : op.id;
  std::string what = op.kind == OpKind::kRealloc ? "realloc" : "free";
  switch (issue) {
    case Issue::kNone:
      return "ok";
    case Issue::kFreeNeverAllocated:
      return what + " of id " + std::to_string(id) + ", which was never allocated";
    case Issue::kDoubleFree:
      return what + " of id " + std::to_string(id) + ", which is already freed (double free)";
    case Issue::kIdReused:
      return "new block id " + std::to_string(op.id) + " is already live";
  }
  return "?";
}

class Checker {
 public:
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
  std::uint64_t live_bytes() const { return live_bytes_; }
  std::uint64_t peak_bytes() const { return peak_bytes_; }

 private:
  Issue create(std::uint64_t id, std::uint64_t bytes) {
    dead_.erase(id);
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
    if (it == live_.end()) return dead_.count(id) ? Issue::kDoubleFree : Issue::kFreeNeverAllocated;
    live_bytes_ -= it->second;
    live_.erase(it);
    dead_.emplace(id, 0);
    return Issue::kNone;
  }

  std::unordered_map<std::uint64_t, std::uint64_t> live_;  // id -> bytes
  std::unordered_map<std::uint64_t, char> dead_;
  std::uint64_t live_bytes_ = 0, peak_bytes_ = 0;
};

}  // namespace workloads::trace
