// libstalloc-bench-probe.so: preloaded by `stalloc-bench run` behind the
// allocator under test, it tells the harness which shared object really
// serves malloc in every process of the measured program.
//
// At load time (before the program's main, after the allocator's library is
// mapped) it resolves `malloc` the way the program's own calls are bound
// (dlsym(RTLD_DEFAULT)), names the object that defines it (dladdr), and
// writes one line "<pid> <path>\n" to the descriptor named by
// STALLOC_BENCH_PROBE_FD. Processes the program starts inherit the
// descriptor and the preload, so each reports itself; a line is far below
// PIPE_BUF, so lines from several processes never interleave.
//
// It allocates nothing itself (the line is built in a stack buffer) and does
// nothing when the variable is unset, so a child that closed the descriptor
// or a program run outside the harness is not disturbed.
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace {

// Appends `s` to buf[*len..cap), truncating.
void append(char* buf, std::size_t cap, std::size_t* len, const char* s) {
  while (*s != '\0' && *len + 1 < cap) buf[(*len)++] = *s++;
}

void append_number(char* buf, std::size_t cap, std::size_t* len, unsigned long v) {
  char digits[24];
  std::size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0 && *len + 1 < cap) buf[(*len)++] = digits[--n];
}

// The file of the object whose malloc the program's calls reach. Usually
// what dladdr says of dlsym(RTLD_DEFAULT, "malloc"). But a non-PIE program
// that takes malloc's address (python3 on Debian) exports a canonical PLT
// entry for it, an undefined symbol with an address, and dlsym returns that;
// its calls still go to the first object after it that defines malloc, in
// load order (the preloads first), which is what this then finds.
const char* malloc_provider() {
  void* resolved = dlsym(RTLD_DEFAULT, "malloc");
  Dl_info info{};
  void* entry = nullptr;  // the dynamic symbol table entry, an ElfW(Sym)
  if (resolved == nullptr || dladdr1(resolved, &info, &entry, RTLD_DL_SYMENT) == 0) return "?";
  const auto* symbol = static_cast<const ElfW(Sym)*>(entry);
  if (symbol == nullptr || symbol->st_shndx != SHN_UNDEF)
    return info.dli_fname != nullptr ? info.dli_fname : "?";
  void* self = dlopen(nullptr, RTLD_LAZY | RTLD_NOLOAD);
  link_map* map = nullptr;
  if (self == nullptr || dlinfo(self, RTLD_DI_LINKMAP, &map) != 0 || map == nullptr) return "?";
  for (link_map* l = map->l_next; l != nullptr; l = l->l_next) {
    if (l->l_name == nullptr || l->l_name[0] == '\0') continue;  // the vDSO
    void* handle = dlopen(l->l_name, RTLD_LAZY | RTLD_NOLOAD);
    if (handle == nullptr) continue;
    void* candidate = dlsym(handle, "malloc");  // this object first, then its dependencies
    Dl_info where{};
    const bool defines = candidate != nullptr && dladdr(candidate, &where) != 0 &&
                         where.dli_fname != nullptr && std::strcmp(where.dli_fname, l->l_name) == 0;
    dlclose(handle);
    if (defines) return l->l_name;
  }
  return "?";
}

__attribute__((constructor)) void report_malloc_provider() {
  const char* fd_text = std::getenv("STALLOC_BENCH_PROBE_FD");
  if (fd_text == nullptr || *fd_text == '\0') return;
  char* end = nullptr;
  const long fd = std::strtol(fd_text, &end, 10);
  if (*end != '\0' || fd < 0) return;
  const int saved_errno = errno;
  const char* path = malloc_provider();
  char line[4096];
  std::size_t len = 0;
  append_number(line, sizeof line, &len, static_cast<unsigned long>(getpid()));
  append(line, sizeof line, &len, " ");
  append(line, sizeof line, &len, path);
  line[len++] = '\n';
  // One write(): atomic on a pipe for lines up to PIPE_BUF (4096 on Linux).
  ssize_t ignored = write(static_cast<int>(fd), line, len);
  (void)ignored;
  errno = saved_errno;
}

}  // namespace
