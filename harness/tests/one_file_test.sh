#!/usr/bin/env bash
# "An allocator is one file plus one line; so is a workload": the stalloc-bench
# built with the test-only allocator and workload (harness/tests/CMakeLists.txt)
# shows them in --list and its JSON (with their declared traits), runs them in
# the conformance tests and into a results JSON, and the scripts take that
# JSON, with no other file naming them.
#   one_file_test.sh <bench> <harness conformance> <workload conformance> <repo> <schema>
set -euo pipefail
bench="$1" conformance="$2" workload_conformance="$3" repo="$4" schema="$5"
alloc=test-only-counting-malloc
workload=test-only-reverse
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "one_file_test: $*" >&2; exit 1; }

# 1. --list, as text and as JSON with the declared traits.
"$bench" --list >list.txt
grep -q "^  $alloc " list.txt || fail "--list lacks $alloc"
grep -q "^  $workload " list.txt || fail "--list lacks $workload"
"$bench" --list --format json >list.json
/usr/bin/python3 - "$alloc" "$workload" <<'PY' || fail "--list --format json"
import json, sys
doc = json.load(open("list.json"))
a = {x["name"]: x for x in doc["allocators"]}[sys.argv[1]]
w = {x["name"]: x for x in doc["workloads"]}[sys.argv[2]]
assert (a["family"], a["role"], a["thread_safe"], a["malloc_provider"], a["memory_model"]) == \
    ("other", "competitor", False, "glibc", "whole_process"), a
assert (w["multithreaded"], w["uses_seed"], w["needs_input"], w["exceeds_arena_on_purpose"]) == \
    (False, True, False, False), w
assert doc["allocators"][-1]["name"] == sys.argv[1], "appended last"
PY

# 2. The conformance tests: the allocator's typed suite, the workload's.
"$conformance" --gtest_filter="Conformance/${alloc//-/_}.*" --gtest_brief=1 >conf.txt 2>&1 ||
  { cat conf.txt >&2; fail "allocator conformance failed"; }
grep -Eq "\[  PASSED  \] [1-9][0-9]* tests?" conf.txt || { cat conf.txt >&2; fail "no allocator conformance test ran"; }
"$workload_conformance" --gtest_filter="*/${workload//-/_}.*" --gtest_brief=1 >wconf.txt 2>&1 ||
  { cat wconf.txt >&2; fail "workload conformance failed"; }
grep -Eq "\[  PASSED  \] [1-9][0-9]* tests?" wconf.txt || { cat wconf.txt >&2; fail "no workload conformance test ran"; }

# 3. A run: the new workload on the new allocator and on system, the new
# allocator on an existing workload; the JSON validates and carries the traits.
"$bench" --workload "$workload,small-objects" --allocator "$alloc,system" --quick \
  --repetitions 2 --min-time 0.002 --quiet --out run.json >table.txt ||
  { cat table.txt >&2; fail "the run failed"; }
grep -Eq "^$workload +- +$alloc +1 " table.txt || { cat table.txt >&2; fail "table lacks $workload / $alloc"; }
/usr/bin/python3 "$repo/harness/tests/validate_results.py" file "$schema" run.json
/usr/bin/python3 - "$alloc" "$workload" <<'PY' || fail "results JSON"
import json, sys
doc = json.load(open("run.json"))
a = {x["name"]: x for x in doc["allocators"]}[sys.argv[1]]
assert a["memory_model"] == "whole_process" and a["family"] == "other", a
ok = {(e["workload"], e["allocator"]) for e in doc["entries"] if e["status"] == "ok"}
want = {(sys.argv[2], sys.argv[1]), (sys.argv[2], "system"), ("small-objects", sys.argv[1])}
assert want <= ok, (want, ok)
held = {e["instrumented"]["held_source"] for e in doc["entries"] if e["allocator"] == sys.argv[1]}
assert held == {"mallinfo2"}, held  # whole_process under glibc
PY

# 4. The scripts take it: compare, targets, plot (when matplotlib is there).
"$repo/scripts/compare" run.json >compare.md || fail "compare refused the run"
grep -q "$alloc" compare.md && grep -q "$workload" compare.md || fail "compare lacks them"
"$repo/scripts/targets" run.json >targets.md || fail "targets refused the run"
if /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
  /usr/bin/python3 "$repo/scripts/plot" run.json -o plots >/dev/null || fail "plot refused the run"
  [ -s plots/time-per-op.png ] || fail "plot drew no bar chart"
fi
echo "one file plus one line: $alloc and $workload in --list, conformance, JSON and scripts"
