// Each STALLOC_CASE instantiates Stalloc with parameters it must reject at
// compile time; the ctest checks the compiler's output for the readable
// static_assert message. STALLOC_CASE 0 is valid and must compile cleanly.
#include <stalloc/arena_array.hpp>
#include <stalloc/stalloc.hpp>

#if STALLOC_CASE == 0
stalloc::Stalloc<65535, (std::size_t{1} << 12)>* valid;  // largest L, a big B
stalloc::Stalloc<1, 4> smallest;
stalloc::ArenaArray<1, stalloc::Stalloc<1, 4>> one_arena;
#elif STALLOC_CASE == 1
stalloc::Stalloc<16, 3> bad;  // B not a power of two
#elif STALLOC_CASE == 2
stalloc::Stalloc<16, 2> bad;  // B smaller than a header
#elif STALLOC_CASE == 3
stalloc::Stalloc<16, 24> bad;  // B not a power of two
#elif STALLOC_CASE == 4
stalloc::Stalloc<1, (std::size_t{1} << 30)>* bad;  // B above 2^29
void touch() {
  (void)sizeof(*bad);
}
#elif STALLOC_CASE == 5
stalloc::Stalloc<0, 4> bad;  // no blocks
#elif STALLOC_CASE == 6
stalloc::Stalloc<65536, 4>* bad;  // indices are 16-bit
void touch() {
  (void)sizeof(*bad);
}
#elif STALLOC_CASE == 7
stalloc::ArenaArray<0, stalloc::Stalloc<16, 4>> bad;  // no arenas
#endif
