#include "malloc_provider.hpp"

#include <dlfcn.h>
#include <gnu/libc-version.h>
#include <sys/stat.h>

#include <cstdlib>
#include <string_view>

#include "external_malloc.hpp"

namespace harness {
namespace {

template <class Fn>
Fn find(const char* symbol) noexcept {
  return reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, symbol));
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// Queries of the allocators that may have been preloaded, each asked only
// about its own blocks (asking jemalloc about a foreign pointer is undefined).
bool mimalloc_claims(const void* p) {
  auto in_heap = find<bool (*)(const void*)>("mi_is_in_heap_region");
  return in_heap != nullptr && in_heap(p);
}
bool tcmalloc_claims(const void* p) {
  auto ownership = find<int (*)(const void*)>("MallocExtension_GetOwnership");
  return ownership != nullptr && ownership(p) == 1;  // MallocExtension_kOwned
}

}  // namespace

std::string glibc_version() {
  return gnu_get_libc_version();
}

MallocIdentity identify_malloc(MallocProvider expected) {
  MallocIdentity id;
  void* resolved = dlsym(RTLD_DEFAULT, "malloc");
  Dl_info info{};
  if (resolved == nullptr || dladdr(resolved, &info) == 0 || info.dli_fname == nullptr) {
    id.check = "dladdr could not name the library defining malloc";
    return id;
  }
  id.library = info.dli_fname;

  // A block from the malloc the program really calls (through the PLT, as
  // the adapters do).
  void* block = std::malloc(64);
  if (block == nullptr) {
    id.check = "malloc(64) failed";
    return id;
  }

  switch (expected) {
    case MallocProvider::glibc: {
      void* libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
      void* own = libc != nullptr ? dlsym(libc, "malloc") : nullptr;
      if (libc != nullptr) dlclose(libc);
      const bool same = own != nullptr && own == resolved;
      const bool foreign = mimalloc_claims(block) || tcmalloc_claims(block);
      id.verified = same && !foreign && contains(id.library, "libc.so");
      id.check = same ? (foreign ? "malloc is libc's, but another allocator claims its block"
                                 : "resolved malloc == libc.so.6's own malloc symbol; no other "
                                   "allocator claims its block")
                      : "resolved malloc is not libc.so.6's malloc";
      id.version = glibc_version();
      break;
    }
    case MallocProvider::mimalloc: {
      const bool claims = mimalloc_claims(block);
      id.verified = claims && contains(id.library, "mimalloc");
      id.check = claims ? "mi_is_in_heap_region(malloc(64)) == true"
                        : "mi_is_in_heap_region missing or false for malloc(64)";
      if (auto version = find<int (*)()>("mi_version")) {
        const int v = version();  // e.g. 209 for 2.0.9
        id.version = std::to_string(v / 100) + "." + std::to_string(v / 10 % 10) + "." +
                     std::to_string(v % 10);
      }
      break;
    }
    case MallocProvider::jemalloc: {
      auto sallocx = find<std::size_t (*)(const void*, int)>("sallocx");
      // Only ask jemalloc when its malloc is the one resolved: sallocx on a
      // foreign block is undefined behaviour.
      const bool ours = contains(id.library, "jemalloc") && sallocx != nullptr;
      const bool claims = ours && sallocx(block, 0) >= 64;
      id.verified = claims;
      id.check = claims ? "sallocx(malloc(64), 0) >= 64 in libjemalloc"
                        : "malloc is not jemalloc's (or sallocx is missing)";
      if (auto mallctl =
              find<int (*)(const char*, void*, std::size_t*, void*, std::size_t)>("mallctl");
          ours && mallctl != nullptr) {
        const char* v = nullptr;
        std::size_t len = sizeof v;
        if (mallctl("version", static_cast<void*>(&v), &len, nullptr, 0) == 0 && v != nullptr)
          id.version = v;
      }
      break;
    }
    case MallocProvider::tcmalloc: {
      const bool claims = tcmalloc_claims(block);
      id.verified = claims && contains(id.library, "tcmalloc");
      id.check = claims ? "MallocExtension_GetOwnership(malloc(64)) == kOwned"
                        : "MallocExtension_GetOwnership missing or not kOwned for malloc(64)";
      if (auto version = find<const char* (*)(int*, int*, const char**)>("tc_version")) {
        int major = 0, minor = 0;
        const char* patch = nullptr;
        version(&major, &minor, &patch);
        id.version = std::to_string(major) + "." + std::to_string(minor) +
                     (patch != nullptr ? std::string(patch) : std::string());
      }
      break;
    }
  }
  std::free(block);
  if (!id.verified && id.check.empty()) id.check = "unverified";
  return id;
}

namespace {

bool same_file(const std::string& a, const std::string& b) {
  struct stat sa {};
  struct stat sb {};
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

std::string& external_library_slot() {
  static std::string library;
  return library;
}

}  // namespace

MallocIdentity identify_external_malloc(const std::string& library) {
  MallocIdentity id;
  void* handle = dlopen(library.c_str(), RTLD_LAZY | RTLD_NOLOAD);
  if (handle == nullptr) {
    void* resolved = dlsym(RTLD_DEFAULT, "malloc");
    Dl_info info{};
    if (resolved != nullptr && dladdr(resolved, &info) != 0 && info.dli_fname != nullptr)
      id.library = info.dli_fname;
    id.check = library + " is not loaded in the worker (not preloaded?)";
    return id;
  }
  id.verified = true;
  for (const char* symbol : {"malloc", "free", "realloc", "aligned_alloc"}) {
    void* resolved = dlsym(RTLD_DEFAULT, symbol);
    void* own = dlsym(handle, symbol);
    Dl_info info{};
    const bool named = resolved != nullptr && dladdr(resolved, &info) != 0 &&
                       info.dli_fname != nullptr && same_file(info.dli_fname, library);
    if (std::string_view(symbol) == "malloc" && info.dli_fname != nullptr)
      id.library = info.dli_fname;
    if (!named || own == nullptr || own != resolved) {
      id.verified = false;
      id.check = std::string(symbol) + " is served by " +
                 (info.dli_fname != nullptr ? info.dli_fname : "an unnamed object") + ", not " +
                 library + (own == nullptr ? " (which does not define it)" : "");
      break;
    }
  }
  dlclose(handle);
  if (id.verified)
    id.check = "dladdr names " + library +
               " for the resolved malloc, free, realloc and aligned_alloc, and each is its own "
               "symbol";
  return id;
}

void set_expected_external_library(const std::string& library) {
  external_library_slot() = library;
}

const std::string& expected_external_library() {
  return external_library_slot();
}

}  // namespace harness
