// chained: the program's allocator is a global SyncStalloc<1024, 8> (8 KB)
// chained to the system allocator: what does not fit in the arena goes to
// malloc, and every delete finds its way back to where the memory came from.
// 100 million small strings, plus a 100 KB string every 10,000 iterations
// that is kept until the end (those overflow into malloc).
//
// The small string is 21 characters: libstdc++ keeps strings of up to 15
// characters inline without allocating, so the crate's "hello!" would
// measure nothing here. The default side does the same work with strings
// that allocate from glibc malloc (stalloc::System).
#include <stalloc/allocator.hpp>
#include <stalloc/global.hpp>
#include <stalloc/system.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "example_support.hpp"

STALLOC_GLOBAL_ALLOCATOR(heap, stalloc::AllocChain<stalloc::SyncStalloc<1024, 8>, stalloc::System>);

namespace {

constexpr std::string_view kSmall = "hello, stalloc world!";
constexpr std::size_t kBigSize = 100'000;
constexpr std::uint64_t kBigEvery = 10'000;

template <class String, class Strings>
std::uint64_t make_strings(std::uint64_t iterations, const typename String::allocator_type& alloc,
                           Strings& big_strings) {
  std::uint64_t sum = 0;
  for (std::uint64_t i = 0; i < iterations; ++i) {
    String small(kSmall, alloc);
    examples::keep(small.data());
    sum += small.size();
    if (i % kBigEvery == 0) big_strings.push_back(String(kBigSize, 'x', alloc));
  }
  for (const String& s : big_strings)
    sum += static_cast<std::uint64_t>(s.size() + (s.back() == 'x'));
  return sum;
}

std::uint64_t with_stalloc(std::uint64_t iterations) {
  std::vector<std::string> big_strings;
  const std::uint64_t sum = make_strings<std::string>(iterations, {}, big_strings);
  return sum;
}

std::uint64_t with_default(std::uint64_t iterations) {
  stalloc::System system;
  using String =
      std::basic_string<char, std::char_traits<char>, stalloc::allocator<char, stalloc::System>>;
  std::vector<String, stalloc::allocator<String, stalloc::System>> big_strings(system);
  return make_strings<String>(iterations, String::allocator_type(system), big_strings);
}

}  // namespace

int main(int argc, char** argv) {
  const examples::Options options = examples::parse_options(argc, argv);
  const std::uint64_t n = options.short_run ? 100'000 : 100'000'000;
  const std::uint64_t bigs = (n + kBigEvery - 1) / kBigEvery;
  const int status = examples::run_side_by_side(
      "chained", options, n, n * kSmall.size() + bigs * (kBigSize + 1),
      [&] { return with_stalloc(n); }, [&] { return with_default(n); });
  // Everything went back to the link it came from.
  if (!heap.first().is_empty() || !heap.check_invariants()) {
    std::fprintf(stderr, "chained: the arena is not empty and consistent at the end\n");
    return 1;
  }
  return status;
}
