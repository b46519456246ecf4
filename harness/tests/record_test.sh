#!/usr/bin/env bash
# stalloc-bench record: records a real program, and the trace replays against
# allocators; bad command lines exit 2 with a message.
set -u
bench="$(realpath "$1")"
tool="${2:+$(realpath "$2")}"  # stalloc-trace, to validate what record wrote
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# Python allocates through malloc with PYTHONMALLOC=malloc: thousands of ops.
PYTHONMALLOC=malloc "$bench" record --out "$dir/py.trace" -- \
  /usr/bin/python3 -c 'd = {str(i): [i] * 3 for i in range(2000)}; print(len(d))' \
  > "$dir/stdout" 2> "$dir/stderr" || fail "record exited $?: $(cat "$dir/stderr")"
grep -qx 2000 "$dir/stdout" || fail "the program's own output was lost"
grep -q "process.* recorded (program exit status 0)" "$dir/stderr" || fail "no listing on stderr"
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

# ---- issue 16 ----------------------------------------------------------------
valid() {  # <trace> <program regex>: the trace reads, checks, and is that program's
  [ -z "$tool" ] && return 0
  "$tool" validate "$1" > /dev/null 2> "$dir/verr" || fail "$1 is not valid: $(cat "$dir/verr")"
  "$tool" stats "$1" | grep -q "^program     $2\$" || fail "$1 is not $2's trace: $("$tool" stats "$1" | head -3)"
}
no_leftovers() {
  [ -z "$(find "$dir" -maxdepth 1 -name '.stalloc-record-*')" ] ||
    fail "record left its work directory behind"
  [ -z "$(find "$dir" -name '*.spool' -o -name '*.tmp')" ] ||
    fail "record left spool or temporary files behind"
  return 0
}
py='import json; print(len(json.dumps({str(i): [i] * 3 for i in range(3000)})))'

# exec without fork: env, bash -c and a wrapper script all hand over to python3,
# whose trace (the one with the most ops) must end up in --out.
for how in env bash wrapper; do
  case $how in
    env) cmd=(env PYTHONMALLOC=malloc /usr/bin/python3 -c "$py") ;;
    bash) cmd=(bash -c "PYTHONMALLOC=malloc exec /usr/bin/python3 -c '$py'") ;;
    wrapper) # $1 is the wrapper script's own argument, not ours
             # shellcheck disable=SC2016
             printf '#!/bin/sh\nPYTHONMALLOC=malloc /usr/bin/python3 -c "$1"\n' > "$dir/wrap.sh"
             chmod +x "$dir/wrap.sh"; cmd=("$dir/wrap.sh" "$py") ;;
  esac
  rm -f "$dir/$how.trace"*
  "$bench" record --out "$dir/$how.trace" -- "${cmd[@]}" > /dev/null 2> "$dir/stderr" ||
    fail "record through $how exited $?: $(cat "$dir/stderr")"
  [ -s "$dir/$how.trace" ] || fail "record through $how: empty --out"
  valid "$dir/$how.trace" 'python3[.0-9]*'
  grep -q "python3[.0-9]* (pid [0-9]*): [0-9]* ops  -> $dir/$how.trace  (the trace)" "$dir/stderr" ||
    fail "record through $how: python3 is not listed as the trace: $(cat "$dir/stderr")"
  no_leftovers
done

# A child killed by SIGPIPE (seq writing into a closed pipe) still leaves its trace.
rm -f "$dir/seq.trace"*
"$bench" record --out "$dir/seq.trace" -- seq 1 10000000 2> "$dir/stderr" | head -1 > /dev/null
[ -s "$dir/seq.trace" ] || fail "seq | head -1: no trace: $(cat "$dir/stderr")"
valid "$dir/seq.trace" seq
no_leftovers

# Child processes are followed: g++ -c records the driver, cc1plus and as;
# the trace is cc1plus's, and --program picks one by name.
if command -v g++ > /dev/null; then
  echo 'int f(int x) { return x * 2; }' > "$dir/f.cpp"
  (cd "$dir" && "$bench" record --out g.trace -- g++ -c f.cpp) 2> "$dir/stderr" ||
    fail "record g++ exited $?: $(cat "$dir/stderr")"
  valid "$dir/g.trace" cc1plus
  grep -q "^  [^ ]*g++[^ ]* (pid [0-9]*): [0-9]* ops" "$dir/stderr" || fail "the g++ driver is not listed: $(cat "$dir/stderr")"
  (cd "$dir" && "$bench" record --out as.trace --program as -- g++ -c f.cpp) 2> "$dir/stderr" ||
    fail "record --program as exited $?: $(cat "$dir/stderr")"
  valid "$dir/as.trace" '[^ ]*as' 
  no_leftovers
fi

# Python keeps its KeyboardInterrupt (it installs it only over the default
# action, and the recorder's handler used to be in the way), exits by SIGINT
# as it does unrecorded, and its trace is kept.
PYTHONMALLOC=malloc "$bench" record --out "$dir/int.trace" -- /usr/bin/python3 -c \
  'import os, signal; d = [str(i) for i in range(999)]; os.kill(os.getpid(), signal.SIGINT)' \
  > /dev/null 2> "$dir/stderr"
rc=$?
[ $rc -eq 130 ] || fail "python3 killing itself with SIGINT: record exited $rc, expected 130"
grep -q "^KeyboardInterrupt" "$dir/stderr" || fail "python3 raised no KeyboardInterrupt: $(cat "$dir/stderr")"
valid "$dir/int.trace" 'python3[.0-9]*'

# Nothing recorded is a failure with the reason, never "trace written".
expect_2 "no process named 'nothing' ran" --out "$dir/n.trace" --program nothing -- /bin/true
STALLOC_RECORDER=/etc/hostname expect_2 "no trace was written" --out "$dir/n.trace" -- /bin/true
[ -e "$dir/n.trace" ] && [ -s "$dir/n.trace" ] && fail "a failed recording left a trace file"
no_leftovers

# --out is never replaced by a regular file: a symlink stays a symlink (its
# target gets the trace), a FIFO gets the trace written into it.
ln -s "$dir/real.trace" "$dir/link.trace"
"$bench" record --out "$dir/link.trace" -- seq 3 > /dev/null 2> "$dir/stderr" || fail "record via a symlink: $(cat "$dir/stderr")"
[ -L "$dir/link.trace" ] || fail "the symlink given as --out was replaced"
valid "$dir/real.trace" seq
mkfifo "$dir/out.fifo"
(timeout 60 cat "$dir/out.fifo" > "$dir/from-fifo.trace" &)
timeout 60 "$bench" record --out "$dir/out.fifo" -- seq 3 > /dev/null 2> "$dir/stderr" || fail "record into a FIFO: $(cat "$dir/stderr")"
[ -p "$dir/out.fifo" ] || fail "the FIFO given as --out was replaced"
for _ in $(seq 1 100); do [ -s "$dir/from-fifo.trace" ] && break; sleep 0.05; done
valid "$dir/from-fifo.trace" seq
# A program that allocates nothing gives no trace: a failure, with the reason.
expect_2 "the trace is empty" --out "$dir/empty.trace" -- /bin/true
# An unwritable --out is found before the program runs.
expect_2 "cannot write" --out "$dir/no-such-dir/x.trace" -- touch "$dir/ran"
[ -e "$dir/ran" ] && fail "the program ran although --out was unwritable"
echo "record: all checks passed"
