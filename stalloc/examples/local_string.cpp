// local_string: a message built in a 50-block allocation (200 bytes) taken
// from a Stalloc<200, 4> with the raw block API, then handed back. 100
// million iterations.
//
// The default side builds the same message in a std::string with the same
// 200-byte capacity (glibc malloc).
#include <stalloc/stalloc.hpp>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "example_support.hpp"

namespace {

constexpr std::size_t kCapacity = 200;

// A fixed-capacity text buffer over memory someone else owns.
class TextBuffer {
 public:
  TextBuffer(char* memory, std::size_t capacity) noexcept : data_(memory), capacity_(capacity) {}
  void append(std::string_view text) noexcept {
    const std::size_t n = text.size() < capacity_ - size_ ? text.size() : capacity_ - size_;
    std::memcpy(data_ + size_, text.data(), n);
    size_ += n;
  }
  [[nodiscard]] std::string_view view() const noexcept { return {data_, size_}; }
  [[nodiscard]] char* data() const noexcept { return data_; }

 private:
  char* data_;
  std::size_t capacity_;
  std::size_t size_ = 0;
};

std::uint64_t with_stalloc(std::uint64_t iterations) {
  stalloc::Stalloc<200, 4> arena;
  std::uint64_t sum = 0;
  for (std::uint64_t i = 0; i < iterations; ++i) {
    auto* memory = static_cast<char*>(arena.allocate_blocks(50, 1));
    if (memory == nullptr) return 0;  // cannot happen: the arena is empty here
    TextBuffer msg(memory, kCapacity);
    msg.append("Hello, ");
    msg.append("world!");
    examples::keep(msg.data());
    sum += msg.view().size() + static_cast<unsigned char>(msg.view()[7]);
    arena.deallocate_blocks(msg.data(), 50);
  }
  return sum;
}

std::uint64_t with_default(std::uint64_t iterations) {
  std::uint64_t sum = 0;
  for (std::uint64_t i = 0; i < iterations; ++i) {
    std::string msg;
    msg.reserve(kCapacity);
    msg += "Hello, ";
    msg += "world!";
    examples::keep(msg.data());
    sum += msg.size() + static_cast<unsigned char>(msg[7]);
  }
  return sum;
}

}  // namespace

int main(int argc, char** argv) {
  const examples::Options options = examples::parse_options(argc, argv);
  const std::uint64_t n = options.short_run ? 100'000 : 100'000'000;
  // "Hello, world!" is 13 characters and its 8th is 'w'.
  return examples::run_side_by_side(
      "local_string", options, n, n * (13 + 'w'), [&] { return with_stalloc(n); },
      [&] { return with_default(n); });
}
