#!/usr/bin/env bash
# stalloc-bench run -- PROGRAM: a real program under glibc and preloaded
# allocators, verified and written in the results schema; a crash, a non-zero
# exit, other output, a static binary and a hang each fail only their entry;
# bad command lines exit 2 with one line.
#   program_run_test.sh STALLOC_BENCH SCHEMA_JSON
set -u
bench="$(realpath "$1")"
schema="$(realpath "$2")"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
here="$(cd "$(dirname "$0")" && pwd)"
validate() { /usr/bin/python3 "$here/validate_results.py" file "$schema" "$1" || fail "$1 does not validate"; }
field() {  # <json> <allocator> <python expression on entry e>
  /usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
e = next(e for e in d["entries"] if e["allocator"] == sys.argv[2])
print(eval(sys.argv[3]))' "$@"
}

# Which preloaded allocator the failure cases single out (any one installed).
other=""
for a in mimalloc jemalloc tcmalloc; do
  "$bench" run -a "$a" -r 1 --quiet -o "$dir/probe-$a.json" -- /bin/true > /dev/null 2>&1
  if [ "$(field "$dir/probe-$a.json" "$a" 'e["status"]')" = ok ]; then other="$a"; break; fi
done
[ -n "$other" ] || fail "no preloadable allocator (mimalloc, jemalloc, tcmalloc) works here"

# A real program, allocating through malloc: verified ok, same output.
PYTHONMALLOC=malloc "$bench" run -a "system,$other" -r 2 --name py -o "$dir/ok.json" -- \
  /usr/bin/python3 -c 'd = {str(i): [i] * 3 for i in range(20000)}; print(len(d))' \
  > "$dir/out" 2> "$dir/err" || fail "run exited $?: $(cat "$dir/err")"
validate "$dir/ok.json"
for a in system "$other"; do
  [ "$(field "$dir/ok.json" "$a" 'e["status"]')" = ok ] || fail "$a: $(field "$dir/ok.json" "$a" 'e["reason"]')"
  [ "$(field "$dir/ok.json" "$a" 'e["malloc_provider"]["verified"]')" = True ] || fail "$a not verified"
  [ "$(field "$dir/ok.json" "$a" 'len(e["timing"]["ns_per_op"])')" = 2 ] || fail "$a: not 2 runs"
  [ "$(field "$dir/ok.json" "$a" 'e["peak_rss_bytes"] > 1000000')" = True ] || fail "$a: no peak RSS"
done
[ "$(field "$dir/ok.json" system 'e["malloc_provider"]["library"].split("/")[-1]')" = libc.so.6 ] ||
  fail "system was not served by glibc"
field "$dir/ok.json" "$other" 'e["malloc_provider"]["library"]' | grep -q "$other" ||
  fail "$other did not serve malloc"
[ "$(field "$dir/ok.json" "$other" 'e["workload"]')" = program:py ] || fail "workload name"
grep -q "program:py" "$dir/out" || fail "no table on stdout"
"$(dirname "$here")/../scripts/compare" "$dir/ok.json" > "$dir/compare" 2>&1 ||
  fail "scripts/compare cannot read it: $(cat "$dir/compare")"

# Failures single out their entry; the run goes on and exits 1.
expect_failed() {  # <allocator> <reason pattern> -- program...
  local who="$1" pattern="$2"; shift 3
  "$bench" run -a "system,$other" -r 2 --quiet -o "$dir/f.json" --timeout 2 -- "$@" \
    > /dev/null 2> "$dir/err"
  local rc=$?
  [ $rc -eq 1 ] || fail "'$*': exit status $rc, expected 1"
  validate "$dir/f.json"
  local status reason
  status="$(field "$dir/f.json" "$who" 'e["status"]')"
  reason="$(field "$dir/f.json" "$who" 'e["reason"]')"
  [ "$status" = failed ] || fail "'$*': $who is $status, expected failed"
  echo "$reason" | grep -q "$pattern" || fail "'$*': reason '$reason' lacks '$pattern'"
}
crash="case \"\$LD_PRELOAD\" in *$other*) kill -SEGV \$\$;; esac; echo same"
expect_failed "$other" "killed by signal 11" -- /bin/sh -c "$crash"
[ "$(field "$dir/f.json" system 'e["status"]')" = ok ] || fail "system failed with the crash of another"
differ="case \"\$LD_PRELOAD\" in *$other*) echo different;; *) echo same;; esac"
expect_failed "$other" "differs from system" -- /bin/sh -c "$differ"
expect_failed system "exited with status 3" -- /bin/sh -c 'echo x; exit 3'
start=$(date +%s)
expect_failed "$other" "timed out after 2 s" -- /bin/sh -c "case \"\$LD_PRELOAD\" in *$other*) sleep 30;; esac"
[ $(( $(date +%s) - start )) -lt 20 ] || fail "a hanging program held the harness"
# ldconfig is a static binary on Debian: LD_PRELOAD cannot reach it.
if [ -x /sbin/ldconfig ] && ! ldd /sbin/ldconfig > /dev/null 2>&1; then
  expect_failed system "ignored LD_PRELOAD" -- /sbin/ldconfig -p
fi

# Bad command lines: exit 2, one line naming the problem.
expect_2() {  # <message pattern> <args...>
  local pattern="$1"; shift
  "$bench" run "$@" > /dev/null 2> "$dir/err"
  local rc=$?
  [ $rc -eq 2 ] || fail "run $*: exit status $rc, expected 2"
  head -1 "$dir/err" | grep -q "$pattern" || fail "run $*: message '$(head -1 "$dir/err")' lacks '$pattern'"
}
expect_2 "program 'no-such-program-here' not found" -- no-such-program-here
expect_2 "unknown allocator 'bogus'" -a bogus -- /bin/true
expect_2 "no program to run" -a system
expect_2 "repetitions must be" -r 0 -- /bin/true
expect_2 "timeout must be" --timeout -1 -- /bin/true
expect_2 "given twice" -a system,system -- /bin/true
expect_2 "cannot\|not writable\|directory" -o /no/such/dir/x.json -- /bin/true
echo "program_run_test: ok ($other)"
