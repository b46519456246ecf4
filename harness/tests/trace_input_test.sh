#!/usr/bin/env bash
# stalloc-bench --workload trace:FILE with inputs that are not regular files
# (a pipe, process substitution, a FIFO), and the replay's memory cap.
# Issue 16: pipes failed ('empty file': the harness opens the trace in the
# parent and in every worker) and FIFOs hung; a 41-byte trace made every
# replay zero 1 GiB.
set -u
bench="$1"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
mkdir "$dir/tmp"
run() {  # the harness, bounded: a hang is a failure, not a stuck test
  TMPDIR="$dir/tmp" timeout 120 "$bench" "$@" --allocator system,stalloc-chain --quick --repetitions 1 \
    --out "$dir/r.json" > "$dir/stdout" 2> "$dir/stderr"
}

cat > "$dir/t.txt" <<'TRACE'
stalloc-trace 1
program demo
a 0 1 64
a 0 2 100 64
c 0 3 4 16
r 0 1 4 200
f 0 2
f 0 3
f 0 4
TRACE

# A pipe on stdin.
run --workload trace:/dev/stdin < "$dir/t.txt" || fail "trace:/dev/stdin exited $?: $(cat "$dir/stderr")"
grep -q '"status": "ok"' "$dir/r.json" || fail "trace:/dev/stdin: no ok entry in the JSON"
[ "$(grep -c '"status": "ok"' "$dir/r.json")" -eq 2 ] || fail "trace:/dev/stdin: not every allocator ran"

# Process substitution (/dev/fd/N, a pipe).
run --workload "trace:"<(cat "$dir/t.txt") || fail "trace:<(cat) exited $?: $(cat "$dir/stderr")"

# A FIFO with a writer that writes once.
mkfifo "$dir/fifo"
(cat "$dir/t.txt" > "$dir/fifo" &)
run --workload "trace:$dir/fifo" || fail "trace:FIFO exited $?: $(cat "$dir/stderr")"

# The copies of streamed traces went to TMPDIR and are gone.
[ -z "$(find "$dir/tmp" -mindepth 1)" ] || fail "temporary copies of streamed traces were left behind"

# The cap: a 1 GiB calloc in a file of under 41 bytes is refused, before any run.
printf 'stalloc-trace 1\nc 0 1 1 1073741824\n' > "$dir/big.txt"
[ "$(wc -c < "$dir/big.txt")" -le 41 ] || fail "the test trace is not small"
run --workload "trace:$dir/big.txt"
rc=$?
[ $rc -eq 2 ] || fail "a 1 GiB request under the default cap exited $rc, expected 2"
grep -q "over the replay limit of 268435456 (raise it with --max-live" "$dir/stderr" ||
  fail "no clear message for the cap: $(cat "$dir/stderr")"
# --max-live lowers (or raises) it; a bad value is a usage error.
run --workload "trace:$dir/t.txt" --max-live 100
rc=$?
[ $rc -eq 2 ] || fail "--max-live 100 against a 264-byte live set exited $rc, expected 2"
run --workload "trace:$dir/t.txt" --max-live 1K || fail "--max-live 1K refused a small trace"
run --workload "trace:$dir/t.txt" --max-live lots
rc=$?
if [ $rc -ne 2 ] || ! grep -q -- "--max-live lots: not a positive size" "$dir/stderr"; then
  fail "a bad --max-live is not a usage error (exit $rc): $(cat "$dir/stderr")"
fi
echo "trace input: all checks passed"
