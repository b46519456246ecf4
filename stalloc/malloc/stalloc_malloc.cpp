// libstalloc-malloc.so: the malloc family on Stalloc arenas, glibc behind
// them. What it serves, how to choose the arenas, and what it checks:
// stalloc_malloc.h. This file is the whole implementation.
//
// Rules this code keeps, because it runs inside every malloc of the process:
//  - Nothing here calls malloc: messages are written with write(2), the
//    locks are atomics and futexes, and the only library calls are glibc's
//    __libc_* entry points, pthread_self, pthread_atfork, getenv and dlsym
//    (the last one from outside any lock; it may allocate, which is fine).
//  - The arenas are constinit statics (all-zero: .bss), so malloc works
//    before any constructor has run, including in other libraries'
//    constructors and in ld.so's own calls.
//  - No lock of ours is held while glibc is called, so glibc's own fork
//    handling and ours cannot deadlock each other.
//  - Nothing is ever destroyed: frees that run after exit() (other
//    libraries' destructors) find the arenas intact.
#include "stalloc_malloc.h"

#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <type_traits>

#include "stalloc/sized_stalloc.hpp"
#include "stalloc/stalloc.hpp"
#include "stalloc/sync.hpp"

extern "C" {
void* __libc_malloc(std::size_t);
void __libc_free(void*);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
}

// How many arenas of each size class are compiled in (stalloc_malloc.h).
#ifndef STALLOC_MALLOC_SMALL_ARENAS
#define STALLOC_MALLOC_SMALL_ARENAS 32
#endif
#ifndef STALLOC_MALLOC_MEDIUM_ARENAS
#define STALLOC_MALLOC_MEDIUM_ARENAS 8
#endif

namespace {

constexpr std::size_t kSmallArenas = STALLOC_MALLOC_SMALL_ARENAS;
constexpr std::size_t kMediumArenas = STALLOC_MALLOC_MEDIUM_ARENAS;
static_assert(kSmallArenas >= 1 && kSmallArenas <= 1024 && kMediumArenas >= 1 &&
              kMediumArenas <= kSmallArenas);
// After every arena of a class refused a request, this thread's next requests
// of that class go straight to glibc, this many of them, before it tries the
// arenas again (frees may have made room): a full heap costs one scan of
// the arenas per kSkipWhenFull requests, not one per request.
constexpr unsigned kSkipWhenFull = 64;
// malloc's own alignment (glibc's on x86-64), and the largest an arena takes.
constexpr std::size_t kMallocAlign = 16;
constexpr std::size_t kArenaMaxAlign = 4096;

[[noreturn]] void die(const char* what, const void* p) noexcept {
  char buf[160];
  std::size_t n = 0;
  const auto put = [&](const char* s) {
    while (*s != '\0' && n < sizeof buf - 1) buf[n++] = *s++;
  };
  put("libstalloc-malloc: ");
  put(what);
  put(": 0x");
  const auto a = reinterpret_cast<std::uintptr_t>(p);
  for (int shift = 60; shift >= 0; shift -= 4) {
    if (n < sizeof buf - 1) buf[n++] = "0123456789abcdef"[(a >> shift) & 15U];
  }
  buf[n++] = '\n';
  [[maybe_unused]] const ssize_t w = write(STDERR_FILENO, buf, n);
  abort();
}

// The thread that is forking holds every arena lock (atfork prepare) and may
// still call malloc or free from other fork handlers: it then uses the arenas
// without taking the locks it already holds. 0 when no fork is in progress.
std::atomic<pthread_t> g_fork_owner{0};

// One arena: SizedStalloc (finds an allocation's size from its address),
// plus a bitmap of the blocks where live allocations start, so that a free of
// anything else is caught before the arena is touched.
template <std::size_t B, std::size_t MaxBytes, std::size_t MaxAlign>
struct alignas(kArenaMaxAlign) Arena {
  static constexpr std::size_t kBlocks = 65535;
  static constexpr std::size_t kWords = (kBlocks + 63) / 64;
  static constexpr std::size_t block_size = B;
  static constexpr std::size_t max_bytes = MaxBytes;
  static constexpr std::size_t max_align = MaxAlign;
  using Heap = stalloc::SizedStalloc<kBlocks, B, stalloc::ChainedQuickFit>;

  // First member: its blocks start at the struct's address, which is
  // kArenaMaxAlign-aligned, so the arena's block-index alignment is real
  // address alignment up to that.
  Heap heap;
  std::uint64_t starts[kWords] = {};
  std::atomic<std::size_t> bytes_in_use{0};
  stalloc::AdaptiveLock lock;

  constexpr Arena() noexcept = default;

  static constexpr std::size_t blocks_for(std::size_t n) noexcept { return (n + B - 1) / B; }

  std::uintptr_t base() const noexcept { return reinterpret_cast<std::uintptr_t>(this); }
  bool owns(const void* p) const noexcept { return heap.owns(p); }
  std::size_t index_of(const void* p) const noexcept {
    return (reinterpret_cast<std::uintptr_t>(p) - base()) / B;
  }
  bool is_start(std::size_t i) const noexcept { return (starts[i / 64] >> (i % 64)) & 1U; }
  void set_start(std::size_t i) noexcept { starts[i / 64] |= std::uint64_t{1} << (i % 64); }
  void clear_start(std::size_t i) noexcept { starts[i / 64] &= ~(std::uint64_t{1} << (i % 64)); }
  void add_bytes(std::size_t n) noexcept {
    bytes_in_use.store(bytes_in_use.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void sub_bytes(std::size_t n) noexcept {
    bytes_in_use.store(bytes_in_use.load(std::memory_order_relaxed) - n, std::memory_order_relaxed);
  }

  // Holds the lock for a scope, unless this thread is forking and holds it
  // already (see g_fork_owner).
  class Guard {
   public:
    explicit Guard(Arena& a) noexcept : lock_(&a.lock) {
      if (lock_->try_lock()) [[likely]]
        return;
      if (pthread_equal(g_fork_owner.load(std::memory_order_relaxed), pthread_self())) {
        lock_ = nullptr;
        return;
      }
      lock_->lock();
    }
    ~Guard() {
      if (lock_ != nullptr) lock_->unlock();
    }
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;

   private:
    stalloc::AdaptiveLock* lock_;
  };

  // size >= 1, size <= MaxBytes, align a power of two <= MaxAlign. nullptr
  // when the arena has no room.
  void* allocate(std::size_t size, std::size_t align) noexcept {
    Guard g(*this);
    void* p = heap.allocate(size, align < B ? B : align);
    if (p == nullptr) return nullptr;
    set_start(index_of(p));
    add_bytes(blocks_for(size) * B);
    return p;
  }

  static constexpr std::size_t kNotLive = ~std::size_t{0};
  // p's block index when p (inside this arena's blocks) starts a live
  // allocation, else kNotLive. Caller holds the lock.
  std::size_t live_index(const void* p) const noexcept {
    if ((reinterpret_cast<std::uintptr_t>(p) - base()) % B != 0) return kNotLive;
    const std::size_t i = index_of(p);
    return is_start(i) ? i : kNotLive;
  }

  // Each of the three below aborts, after releasing the lock (a handler of
  // SIGABRT may call malloc), on a p that starts no live allocation.
  void deallocate(void* p) noexcept {
    {
      Guard g(*this);
      const std::size_t i = live_index(p);
      if (i != kNotLive) [[likely]] {
        // One scan of the end bits for the size, then the sized free (the
        // quick-list fast path), rather than deallocate_unsized's second scan.
        const std::size_t bytes = heap.allocation_size(p);
        clear_start(i);
        sub_bytes(bytes);
        heap.deallocate(p, bytes, B);
        return;
      }
    }
    die("free() of a pointer inside an arena that is not a live allocation "
        "(double free, or an interior pointer)",
        p);
  }

  std::size_t usable_size(const void* p) noexcept {
    {
      Guard g(*this);
      if (live_index(p) != kNotLive) return heap.allocation_size(p);
    }
    die("malloc_usable_size() of a pointer inside an arena that is not a live allocation", p);
  }

  // realloc within this arena: in place when the next blocks are free, else
  // a move inside the arena. nullptr (p untouched) when the new size does not
  // belong here or the arena has no room; old_usable is set to p's usable
  // size either way.
  void* reallocate(void* p, std::size_t size, std::size_t& old_usable) noexcept {
    {
      Guard g(*this);
      const std::size_t i = live_index(p);
      if (i != kNotLive) [[likely]] {
        old_usable = heap.allocation_size(p);
        if (size > MaxBytes) return nullptr;
        void* q = heap.reallocate(p, old_usable, size, B);
        if (q == nullptr) return nullptr;
        if (q != p) {
          clear_start(i);
          set_start(index_of(q));
        }
        sub_bytes(old_usable);
        add_bytes(blocks_for(size) * B);
        return q;
      }
    }
    die("realloc() of a pointer inside an arena that is not a live allocation", p);
  }
};

using SmallArena = Arena<16, 256, 64>;
using MediumArena = Arena<256, 4096, kArenaMaxAlign>;

struct Heap {
  SmallArena small[kSmallArenas];
  MediumArena medium[kMediumArenas];
};
static_assert(std::is_trivially_destructible_v<Heap>,
              "the arenas must outlive every destructor: nothing may destroy them");

constinit Heap g_heap;
// Small arenas that take new allocations (STALLOC_MALLOC_ARENAS; medium
// ones: min(this, kMediumArenas)); set by init().
constinit std::atomic<std::size_t> g_active{kSmallArenas};
constinit std::atomic<unsigned> g_thread_count{0};

// Per thread (initial-exec TLS: no __tls_get_addr, which may allocate): its
// number + 1 (0: not numbered yet), and per size class the arena it last
// allocated from (index + 1; 0: none yet, start at arena number % count)
// and how many requests still skip the arenas (kSkipWhenFull).
struct Cursor {
  unsigned current;
  unsigned skip;
};
__thread unsigned t_number __attribute__((tls_model("initial-exec"))) = 0;
__thread Cursor t_small __attribute__((tls_model("initial-exec"))) = {0, 0};
__thread Cursor t_medium __attribute__((tls_model("initial-exec"))) = {0, 0};

using UsableSizeFn = std::size_t (*)(void*);
constinit std::atomic<UsableSizeFn> g_glibc_usable_size{nullptr};

// Which arena owns p: the index into small[] / medium[], or -1.
template <class A, std::size_t K>
int find(const A (&arenas)[K], const void* p) noexcept {
  const auto off = reinterpret_cast<std::uintptr_t>(p) - reinterpret_cast<std::uintptr_t>(arenas);
  if (off >= sizeof arenas) return -1;
  const std::size_t k = off / sizeof(A);
  // Inside the struct but outside the blocks (the bookkeeping): not ours to
  // hand out, so not a pointer any caller may hold.
  if (!arenas[k].owns(p)) die("pointer into the allocator's own bookkeeping", p);
  return static_cast<int>(k);
}

bool in_heap(const void* p) noexcept {
  return reinterpret_cast<std::uintptr_t>(p) - reinterpret_cast<std::uintptr_t>(&g_heap) <
         sizeof g_heap;
}

// Threads are numbered in the order of their first allocation, so that their
// first arenas spread round-robin.
unsigned thread_number() noexcept {
  unsigned n = t_number;
  if (n == 0) [[unlikely]] {
    n = g_thread_count.fetch_add(1, std::memory_order_relaxed) % (1U << 30) + 1;
    t_number = n;
  }
  return n - 1;
}

// The first of arenas[0, active) that takes the request, starting at the
// thread's current one; nullptr when all refuse (then the next kSkipWhenFull
// requests of the class skip the arenas).
template <class A, std::size_t K>
void* allocate_in(A (&arenas)[K], std::size_t active, Cursor& c, std::size_t size,
                  std::size_t align) noexcept {
  if (c.skip != 0) [[unlikely]] {
    --c.skip;
    return nullptr;
  }
  std::size_t k = c.current;
  if (k == 0 || k > active) [[unlikely]]
    k = thread_number() % active + 1;
  for (std::size_t tries = 0; tries < active; ++tries) {
    if (void* p = arenas[k - 1].allocate(size, align)) {
      c.current = static_cast<unsigned>(k);
      return p;
    }
    k = k == active ? 1 : k + 1;
  }
  // Full (an aligned request may fail for want of an aligned run alone:
  // that does not stop the others).
  if (align <= A::block_size) c.skip = kSkipWhenFull;
  return nullptr;
}

// From the arenas, or nullptr when they cannot take it. size >= 1; align a
// power of two.
void* arena_allocate(std::size_t size, std::size_t align) noexcept {
  const std::size_t active = g_active.load(std::memory_order_relaxed);
  if (active == 0) return nullptr;
  if (size <= SmallArena::max_bytes && align <= SmallArena::max_align) {
    if (void* p = allocate_in(g_heap.small, active, t_small, size, align)) return p;
    // ProgramHeap's lower bound: small requests the small arenas refuse go
    // to glibc, not into 256-byte blocks (unless their alignment needs them).
    return nullptr;
  }
  if (size <= MediumArena::max_bytes && align <= MediumArena::max_align) {
    return allocate_in(g_heap.medium, active < kMediumArenas ? active : kMediumArenas, t_medium,
                       size, align);
  }
  return nullptr;
}

void* do_malloc(std::size_t size) noexcept {
  if (size == 0) size = 1;
  if (void* p = arena_allocate(size, kMallocAlign)) return p;
  return __libc_malloc(size);
}

// align: a power of two.
void* do_memalign(std::size_t align, std::size_t size) noexcept {
  if (size == 0) size = 1;
  if (align <= kMallocAlign) return do_malloc(size);
  if (void* p = arena_allocate(size, align)) return p;
  return __libc_memalign(align, size);
}

void do_free(void* p) noexcept {
  if (p == nullptr) return;
  if (!in_heap(p)) [[unlikely]] {
    __libc_free(p);
    return;
  }
  const int s = find(g_heap.small, p);
  if (s >= 0) return g_heap.small[s].deallocate(p);
  g_heap.medium[find(g_heap.medium, p)].deallocate(p);
}

std::size_t glibc_usable_size(void* p) noexcept {
  UsableSizeFn fn = g_glibc_usable_size.load(std::memory_order_acquire);
  if (fn == nullptr) {
    fn = reinterpret_cast<UsableSizeFn>(dlsym(RTLD_NEXT, "malloc_usable_size"));
    if (fn == nullptr) return 0;
    g_glibc_usable_size.store(fn, std::memory_order_release);
  }
  return fn(p);
}

std::size_t do_usable_size(void* p) noexcept {
  if (p == nullptr) return 0;
  if (!in_heap(p)) return glibc_usable_size(p);
  const int s = find(g_heap.small, p);
  if (s >= 0) return g_heap.small[s].usable_size(p);
  return g_heap.medium[find(g_heap.medium, p)].usable_size(p);
}

// Moves an arena allocation of old_usable bytes to a new one of `size`.
void* move_out(void* p, std::size_t old_usable, std::size_t size) noexcept {
  void* q = do_malloc(size);
  if (q == nullptr) return nullptr;  // errno set by glibc; p untouched
  std::memcpy(q, p, old_usable < size ? old_usable : size);
  do_free(p);
  return q;
}

void* do_realloc(void* p, std::size_t size) noexcept {
  if (p == nullptr) return do_malloc(size);
  if (size == 0) {  // glibc: frees p, returns NULL
    do_free(p);
    return nullptr;
  }
  if (!in_heap(p)) return __libc_realloc(p, size);
  std::size_t old_usable = 0;
  const int s = find(g_heap.small, p);
  void* q = s >= 0 ? g_heap.small[s].reallocate(p, size, old_usable)
                   : g_heap.medium[find(g_heap.medium, p)].reallocate(p, size, old_usable);
  if (q != nullptr) return q;
  return move_out(p, old_usable, size);
}

void lock_all() noexcept {
  g_fork_owner.store(pthread_self(), std::memory_order_relaxed);
  for (auto& a : g_heap.small) a.lock.lock();
  for (auto& a : g_heap.medium) a.lock.lock();
}
void unlock_all_parent() noexcept {
  for (auto& a : g_heap.medium) a.lock.unlock();
  for (auto& a : g_heap.small) a.lock.unlock();
  g_fork_owner.store(0, std::memory_order_relaxed);
}
// The child has one thread: locks that other threads of the parent were
// waiting on (sleeper counts) are fresh again.
void reset_all_child() noexcept {
  for (auto& a : g_heap.medium) std::construct_at(&a.lock);
  for (auto& a : g_heap.small) std::construct_at(&a.lock);
  g_fork_owner.store(0, std::memory_order_relaxed);
}

__attribute__((constructor(101))) void init() noexcept {
  if (const char* s = getenv("STALLOC_MALLOC_ARENAS"); s != nullptr && *s != '\0') {
    std::size_t n = 0;
    bool ok = true;
    for (const char* c = s; *c != '\0'; ++c) {
      if (*c < '0' || *c > '9' || n > kSmallArenas) {
        ok = false;
        break;
      }
      n = n * 10 + static_cast<std::size_t>(*c - '0');
    }
    if (!ok || n > kSmallArenas) {
      static const char msg[] =
          "libstalloc-malloc: STALLOC_MALLOC_ARENAS must be a number from 0 to the small "
          "arenas compiled in (STALLOC_MALLOC_SMALL_ARENAS, 32); using them all\n";
      [[maybe_unused]] const ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
    } else {
      g_active.store(n, std::memory_order_relaxed);
    }
  }
  pthread_atfork(lock_all, unlock_all_parent, reset_all_child);
}

bool is_power_of_two(std::size_t x) noexcept {
  return x != 0 && (x & (x - 1)) == 0;
}

}  // namespace

#define STALLOC_EXPORT extern "C" __attribute__((visibility("default")))

STALLOC_EXPORT void* malloc(std::size_t size) noexcept {
  return do_malloc(size);
}

STALLOC_EXPORT void free(void* p) noexcept {
  do_free(p);
}

STALLOC_EXPORT void* calloc(std::size_t count, std::size_t size) noexcept {
  std::size_t bytes = 0;
  if (__builtin_mul_overflow(count, size, &bytes)) {
    errno = ENOMEM;
    return nullptr;
  }
  if (bytes == 0) bytes = 1;
  if (void* p = arena_allocate(bytes, kMallocAlign)) {
    std::memset(p, 0, bytes);  // arena blocks are reused: not zero
    return p;
  }
  return __libc_calloc(bytes, 1);
}

STALLOC_EXPORT void* realloc(void* p, std::size_t size) noexcept {
  return do_realloc(p, size);
}

STALLOC_EXPORT void* reallocarray(void* p, std::size_t count, std::size_t size) noexcept {
  std::size_t bytes = 0;
  if (__builtin_mul_overflow(count, size, &bytes)) {
    errno = ENOMEM;
    return nullptr;
  }
  return do_realloc(p, bytes);
}

STALLOC_EXPORT int posix_memalign(void** out, std::size_t align, std::size_t size) noexcept {
  if (!is_power_of_two(align) || align % sizeof(void*) != 0) return EINVAL;
  const int saved = errno;
  void* p = do_memalign(align, size);
  if (p == nullptr) return ENOMEM;
  errno = saved;
  *out = p;
  return 0;
}

STALLOC_EXPORT void* aligned_alloc(std::size_t align, std::size_t size) noexcept {
  if (!is_power_of_two(align)) {
    errno = EINVAL;
    return nullptr;
  }
  return do_memalign(align, size);
}

STALLOC_EXPORT void* memalign(std::size_t align, std::size_t size) noexcept {
  // glibc: any alignment up to SIZE_MAX / 2 + 1, rounded up to a power of two.
  if (align > SIZE_MAX / 2 + 1) {
    errno = EINVAL;
    return nullptr;
  }
  if (!is_power_of_two(align)) align = align < kMallocAlign ? kMallocAlign : std::bit_ceil(align);
  return do_memalign(align, size);
}

STALLOC_EXPORT void* valloc(std::size_t size) noexcept {
  return do_memalign(static_cast<std::size_t>(sysconf(_SC_PAGESIZE)), size);
}

STALLOC_EXPORT void* pvalloc(std::size_t size) noexcept {
  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  if (size > SIZE_MAX - (page - 1)) {
    errno = ENOMEM;
    return nullptr;
  }
  const std::size_t rounded = (size + page - 1) & ~(page - 1);
  return do_memalign(page, rounded == 0 ? page : rounded);
}

STALLOC_EXPORT std::size_t malloc_usable_size(void* p) noexcept {
  return do_usable_size(p);
}

STALLOC_EXPORT std::size_t stalloc_malloc_arena_bytes_in_use(void) {
  std::size_t total = 0;
  for (const auto& a : g_heap.small) total += a.bytes_in_use.load(std::memory_order_relaxed);
  for (const auto& a : g_heap.medium) total += a.bytes_in_use.load(std::memory_order_relaxed);
  return total;
}

STALLOC_EXPORT int stalloc_malloc_owns(const void* p) {
  if (!in_heap(p)) return 0;
  for (const auto& a : g_heap.small)
    if (a.owns(p)) return 1;
  for (const auto& a : g_heap.medium)
    if (a.owns(p)) return 1;
  return 0;
}

STALLOC_EXPORT std::size_t stalloc_malloc_active_arenas(void) {
  return g_active.load(std::memory_order_relaxed);
}
