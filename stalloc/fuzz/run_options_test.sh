#!/usr/bin/env bash
# stalloc/fuzz/run's bad command lines: each exits 2 with a message that
# names the problem, before anything is built; --help exits 0 and lists the
# options (ctest: fuzz.run_bad_options).
set -uo pipefail
run="$(cd "$(dirname "$0")" && pwd)/run"
# A build directory that cannot be created: if a bad line were accepted, the
# build step would fail with another status, not 2.
never="/proc/stalloc-fuzz-never-built"
failures=0

expect_bad() {  # <message regex> <args...>
  local want="$1"; shift
  local out rc
  out="$("$run" --build-dir "$never" "$@" 2>&1)"
  rc=$?
  if [[ $rc -ne 2 || ! "$out" =~ $want ]]; then
    echo "FAIL: run $* -> status $rc, output: $out (wanted status 2 and /$want/)"
    failures=$((failures + 1))
  fi
}

expect_bad "--seconds needs a number" --seconds abc
expect_bad "--seconds needs a number" --seconds
expect_bad "--jobs needs a positive number" --jobs 0
expect_bad "--jobs needs a positive number" --jobs two
expect_bad "--jobs needs a positive number" --jobs
expect_bad "--build-dir needs a path" --build-dir
expect_bad "unknown option --bogus" --bogus

help="$("$run" --help 2>&1)"
rc=$?
if [[ $rc -ne 0 || ! "$help" =~ "--jobs N" || ! "$help" =~ "--seconds N" ]]; then
  echo "FAIL: run --help -> status $rc, output: $help"
  failures=$((failures + 1))
fi

[[ $failures -eq 0 ]] && echo "stalloc/fuzz/run: bad command lines rejected with status 2"
exit $((failures == 0 ? 0 : 1))
