// Opens a trace in any supported form: binary, text or valgrind log, each
// plain, gzip- or zstd-compressed. The form is detected from the content,
// never from the file name.
#pragma once

#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "workloads/trace/binary_format.hpp"
#include "workloads/trace/byte_source.hpp"
#include "workloads/trace/reader.hpp"
#include "workloads/trace/text_format.hpp"
#include "workloads/trace/valgrind_import.hpp"

namespace workloads::trace {

enum class Format { kBinary, kText, kValgrind };

inline const char* format_name(Format f) {
  switch (f) {
    case Format::kBinary:
      return "binary";
    case Format::kText:
      return "text";
    case Format::kValgrind:
      return "valgrind";
  }
  return "?";
}

class TraceFile {
 public:
  static TraceFile open(const std::string& path) {
    return TraceFile(std::make_unique<Input>(Input::file(path)));
  }
  static TraceFile from_memory(std::string name, const std::uint8_t* data, std::size_t size) {
    return TraceFile(std::make_unique<Input>(Input::memory(std::move(name), data, size)));
  }

  Reader& reader() { return *reader_; }
  Format format() const { return format_; }
  const std::string& name() const { return input_->name(); }

 private:
  explicit TraceFile(std::unique_ptr<Input> input) : input_(std::move(input)) {
    Input& in = *input_;
    std::size_t n = in.fill(4096);
    std::string_view head(reinterpret_cast<const char*>(in.peek()), n);
    if (n >= sizeof kBinaryMagic &&
        std::memcmp(in.peek(), kBinaryMagic, sizeof kBinaryMagic) == 0) {
      format_ = Format::kBinary;
      reader_ = std::make_unique<BinaryReader>(in);
    } else if (head.substr(0, kTextMagic.size()) == kTextMagic) {
      format_ = Format::kText;
      reader_ = std::make_unique<TextReader>(in);
    } else if (valgrind_lines(head)) {
      format_ = Format::kValgrind;
      reader_ = std::make_unique<ValgrindReader>(in);
    } else {
      in.fail(n == 0 ? "empty file, not a trace"
                     : "not a trace: neither the binary nor the text trace format, nor a valgrind "
                       "--trace-malloc=yes log");
    }
  }
  static bool valgrind_lines(std::string_view head) {
    for (std::size_t at = 0; at < head.size();) {
      if (looks_like_valgrind(head.substr(at, 32))) return true;
      std::size_t nl = head.find('\n', at);
      if (nl == std::string_view::npos) break;
      at = nl + 1;
    }
    return false;
  }

  std::unique_ptr<Input> input_;
  std::unique_ptr<Reader> reader_;
  Format format_ = Format::kBinary;
};

struct Trace {
  Header header;
  std::vector<Op> ops;
  std::uint64_t warnings = 0;  // importer warnings (valgrind logs)
};

// Reads a whole trace into memory (the tools and tests; the replayer
// streams into its own compact form instead).
inline Trace read_trace(TraceFile& file) {
  Trace t;
  Op op;
  while (file.reader().next(op)) t.ops.push_back(op);
  t.header = file.reader().header();
  t.warnings = file.reader().warnings();
  return t;
}
inline Trace read_trace(const std::string& path) {
  TraceFile f = TraceFile::open(path);
  return read_trace(f);
}

}  // namespace workloads::trace
