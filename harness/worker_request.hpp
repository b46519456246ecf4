// What the parent asks of one worker process. It travels as one JSON
// document on the worker's descriptor 4 (spawn.hpp), never as command-line
// flags:
// the worker has no options of its own to keep in step with the public ones,
// and a field means one thing (`threads` is the exact count the worker runs,
// while the user's --threads is the top of a sweep that the plan expands).
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace harness {

struct WorkerRequest {
  enum class Kind {
    entry,  // measure one (workload, point, allocator, threads)
    probe,  // only identify the malloc of this process (preload.hpp)
  };
  Kind kind = Kind::entry;
  std::string workload;   // registered name (entry only)
  std::string input;      // the ARG of NAME:ARG
  std::string allocator;  // registered name; for --external, the carrier's
  std::size_t point_index = 0;
  unsigned threads = 1;  // exactly this many
  int repetitions = 5;
  double min_time_s = 0.2;
  double instrumented_time_s = 0.3;  // budget of the instrumented pass
  std::uint64_t seed = 42;
  bool quick = false;
  bool timing_only = false;  // an interleaved repetition after the first: timing only
  // > 0: exactly this many iterations per repetition instead of min_time_s,
  // so that an instruction count cannot depend on how fast the run was
  // (scripts/count-instructions).
  std::uint64_t iterations = 0;
  // An --external allocator's library: the worker proves that it, not the
  // carrier's own provider, serves malloc.
  std::string external_library;

  bool operator==(const WorkerRequest&) const = default;
};

// A request document that is not one: names the field and what is wrong.
class InvalidWorkerRequest : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// nlohmann/json's conversions (json j = request; j.get<WorkerRequest>()).
// from_json accepts only what to_json writes: an object with a known "kind",
// no unknown keys, every value of its type and range (missing optional
// fields keep their defaults); anything else throws InvalidWorkerRequest.
void to_json(nlohmann::json& j, const WorkerRequest& request);
void from_json(const nlohmann::json& j, WorkerRequest& request);

// The document as text, and back (InvalidWorkerRequest also when the text
// is not JSON).
std::string serialize_worker_request(const WorkerRequest& request);
WorkerRequest parse_worker_request(std::string_view text);

}  // namespace harness
