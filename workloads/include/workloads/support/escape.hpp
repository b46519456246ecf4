// The equivalent of Rust's std::hint::black_box for the crate's examples: the
// compiler must assume the pointed-to bytes are read and may be changed, so
// the work on them cannot be optimised away. GCC/Clang inline asm, no code.
#pragma once

namespace workloads::support {

inline void escape(const void* p) {
  asm volatile("" : : "r"(p) : "memory");
}

}  // namespace workloads::support
