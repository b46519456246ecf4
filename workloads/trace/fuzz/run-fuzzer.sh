#!/usr/bin/env bash
# Builds the trace parser fuzzer with clang and runs it.
#   workloads/trace/fuzz/run-fuzzer.sh [SECONDS]     default 600
# New inputs go to a scratch corpus; at the end the scratch corpus is merged
# (minimized) back into the shipped workloads/trace/fuzz/corpus/. Crashes are
# written to build-fuzz-traces/crashes/ and make the script fail.
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
seconds="${1:-600}"
build="$root/build-fuzz-traces"
CC=clang-14 CXX=clang++-14 cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTALLOC_FUZZ=ON >/dev/null
cmake --build "$build" --target fuzz-trace-parser -j 2 >/dev/null
fuzzer="$(find "$build" -name fuzz-trace-parser -type f -perm -u+x | head -1)"
corpus="$root/workloads/trace/fuzz/corpus"
scratch="$build/fuzz-scratch"
mkdir -p "$scratch" "$build/crashes"
nice -n 19 "$fuzzer" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$build/crashes/" -print_final_stats=1 "$scratch" "$corpus"
# Minimize: keep only inputs that add coverage, into a fresh directory.
minimized="$build/fuzz-minimized"
rm -rf "$minimized" && mkdir -p "$minimized"
"$fuzzer" -merge=1 "$minimized" "$corpus" "$scratch" >/dev/null 2>&1
rm -f "$corpus"/* && cp "$minimized"/* "$corpus"/
echo "corpus: $(ls "$corpus" | wc -l) inputs, $(du -sh "$corpus" | cut -f1)"
