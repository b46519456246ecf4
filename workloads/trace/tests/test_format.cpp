// The trace formats: round trips, compression, and every kind of bad input
// with the message it must produce.
#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "workloads/trace/binary_format.hpp"
#include "workloads/trace/checker.hpp"
#include "workloads/trace/open.hpp"

namespace trace = workloads::trace;
using trace::Op;
using trace::OpKind;

namespace {

trace::Trace parse(const std::string& bytes, const std::string& name = "t.trace") {
  auto f = trace::TraceFile::from_memory(name, reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                         bytes.size());
  return trace::read_trace(f);
}

std::string error_of(const std::string& bytes, const std::string& name = "t.trace") {
  try {
    parse(bytes, name);
  } catch (const trace::TraceError& e) {
    return e.what();
  }
  return "<no error>";
}

template <class Write>
std::string serialize(const trace::Trace& t, Write write) {
  char* buf = nullptr;
  std::size_t len = 0;
  std::FILE* f = open_memstream(&buf, &len);
  write(f, "mem", t.header, t.ops);
  std::fclose(f);
  std::string s(buf, len);
  std::free(buf);
  return s;
}
std::string to_binary(const trace::Trace& t) {
  return serialize(t, trace::write_binary);
}
std::string to_text(const trace::Trace& t) {
  return serialize(t, trace::write_text);
}

const char* kSample =
    "stalloc-trace 1\n"
    "program demo\n"
    "command demo --fast\n"
    "date 2026-01-01T00:00:00Z\n"
    "threads 2\n"
    "ops 7\n"
    "# a comment\n"
    "a 0 1 64\n"
    "a 0 2 100 64     # aligned\n"
    "c 1 3 4 16\n"
    "r 1 1 4 200\n"
    "f 0 2\n"
    "a 1 5 0\n"
    "f 0 4\n";

Op make(OpKind k, std::uint32_t thread, std::uint64_t id, std::uint64_t size = 0,
        std::uint64_t old_id = 0, std::uint64_t count = 0, std::uint8_t align_code = 0) {
  Op op;
  op.kind = k;
  op.thread = thread;
  op.id = id;
  op.size = size;
  op.old_id = old_id;
  op.count = count;
  op.align_code = align_code;
  return op;
}

}  // namespace

TEST(TextFormat, ParsesEveryOpKindAndTheHeader) {
  trace::Trace t = parse(kSample);
  EXPECT_EQ(t.header.program, "demo");
  EXPECT_EQ(t.header.command_line, "demo --fast");
  EXPECT_EQ(t.header.date, "2026-01-01T00:00:00Z");
  EXPECT_EQ(t.header.thread_count, 2u);
  EXPECT_EQ(t.header.op_count, 7u);
  std::vector<Op> want = {
      make(OpKind::kAlloc, 0, 1, 64),
      make(OpKind::kAlloc, 0, 2, 100, 0, 0, 7),  // 64 = 2^6 -> code 7
      make(OpKind::kCalloc, 1, 3, 16, 0, 4),
      make(OpKind::kRealloc, 1, 4, 200, 1),
      make(OpKind::kFree, 0, 2),
      make(OpKind::kAlloc, 1, 5, 0),
      make(OpKind::kFree, 0, 4),
  };
  EXPECT_EQ(t.ops, want);
}

TEST(RoundTrip, TextToBinaryToTextIsIdentical) {
  trace::Trace t = parse(kSample);
  std::string bin = to_binary(t);
  trace::Trace back = parse(bin);
  EXPECT_EQ(back.ops, t.ops);
  EXPECT_EQ(back.header, t.header);
  // Text written from the binary parses to the same trace again.
  trace::Trace again = parse(to_text(back));
  EXPECT_EQ(again.ops, t.ops);
  EXPECT_EQ(again.header, t.header);
  EXPECT_EQ(to_text(again), to_text(t));
}

TEST(RoundTrip, LargeIdsThreadsAndAlignmentsSurvive) {
  trace::Trace t;
  t.header.program = "p";
  std::uint64_t id = 1;
  for (std::uint32_t i = 0; i < 5000; ++i) {
    std::uint32_t thread = (i * 7) % 300;
    std::uint8_t align = static_cast<std::uint8_t>(i % 32);
    t.ops.push_back(make(OpKind::kAlloc, thread, id += (i % 3 == 0 ? 1 : 1000003),
                         (i * 977u) % 100000, 0, 0, align));
    if (i % 2) t.ops.push_back(make(OpKind::kFree, thread, id));
  }
  t.ops.push_back(make(OpKind::kCalloc, 3, id + 1, std::uint64_t{1} << 20, 0, 1 << 20));
  t.ops.push_back(make(OpKind::kRealloc, 299, id + 2, trace::kMaxSize, id + 1));
  trace::Trace back = parse(to_binary(t));
  EXPECT_EQ(back.ops, t.ops);
  EXPECT_EQ(back.header.thread_count, 300u);
  EXPECT_EQ(parse(to_text(t)).ops, t.ops);
}

TEST(RoundTrip, BinaryIsCompact) {
  trace::Trace t;
  for (std::uint64_t i = 1; i <= 10000; ++i) {
    t.ops.push_back(make(OpKind::kAlloc, 0, i, 24 + i % 64));
    if (i % 2 == 0) t.ops.push_back(make(OpKind::kFree, 0, i - 1));
  }
  // Mostly 3 bytes per alloc and 2 per free.
  EXPECT_LT(to_binary(t).size(), 3 * t.ops.size());
}

std::string gzip(const std::string& s) {
  uLongf len = compressBound(static_cast<uLong>(s.size())) + 32;
  std::string out(len, '\0');
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(s.data()));
  z.avail_in = static_cast<uInt>(s.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}
std::string zstd(const std::string& s) {
  std::string out(ZSTD_compressBound(s.size()), '\0');
  out.resize(ZSTD_compress(out.data(), out.size(), s.data(), s.size(), 3));
  return out;
}

TEST(Compression, GzipAndZstdAreReadDirectly) {
  trace::Trace t = parse(kSample);
  std::string bin = to_binary(t);
  EXPECT_EQ(parse(gzip(bin)).ops, t.ops);
  EXPECT_EQ(parse(zstd(bin)).ops, t.ops);
  EXPECT_EQ(parse(gzip(kSample)).ops, t.ops);
  EXPECT_EQ(parse(zstd(kSample)).ops, t.ops);
  // Two gzip members back to back are one stream (what `cat a.gz b.gz` gives).
  std::string half = std::string(kSample).substr(0, 40), rest = std::string(kSample).substr(40);
  EXPECT_EQ(parse(gzip(half) + gzip(rest)).ops, t.ops);
}

TEST(Compression, TruncatedOrCorruptedStreamsAreErrors) {
  std::string bin = to_binary(parse(kSample));
  std::string gz = gzip(bin), zs = zstd(bin);
  EXPECT_NE(error_of(gz.substr(0, gz.size() - 6)).find("truncated gzip stream"), std::string::npos);
  EXPECT_NE(error_of(zs.substr(0, zs.size() - 3)).find("truncated zstd stream"), std::string::npos);
  std::string bad = gz;
  bad[12] = static_cast<char>(bad[12] ^ 0x55);
  bad[13] = static_cast<char>(bad[13] ^ 0x55);
  EXPECT_NE(error_of(bad).find("t.trace: "), std::string::npos);
  std::string badz = zs;
  badz[4] = static_cast<char>(0xff);
  EXPECT_NE(error_of(badz).find("corrupted zstd data"), std::string::npos);
}

// ---- bad binary input: each names the file and the byte offset ---------------

TEST(BadBinary, WrongMagicVersionAndTruncation) {
  std::string bin = to_binary(parse(kSample));
  EXPECT_EQ(error_of(""), "t.trace: byte 0: empty file, not a trace");
  EXPECT_NE(error_of("hello world\n").find("t.trace: byte 0: not a trace"), std::string::npos);

  std::string v2 = bin;
  v2[8] = 2;  // the version varint follows the 8-byte magic
  EXPECT_EQ(error_of(v2),
            "t.trace: byte 8: unsupported trace format version 2 (this build reads version 1)");

  // Cut anywhere: always an error naming a byte offset, never a crash.
  for (std::size_t cut = 8; cut < bin.size(); ++cut) {
    std::string e = error_of(bin.substr(0, cut));
    EXPECT_NE(e.find("t.trace: byte "), std::string::npos) << cut;
    EXPECT_NE(e.find("truncated"), std::string::npos) << cut << ": " << e;
  }
}

// A binary trace from raw record bytes: lets each test build exactly the
// corruption it needs.
std::string craft(const std::string& records, std::uint64_t ops, std::uint32_t threads = 1,
                  bool end_marker = true) {
  std::uint8_t head[128];
  std::size_t n = trace::encode_header(head, "p", "p", "d", threads, ops);
  std::string s(reinterpret_cast<const char*>(head), n);
  s += records;
  if (end_marker) s += '\0';
  return s;
}
std::string varint(std::uint64_t v) {
  std::uint8_t b[10];
  return std::string(reinterpret_cast<const char*>(b), trace::put_varint(b, v));
}
const std::size_t kOpsAt = craft("", 0, 1, false).size();  // where the first record starts
std::string alloc_rec(std::uint64_t size) {
  return "\x01" + varint(trace::zigzag(1)) + varint(size);
}

TEST(BadBinary, CorruptedRecords) {
  EXPECT_EQ(parse(craft(alloc_rec(8) + "\x03" + varint(0), 2)).ops.size(),
            2u);  // the valid baseline

  EXPECT_EQ(error_of(craft("\x07", 1)),
            "t.trace: byte " + std::to_string(kOpsAt) + ": unknown op kind 7");
  EXPECT_EQ(error_of(craft("\x01" + std::string(11, '\xff'), 1)),
            "t.trace: byte " + std::to_string(kOpsAt + 1) + ": malformed varint (id)");
  EXPECT_EQ(error_of(craft(alloc_rec(trace::kMaxSize + 1), 1)),
            "t.trace: byte " + std::to_string(kOpsAt + 2) + ": absurd size 281474976710657");
  EXPECT_NE(error_of(craft("\x02" + varint(2) + varint(1u << 30) + varint(1u << 30), 1))
                .find("absurd calloc size"),
            std::string::npos);
  EXPECT_NE(error_of(craft("\xf1" + varint(99) + varint(2) + varint(8), 1))
                .find("absurd alignment code 99"),
            std::string::npos);
  EXPECT_EQ(error_of(craft(alloc_rec(8) + "\x13" + varint(0), 2)),  // found by the fuzzer
            "t.trace: byte " + std::to_string(kOpsAt + 3) + ": a free has no alignment (tag 19)");
  EXPECT_EQ(error_of(craft(alloc_rec(8), 1) + "x"), "t.trace: byte " + std::to_string(kOpsAt + 4) +
                                                        ": unexpected data after the end marker");
  EXPECT_EQ(
      error_of(craft(alloc_rec(8) + alloc_rec(8), 1)),
      "t.trace: byte " + std::to_string(kOpsAt + 3) + ": more ops than the 1 the header announces");
  EXPECT_EQ(error_of(craft(alloc_rec(8), 9)), "t.trace: byte " + std::to_string(kOpsAt + 3) +
                                                  ": the header announces 9 ops, found 1");
  EXPECT_EQ(error_of(craft("\x09" + varint(1) + varint(2) + varint(8), 1)),
            "t.trace: byte " + std::to_string(kOpsAt + 1) +
                ": thread 1 out of range (the header says 1 threads)");
  EXPECT_EQ(error_of(craft(alloc_rec(8), 1, 1, false)),
            "t.trace: byte " + std::to_string(kOpsAt + 3) +
                ": truncated trace: the header announces 1 ops, the data ends after 1 without the "
                "end marker");
}

// ---- bad text input: each names the file and the line -------------------------

TEST(BadText, MessagesNameTheLine) {
  auto err = [](const std::string& body) { return error_of("stalloc-trace 1\n" + body, "h.txt"); };
  EXPECT_EQ(error_of("stalloc-trace 7\n", "h.txt"),
            "h.txt: line 1: unsupported trace format version 7 (this build reads version 1)");
  EXPECT_EQ(err("a 0 1 64\nx 0 1\n"), "h.txt: line 3: unknown op 'x' (expected a, c, f or r)");
  EXPECT_EQ(err("a 0 1 sixty\n"), "h.txt: line 2: expected a number for the size, got 'sixty'");
  EXPECT_EQ(err("f 0\n"), "h.txt: line 2: 'f' takes 2 numbers, got 1");
  EXPECT_EQ(err("a 0 1 64 48\n"), "h.txt: line 2: alignment 48 is not a power of two");
  EXPECT_EQ(err("a 0 1 281474976710657\n"), "h.txt: line 2: absurd size 281474976710657");
  EXPECT_EQ(err("c 0 1 16777216 16777217\n"),
            "h.txt: line 2: absurd calloc size 16777216 x 16777217");
  EXPECT_EQ(err("threads 1\na 1 1 8\n"), "h.txt: line 3: thread 1 out of range");
  EXPECT_EQ(err("ops 2\na 0 1 8\n"), "h.txt: line 3: the header announces 2 ops, found 1");
  EXPECT_EQ(err("ops 1\na 0 1 8\nf 0 1\n"),
            "h.txt: line 4: more ops than the 1 the header announces");
  EXPECT_EQ(err("a 0 1 -5\n"), "h.txt: line 2: expected a number for the size, got '-5'");
}

// ---- semantic problems: reported by the checker (validate) -------------------

TEST(Checker, FreeOfNeverAllocatedAndDoubleFree) {
  trace::Trace t =
      parse("stalloc-trace 1\na 0 1 8\nf 0 1\nf 0 1\nf 0 9\nr 0 1 2 8\na 0 3 8\na 0 3 8\n");
  trace::Checker c;
  std::vector<trace::Issue> got;
  for (const Op& op : t.ops) got.push_back(c.apply(op));
  using I = trace::Issue;
  EXPECT_EQ(got, (std::vector<I>{I::kNone, I::kNone, I::kDoubleFree, I::kFreeNeverAllocated,
                                 I::kDoubleFree, I::kNone, I::kIdReused}));
  EXPECT_EQ(trace::describe(I::kDoubleFree, t.ops[2]),
            "free of id 1, which is already freed (double free)");
  EXPECT_EQ(trace::describe(I::kFreeNeverAllocated, t.ops[3]),
            "free of id 9, which was never allocated (or was freed long before)");
  EXPECT_EQ(trace::describe(I::kDoubleFree, t.ops[4]),
            "realloc of id 1, which is already freed (double free)");
  EXPECT_EQ(c.live_blocks(), 1u);
  EXPECT_EQ(c.peak_bytes(), 8u);  // the reused id replaced its block
}

// ---- the valgrind importer ----------------------------------------------------

const char* kValgrindLog =
    "==7450== Memcheck, a memory error detector\n"
    "==7450== Command: ./vg --flag\n"
    "==7450== \n"
    "--7450-- malloc(10) = 0x4D6FC80\n"
    "--7450-- realloc(0x4D6FC80,100) = 0x4D6FCD0\n"
    "--7450-- calloc(3,8) = 0x4D6FD80\n"
    "program output line\n"
    "--7450-- free(0x4D6FCD0)\n"
    "--7450-- free(0x0)\n"
    "--7450-- _Znam(20) = 0x4D6FCD0\n"
    "--7450-- _ZdaPv(0x4D6FCD0)\n"
    "--7450-- memalign(al 64, size 128) = 0x4D6FF00\n"
    "--7450-- _ZnamSt11align_val_t(size 100, al 64) = 0x4D70100\n"
    "--7450-- _ZdaPvSt11align_val_t(0x4D70100)\n"
    "--7450-- malloc(5) = 0x4D6FFD0\n"
    "--7450-- realloc(0x4D6FFD0,0)free(0x4D6FFD0)\n"
    "--7450--  = 0\n"
    "--7450-- free(0x12345)\n"
    "--7450-- malloc(99999999999) = 0x0\n"
    "--7450-- _ZdlPvm(0x4D6FF00)\n";

TEST(Valgrind, ImportsEveryCallFormAndReusesAddresses) {
  trace::Trace t = parse(kValgrindLog, "vg.log");
  EXPECT_EQ(t.header.program, "vg");
  EXPECT_EQ(t.header.command_line, "./vg --flag");
  std::vector<Op> want = {
      make(OpKind::kAlloc, 0, 1, 10),
      make(OpKind::kRealloc, 0, 2, 100, 1),
      make(OpKind::kCalloc, 0, 3, 8, 0, 3),
      make(OpKind::kFree, 0, 2),
      make(OpKind::kAlloc, 0, 4, 20),  // same address as block 2: a new block
      make(OpKind::kFree, 0, 4),
      make(OpKind::kAlloc, 0, 5, 128, 0, 0, 7),
      make(OpKind::kAlloc, 0, 6, 100, 0, 0, 7),
      make(OpKind::kFree, 0, 6),
      make(OpKind::kAlloc, 0, 7, 5),
      make(OpKind::kFree, 0, 7),  // the free logged inside realloc(p, 0)
      make(OpKind::kFree, 0, 5),
  };
  EXPECT_EQ(t.ops, want);
  EXPECT_EQ(t.warnings, 1u);  // free(0x12345): never allocated
  EXPECT_EQ(t.header.op_count, want.size());
}

TEST(Valgrind, GzipLogsAndProcessesAsThreads) {
  std::string log =
      "--1-- malloc(8) = 0x10\n--2-- malloc(8) = 0x10\n--2-- free(0x10)\n--1-- free(0x10)\n";
  trace::Trace t = parse(gzip(log), "two.log.gz");
  ASSERT_EQ(t.ops.size(), 4u);
  EXPECT_EQ(t.ops[2], make(OpKind::kFree, 1, 2));  // process 2's own block at the same address
  EXPECT_EQ(t.ops[3], make(OpKind::kFree, 0, 1));
  EXPECT_EQ(t.header.thread_count, 2u);
}

// Found by the fuzzer: every reader enforces the same limits, so whatever
// one accepts the others read back.
TEST(Valgrind, CallocOfAnAbsurdCountIsRejectedEvenWithSizeZero) {
  EXPECT_EQ(error_of("--1-- calloc(7777777777777777773,0) = 0x10\n", "c.log"),
            "c.log: line 1: absurd size 0 x 7777777777777777773");
}

TEST(Valgrind, ALogWithoutMallocLinesIsRejected) {
  EXPECT_EQ(error_of("==1== Memcheck\n==1== nothing else\n", "x.log"),
            "x.log: line 2: no allocation calls found: was valgrind run with --trace-malloc=yes?");
}

// Found by the fuzzer: a last line without a newline was read from a buffer
// that the reader had just moved (caught by ASan builds of this test).
TEST(LastLine, WithoutNewlineIsParsed) {
  std::string body = "stalloc-trace 1\n";
  for (int i = 1; i < 3000; ++i) body += "a 0 " + std::to_string(i) + " 8\n";
  EXPECT_EQ(parse(body + "f 0 1").ops.size(), 3000u);
  EXPECT_EQ(parse("stalloc-trace 1\na 0 1 8\nf 0 1").ops.size(), 2u);
  std::string log;
  for (int i = 1; i < 2000; ++i) log += "--1-- malloc(8) = 0x" + std::to_string(i * 16) + "\n";
  EXPECT_EQ(parse(log + "--1-- free(0x16)").ops.size(), 2000u);  // block 1 is at "0x16"
}

// ---- issue 16: limits, lossless text headers, bounded checker ----------------

TEST(RoundTrip, TextKeepsHeaderStringsByteForByte) {
  trace::Trace t;
  t.header.program = " prog\twith tab ";
  t.header.command_line = "a\nb\r\\x41 \\ \x01\x7f end\\";
  t.header.date = "";
  t.ops.push_back(Op{OpKind::kAlloc, 0, 0, 1, 0, 8, 0});
  const std::string text = to_text(t);
  // One header line each: the newline did not split the command.
  EXPECT_NE(text.find("\ncommand a\\x0ab\\x0d\\\\x41 \\\\ \\x01\\x7f end\\\\\n"), std::string::npos)
      << text;
  trace::Trace back = parse(text);
  EXPECT_EQ(back.header.program, t.header.program);
  EXPECT_EQ(back.header.command_line, t.header.command_line);
  EXPECT_EQ(back.header.date, t.header.date);
  EXPECT_EQ(parse(to_binary(back)).header.command_line, t.header.command_line);
}

TEST(TextFormat, ABackslashThatStartsNoEscapeIsKept) {
  EXPECT_EQ(parse("stalloc-trace 1\ncommand C:\\dir\\xq \\x4\na 0 1 8\n").header.command_line,
            "C:\\dir\\xq \\x4");
}

TEST(Limits, ReadersRefuse65536ThreadsAndAccept65535) {
  EXPECT_EQ(trace::kMaxThreads, 65535u);
  EXPECT_EQ(error_of("stalloc-trace 1\nthreads 65536\n", "h.txt"),
            "h.txt: line 2: thread count 65536 exceeds the limit of 65535");
  EXPECT_EQ(parse("stalloc-trace 1\nthreads 65535\na 65534 1 8\n").header.thread_count, 65535u);
  EXPECT_NE(error_of("stalloc-trace 1\na 65535 1 8\n").find("thread 65535 out of range"),
            std::string::npos);
  trace::Trace t;
  t.header.thread_count = 65535;
  t.ops.push_back(Op{OpKind::kAlloc, 0, 65534, 1, 0, 8, 0});
  std::string bin = to_binary(t);
  EXPECT_EQ(parse(bin).header.thread_count, 65535u);
  // The same trace announcing one thread more.
  std::uint8_t head[64];
  const std::size_t n65535 = trace::encode_header(head, "", "", "", 65535, 1);
  std::string more = bin;
  std::uint8_t head2[64];
  const std::size_t n65536 = trace::encode_header(head2, "", "", "", 65536, 1);
  more.replace(0, n65535, reinterpret_cast<const char*>(head2), n65536);
  EXPECT_NE(error_of(more).find("thread count 65536 exceeds the limit of 65535"), std::string::npos)
      << error_of(more);
}

TEST(Limits, AlignmentsBeyondOneGiBAreRepresented) {
  trace::Trace t;
  t.ops.push_back(Op{OpKind::kAlloc, 32, 0, 1, 0, 8, 0});  // 2^31
  EXPECT_EQ(parse(to_binary(t)).ops, t.ops);
  EXPECT_EQ(parse(to_text(t)).ops, t.ops);
  EXPECT_NE(to_text(t).find("a 0 1 8 2147483648"), std::string::npos);
}

TEST(BinaryFormat, PaddedOpCountAndTheAllocationFreeDecoder) {
  trace::Trace t = parse(kSample);
  std::string bin = to_binary(t);
  std::uint8_t head[256];
  const std::size_t plain = trace::encode_header(head, t.header.program, t.header.command_line,
                                                 t.header.date, 2, t.ops.size());
  std::uint8_t padded[256];
  const std::size_t len = trace::encode_header_padded(
      padded, t.header.program, t.header.command_line, t.header.date, 2, t.ops.size());
  EXPECT_EQ(len, plain - 1 + trace::kMaxVarintBytes);
  std::string with_padding =
      std::string(reinterpret_cast<const char*>(padded), len) + bin.substr(plain);
  EXPECT_EQ(parse(with_padding).ops, t.ops);
  // The decoder reads what the encoder wrote and refuses every truncation.
  trace::BinaryOpEncoder enc;
  trace::BinaryOpDecoder dec;
  for (const Op& op : t.ops) {
    std::uint8_t rec[trace::kMaxOpBytes];
    const std::size_t n = enc.encode(op, rec);
    for (std::size_t cut = 0; cut < n; ++cut) {
      trace::BinaryOpDecoder probe = dec;
      Op ignored;
      EXPECT_EQ(probe.decode(rec, rec + cut, ignored), 0u);
    }
    Op got;
    ASSERT_EQ(dec.decode(rec, rec + n, got), n);
    EXPECT_EQ(got, op);
  }
}

TEST(Checker, MemoryFollowsTheLiveBlocksNotEveryIdEverFreed) {
  trace::Checker c;
  Op a{OpKind::kAlloc, 0, 0, 0, 0, 16, 0};
  Op f{OpKind::kFree, 0, 0, 0, 0, 0, 0};
  constexpr std::uint64_t kIds = 1'000'000;
  for (std::uint64_t id = 1; id <= kIds; ++id) {
    a.id = f.id = id;
    ASSERT_EQ(c.apply(a), trace::Issue::kNone);
    ASSERT_EQ(c.apply(f), trace::Issue::kNone);
  }
  EXPECT_LE(c.tracked_ids(), trace::Checker::kRecentFrees);
  f.id = kIds;  // a recent free: still recognised as a double free
  EXPECT_EQ(c.apply(f), trace::Issue::kDoubleFree);
  f.id = 1;  // long gone: rejected all the same
  EXPECT_EQ(c.apply(f), trace::Issue::kFreeNeverAllocated);
}
