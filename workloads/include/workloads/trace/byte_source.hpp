// Where a trace's bytes come from: a file or a memory buffer, optionally
// gzip- or zstd-compressed, detected by magic number.
//
// Readers see one decompressed byte stream through Input, which counts the
// offset so that every error can say where it happened. Compression support
// is compiled in when the including target defines STALLOC_TRACE_HAVE_ZLIB /
// STALLOC_TRACE_HAVE_ZSTD and links the library (the CMake target
// stalloc::workloads-trace does both).
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "workloads/trace/op.hpp"

#ifdef STALLOC_TRACE_HAVE_ZLIB
#include <zlib.h>
#endif
#ifdef STALLOC_TRACE_HAVE_ZSTD
#include <zstd.h>
#endif

namespace workloads::trace {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Up to n bytes into out; 0 only at the end. Throws TraceError on failure.
  virtual std::size_t read(std::uint8_t* out, std::size_t n) = 0;
};

class FileSource final : public ByteSource {
 public:
  explicit FileSource(const std::string& path)
      : path_(path), file_(std::fopen(path.c_str(), "rb")) {
    if (!file_) throw TraceError(path + ": cannot open: " + std::strerror(errno));
  }
  ~FileSource() override { std::fclose(file_); }
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  std::size_t read(std::uint8_t* out, std::size_t n) override {
    std::size_t got = std::fread(out, 1, n, file_);
    if (got == 0 && std::ferror(file_))
      throw TraceError(path_ + ": read error: " + std::strerror(errno));
    return got;
  }

 private:
  std::string path_;
  std::FILE* file_;
};

class MemorySource final : public ByteSource {
 public:
  MemorySource(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  std::size_t read(std::uint8_t* out, std::size_t n) override {
    std::size_t k = std::min(n, size_ - pos_);
    if (k) std::memcpy(out, data_ + pos_, k);
    pos_ += k;
    return k;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

// Pushes back bytes already read (the magic number sniffed to pick a
// decoder) in front of the rest of a source.
class PrefixedSource final : public ByteSource {
 public:
  PrefixedSource(std::vector<std::uint8_t> prefix, std::unique_ptr<ByteSource> rest)
      : prefix_(std::move(prefix)), rest_(std::move(rest)) {}
  std::size_t read(std::uint8_t* out, std::size_t n) override {
    if (pos_ < prefix_.size()) {
      std::size_t k = std::min(n, prefix_.size() - pos_);
      std::memcpy(out, prefix_.data() + pos_, k);
      pos_ += k;
      return k;
    }
    return rest_->read(out, n);
  }

 private:
  std::vector<std::uint8_t> prefix_;
  std::size_t pos_ = 0;
  std::unique_ptr<ByteSource> rest_;
};

#ifdef STALLOC_TRACE_HAVE_ZLIB
class GzipSource final : public ByteSource {
 public:
  GzipSource(std::string name, std::unique_ptr<ByteSource> in)
      : name_(std::move(name)), in_(std::move(in)) {
    // 15 + 32: a zlib or gzip header, detected automatically.
    if (inflateInit2(&z_, 15 + 32) != Z_OK) throw TraceError(name_ + ": cannot start gzip decoder");
  }
  ~GzipSource() override { inflateEnd(&z_); }
  GzipSource(const GzipSource&) = delete;
  GzipSource& operator=(const GzipSource&) = delete;

  std::size_t read(std::uint8_t* out, std::size_t n) override {
    const auto want = static_cast<uInt>(std::min<std::size_t>(n, 1u << 30));
    z_.next_out = out;
    z_.avail_out = want;
    while (z_.avail_out == want) {
      if (z_.avail_in == 0 && !input_done_) refill();
      if (stream_ended_) {
        // gzip allows several members back to back; anything else after the
        // end of a member fails the next member's header check.
        if (z_.avail_in == 0) break;
        if (inflateReset(&z_) != Z_OK) throw TraceError(name_ + ": gzip decoder reset failed");
        stream_ended_ = false;
      }
      if (z_.avail_in == 0) throw TraceError(name_ + ": truncated gzip stream");
      int rc = inflate(&z_, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        stream_ended_ = true;
      } else if (rc != Z_OK) {
        throw TraceError(name_ + ": corrupted gzip data" +
                         (z_.msg ? std::string(": ") + z_.msg : ""));
      }
    }
    return want - z_.avail_out;
  }

 private:
  void refill() {
    z_.avail_in = static_cast<uInt>(in_->read(buf_, sizeof buf_));
    z_.next_in = buf_;
    input_done_ = z_.avail_in == 0;
  }

  std::string name_;
  std::unique_ptr<ByteSource> in_;
  z_stream z_{};
  std::uint8_t buf_[1 << 16];
  bool input_done_ = false;
  bool stream_ended_ = false;
};
#endif

#ifdef STALLOC_TRACE_HAVE_ZSTD
class ZstdSource final : public ByteSource {
 public:
  ZstdSource(std::string name, std::unique_ptr<ByteSource> in)
      : name_(std::move(name)), in_(std::move(in)), ctx_(ZSTD_createDCtx()) {
    if (!ctx_) throw TraceError(name_ + ": cannot start zstd decoder");
    // Refuse frames that want a window larger than 128 MiB: a corrupted
    // header must not make us allocate gigabytes.
    ZSTD_DCtx_setParameter(ctx_, ZSTD_d_windowLogMax, 27);
  }
  ~ZstdSource() override { ZSTD_freeDCtx(ctx_); }
  ZstdSource(const ZstdSource&) = delete;
  ZstdSource& operator=(const ZstdSource&) = delete;

  std::size_t read(std::uint8_t* out, std::size_t n) override {
    ZSTD_outBuffer o{out, n, 0};
    while (o.pos == 0) {
      if (in_pos_ == in_len_ && !input_done_) {
        in_len_ = in_->read(buf_, sizeof buf_);
        in_pos_ = 0;
        input_done_ = in_len_ == 0;
      }
      if (in_pos_ == in_len_ && input_done_) {
        // A frame is finished when the decoder says so (last_ == 0).
        if (last_ != 0) throw TraceError(name_ + ": truncated zstd stream");
        break;
      }
      ZSTD_inBuffer i{buf_, in_len_, in_pos_};
      std::size_t rc = ZSTD_decompressStream(ctx_, &o, &i);
      in_pos_ = i.pos;
      if (ZSTD_isError(rc))
        throw TraceError(name_ + ": corrupted zstd data: " + ZSTD_getErrorName(rc));
      last_ = rc;
    }
    return o.pos;
  }

 private:
  std::string name_;
  std::unique_ptr<ByteSource> in_;
  ZSTD_DCtx* ctx_;
  std::uint8_t buf_[1 << 16];
  std::size_t in_len_ = 0, in_pos_ = 0;
  std::size_t last_ = 0;
  bool input_done_ = false;
};
#endif

// Wraps a raw source in the decoder its first bytes call for.
inline std::unique_ptr<ByteSource> decompressing(const std::string& name,
                                                 std::unique_ptr<ByteSource> raw) {
  std::vector<std::uint8_t> head(4);
  std::size_t got = 0;
  while (got < head.size()) {
    std::size_t k = raw->read(head.data() + got, head.size() - got);
    if (k == 0) break;
    got += k;
  }
  head.resize(got);
  bool gzip = got >= 2 && head[0] == 0x1f && head[1] == 0x8b;
  bool zstd = got >= 4 && head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd;
  auto src = std::make_unique<PrefixedSource>(std::move(head), std::move(raw));
  if (gzip) {
#ifdef STALLOC_TRACE_HAVE_ZLIB
    return std::make_unique<GzipSource>(name, std::move(src));
#else
    throw TraceError(name + ": gzip-compressed, but this build has no zlib support");
#endif
  }
  if (zstd) {
#ifdef STALLOC_TRACE_HAVE_ZSTD
    return std::make_unique<ZstdSource>(name, std::move(src));
#else
    throw TraceError(name + ": zstd-compressed, but this build has no zstd support");
#endif
  }
  return src;
}

// A buffered, decompressed byte stream with its current offset, shared by
// all parsers.
class Input {
 public:
  Input(std::string name, std::unique_ptr<ByteSource> src)
      : name_(std::move(name)), src_(decompressing(name_, std::move(src))) {}

  static Input file(const std::string& path) {
    return Input(path, std::make_unique<FileSource>(path));
  }
  static Input memory(std::string name, const std::uint8_t* data, std::size_t size) {
    return Input(std::move(name), std::make_unique<MemorySource>(data, size));
  }

  const std::string& name() const { return name_; }
  std::uint64_t offset() const { return offset_; }

  // Makes at least n bytes available unless the stream ends first; returns
  // how many are.
  std::size_t fill(std::size_t n) {
    if (avail() >= n || eof_) return avail();
    if (pos_ > 0) {
      buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(pos_));
      pos_ = 0;
    }
    while (buf_.size() < n && !eof_) {
      std::size_t old = buf_.size();
      buf_.resize(old + std::max<std::size_t>(n - old, 1 << 16));
      std::size_t k = src_->read(buf_.data() + old, buf_.size() - old);
      buf_.resize(old + k);
      eof_ = k == 0;
    }
    return avail();
  }
  std::size_t avail() const { return buf_.size() - pos_; }
  const std::uint8_t* peek() const { return buf_.data() + pos_; }
  void skip(std::size_t n) {
    pos_ += n;
    offset_ += n;
  }
  bool at_end() { return fill(1) == 0; }

  int get() {
    if (fill(1) == 0) return -1;
    int c = buf_[pos_];
    skip(1);
    return c;
  }

  [[noreturn]] void fail(const std::string& what, std::uint64_t at) const {
    throw TraceError(name_ + ": byte " + std::to_string(at) + ": " + what);
  }
  [[noreturn]] void fail(const std::string& what) const { fail(what, offset_); }

 private:
  std::string name_;
  std::unique_ptr<ByteSource> src_;
  std::vector<std::uint8_t> buf_;
  std::size_t pos_ = 0;
  std::uint64_t offset_ = 0;
  bool eof_ = false;
};

}  // namespace workloads::trace
