#!/usr/bin/env bash
# The program catalog (workloads/programs/catalog.json): listed by
# `run --list-programs`, its packages installed by scripts/deps.sh, and every
# program, under glibc and under libstalloc-malloc.so, runs clean, is served
# by the intended library and prints the same output.
#   program_catalog_test.sh STALLOC_BENCH SCHEMA_JSON SOURCE_DIR
set -u
bench="$(realpath "$1")"
schema="$(realpath "$2")"
src="$(realpath "$3")"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
catalog="$src/workloads/programs/catalog.json"

names="$(/usr/bin/python3 -c 'import json,sys; print(" ".join(p["name"] for p in json.load(open(sys.argv[1]))["programs"]))' "$catalog")"
[ "$(echo $names | wc -w)" -ge 6 ] || fail "fewer than 6 programs in the catalog"
"$bench" run --list-programs > "$dir/list" || fail "--list-programs failed"
for n in $names; do grep -q "^program:$n " "$dir/list" || fail "--list-programs misses $n"; done

# Every package a program needs is one scripts/deps.sh installs.
packages="$(bash -c 'source "$1/scripts/deps.sh"; echo " ${STALLOC_DEBIAN_PACKAGES[*]} "' _ "$src")"
for p in $(/usr/bin/python3 -c 'import json,sys; print(" ".join(sorted({q for p in json.load(open(sys.argv[1]))["programs"] for q in p["packages"]})))' "$catalog"); do
  case "$packages" in *" $p "*) ;; *) fail "catalog package $p is not in scripts/deps.sh";; esac
done

# A bad catalog is refused with the file and the problem, exit 2.
mkdir "$dir/bad"
echo '{"programs": [{"name": "x", "description": "d", "packages": ["p"], "command": ["true"], "threads": 0}]}' > "$dir/bad/catalog.json"
STALLOC_BENCH_PROGRAMS_DIR="$dir/bad" "$bench" run --program all > /dev/null 2> "$dir/err"
[ $? -eq 2 ] || fail "a bad catalog did not exit 2"
grep -q "catalog.json: x: threads must be" "$dir/err" || fail "bad catalog message: $(cat "$dir/err")"
"$bench" run --program no-such-program > /dev/null 2> "$dir/err"
[ $? -eq 2 ] || fail "an unknown catalog program did not exit 2"
grep -q "no program 'no-such-program' in the catalog" "$dir/err" || fail "message: $(cat "$dir/err")"

# Every program under glibc and Stalloc: ok, verified, the same output.
"$bench" run --program all -a system,stalloc -r 1 --quiet -o "$dir/all.json" > "$dir/table" 2> "$dir/err" ||
  fail "run --program all exited $?: $(cat "$dir/err") $(cat "$dir/table")"
/usr/bin/python3 "$(dirname "$0")/validate_results.py" file "$schema" "$dir/all.json" > /dev/null ||
  fail "the results do not validate"
/usr/bin/python3 - "$dir/all.json" $names <<'PY' || fail "entries"
import json, sys
doc = json.load(open(sys.argv[1]))
want = {f"program:{n}" for n in sys.argv[2:]}
seen = set()
for e in doc["entries"]:
    seen.add(e["workload"])
    assert e["status"] == "ok", (e["workload"], e["allocator"], e["reason"])
    assert e["malloc_provider"]["verified"], e
    lib = e["malloc_provider"]["library"]
    assert ("libstalloc-malloc" in lib) == (e["allocator"] == "stalloc"), (e["allocator"], lib)
    assert e["program"]["output_check"].startswith(("stdout identical", "not compared: the catalog")), e
assert seen == want, (seen, want)
PY
# The main command reaches the catalog too: --list shows the programs, and
# --workload program:NAME is the run of `run --program NAME` (same entries).
"$bench" --list > "$dir/main-list" || fail "--list failed"
for n in $names; do grep -q "^  program:$n " "$dir/main-list" || fail "--list misses program:$n"; done
"$bench" --workload program:sort -a system,stalloc -r 1 --quiet -o "$dir/sort.json" > /dev/null \
  2> "$dir/err" || fail "--workload program:sort exited $?: $(cat "$dir/err")"
/usr/bin/python3 "$(dirname "$0")/validate_results.py" file "$schema" "$dir/sort.json" > /dev/null ||
  fail "the --workload program:sort results do not validate"
/usr/bin/python3 - "$dir/all.json" "$dir/sort.json" <<'PY' || fail "--workload program:sort differs from run --program sort"
import json, sys
def shape(path):
    doc = json.load(open(path))
    return sorted((e["workload"], e["allocator"], e["status"], tuple(sorted(e)),
                   tuple(sorted(e["program"])), e["program"]["output_check"])
                  for e in doc["entries"] if e["workload"] == "program:sort")
run, main = shape(sys.argv[1]), shape(sys.argv[2])
assert run and run == main, (run, main)
PY
echo "program_catalog_test: ok ($names)"
