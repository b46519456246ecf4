#!/usr/bin/env bash
# Static checks of libstalloc-malloc.so (ctest malloc.library_checks):
#  - it needs libc alone (no libstdc++, libgcc_s or libm, whose start-up
#    could allocate before the program's malloc is usable);
#  - it exports the malloc family and its three query functions, nothing else;
#  - its arenas are constant-initialised: they sit in .bss (all zero, no
#    dynamic initialisation), and .data is tiny.
#   library_checks.sh /path/to/libstalloc-malloc.so
set -euo pipefail
lib="$1"
status=0
fail() { echo "FAIL: $*" >&2; status=1; }

needed="$(readelf -d "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')"
[[ "$needed" == "libc.so.6 " ]] || fail "needs [$needed], expected libc.so.6 alone"

exported="$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TWBD]$/ { print $3 }' | sort | tr '\n' ' ')"
expected="aligned_alloc calloc free malloc malloc_usable_size memalign posix_memalign pvalloc realloc reallocarray stalloc_malloc_active_arenas stalloc_malloc_arena_bytes_in_use stalloc_malloc_owns valloc "
[[ "$exported" == "$expected" ]] || fail "exports [$exported], expected [$expected]"

read -r bss data < <(size -A "$lib" | awk '$1 == ".bss" { b = $2 } $1 == ".data" { d = $2 } END { print b + 0, d + 0 }')
(( bss >= 32 * 65535 * 16 + 8 * 65535 * 256 )) || fail ".bss is $bss bytes: the arenas are not there"
(( data <= 4096 )) || fail ".data is $data bytes: something is initialised at load"
echo "needs: $needed; .bss $bss bytes, .data $data bytes; exports: $exported"
exit $status
