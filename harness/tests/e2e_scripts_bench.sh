#!/usr/bin/env bash
# End to end, as a user runs it: scripts/bench from an unrelated directory,
# a quick small-objects run of every allocator. The table must name every
# allocator and carry the machine line; the JSON must validate.
#   e2e_scripts_bench.sh <repo> <build dir> <schema>
set -euo pipefail
repo="$1" build="$2" schema="$3"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
STALLOC_BUILD_DIR="$build" "$repo/scripts/bench" --workload small-objects --quick --out e2e.json \
  >table.txt 2>err.txt || { cat err.txt table.txt >&2; exit 1; }
cat table.txt
grep -q '^# stalloc-bench .* | glibc ' table.txt || { echo "no machine line" >&2; exit 1; }
# Every registered allocator, as the run's allocators[] lists them (the
# registry is the only list of names): each has its row, and its declared traits.
allocators="$(/usr/bin/python3 -c '
import json, sys
doc = json.load(open("e2e.json"))
for a in doc["allocators"]:
    missing = [k for k in ("family", "role", "thread_safe", "malloc_provider", "memory_model")
               if k not in a]
    if missing:
        sys.exit(a["name"] + " lacks " + ", ".join(missing))
    print(a["name"])
')"
[ "$(echo "$allocators" | wc -l)" -ge 10 ] || { echo "too few allocators: $allocators" >&2; exit 1; }
for a in $allocators; do
  grep -Eq "^small-objects +- +$a +1 " table.txt || { echo "table lacks $a" >&2; exit 1; }
done
grep -q "^results: e2e.json" table.txt || { echo "no results path" >&2; exit 1; }
/usr/bin/python3 "$(dirname "$0")/validate_results.py" file "$schema" e2e.json
