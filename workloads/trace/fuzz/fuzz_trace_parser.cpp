// libFuzzer target for every trace parser (binary, text, valgrind; plain,
// gzip, zstd): whatever the bytes, parsing either succeeds or throws
// TraceError, never crashes, never hangs. A trace that parses must survive a
// binary and a text round trip unchanged.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "workloads/trace/checker.hpp"
#include "workloads/trace/open.hpp"

namespace trace = workloads::trace;

namespace {

// Serializes with one of the writers and parses the result again.
template <class Write>
trace::Trace round_trip(const trace::Trace& t, Write write) {
  char* buf = nullptr;
  std::size_t len = 0;
  std::FILE* f = open_memstream(&buf, &len);
  if (!f) std::abort();
  write(f, t);
  std::fclose(f);
  trace::TraceFile again =
      trace::TraceFile::from_memory("round-trip", reinterpret_cast<const std::uint8_t*>(buf), len);
  trace::Trace back = trace::read_trace(again);
  std::free(buf);
  return back;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  trace::Trace t;
  try {
    trace::TraceFile file = trace::TraceFile::from_memory("fuzz", data, size);
    trace::Checker checker;
    trace::Op op;
    while (file.reader().next(op)) {
      checker.apply(op);
      t.ops.push_back(op);
      if (t.ops.size() > 100000) return 0;  // keep each input fast
    }
    t.header = file.reader().header();
  } catch (const trace::TraceError&) {
    return 0;  // rejected cleanly: the expected outcome for most inputs
  }
  auto bin = round_trip(t, [](std::FILE* f, const trace::Trace& x) {
    trace::write_binary(f, "mem", x.header, x.ops);
  });
  if (bin.ops != t.ops) std::abort();
  auto txt = round_trip(
      t, [](std::FILE* f, const trace::Trace& x) { trace::write_text(f, "mem", x.header, x.ops); });
  if (txt.ops != t.ops) std::abort();
  return 0;
}
