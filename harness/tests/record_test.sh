#!/usr/bin/env bash
# stalloc-bench record: records a real program, and the trace replays against
# allocators; bad command lines exit 2 with a message.
set -u
bench="$1"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# Python allocates through malloc with PYTHONMALLOC=malloc: thousands of ops.
PYTHONMALLOC=malloc "$bench" record --out "$dir/py.trace" -- \
  /usr/bin/python3 -c 'd = {str(i): [i] * 3 for i in range(2000)}; print(len(d))' \
  > "$dir/stdout" 2> "$dir/stderr" || fail "record exited $?: $(cat "$dir/stderr")"
grep -qx 2000 "$dir/stdout" || fail "the program's own output was lost"
grep -q "trace written to" "$dir/stderr" || fail "no confirmation on stderr"
[ -s "$dir/py.trace" ] || fail "empty trace"

"$bench" --workload "trace:$dir/py.trace" --quick --allocator system,stalloc-chain \
  --repetitions 1 --out "$dir/r.json" > "$dir/replay" 2>&1 || fail "replay failed: $(cat "$dir/replay")"
grep -q '"failed_requests"\|"ops"' "$dir/r.json" || fail "no results in the replay's JSON"

# The program's exit status comes through.
"$bench" record --out "$dir/f.trace" -- /bin/sh -c 'exit 3' 2>/dev/null
[ $? -eq 3 ] || fail "exit status of the recorded program not passed through"

expect_2() {  # <message pattern> <args...>
  local pattern="$1"; shift
  "$bench" record "$@" > /dev/null 2> "$dir/err"
  local rc=$?
  [ $rc -eq 2 ] || fail "record $* exited $rc, expected 2"
  grep -q -e "$pattern" "$dir/err" || fail "record $*: message '$(cat "$dir/err")' lacks '$pattern'"
}
expect_2 "--out FILE is required" -- /bin/true
expect_2 "no program to record" --out "$dir/x.trace"
expect_2 "no program to record" --out "$dir/x.trace" --
expect_2 "cannot write" --out /nonexistent-dir/x.trace -- /bin/true
expect_2 "unexpected argument" --bogus -- /bin/true
STALLOC_RECORDER=/nonexistent.so expect_2 "recorder library not found" --out "$dir/x.trace" -- /bin/true
echo "record: all checks passed"
