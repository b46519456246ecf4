#!/usr/bin/env bash
# Real programs under libstalloc-malloc.so (ctest malloc.real_programs): each
# runs once with glibc and once with LD_PRELOAD of the library, and its stdout
# must be identical. python3 (PYTHONMALLOC=malloc, so every object goes
# through malloc) also proves that the library served it, through the
# library's query function. sort (multi-threaded on a large input), sqlite3
# and perl run when installed.
#   real_programs.sh /path/to/libstalloc-malloc.so
set -euo pipefail
lib="$1"
[[ -f "$lib" ]] || { echo "no library at $lib" >&2; exit 2; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
failures=0
ran=0

compare() {  # <name> <command...>: stdout with glibc == stdout with the library
  local name="$1"; shift
  if ! "$@" >"$tmp/glibc.out"; then echo "FAIL $name: fails without the library" >&2; failures=$((failures + 1)); return; fi
  if ! LD_PRELOAD="$lib" "$@" >"$tmp/stalloc.out"; then
    echo "FAIL $name: exit status $? under the library" >&2; failures=$((failures + 1)); return
  fi
  if ! cmp -s "$tmp/glibc.out" "$tmp/stalloc.out"; then
    echo "FAIL $name: output differs under the library" >&2
    diff "$tmp/glibc.out" "$tmp/stalloc.out" | head -5 >&2
    failures=$((failures + 1)); return
  fi
  echo "ok   $name ($(wc -c <"$tmp/glibc.out") bytes of identical output)"
  ran=$((ran + 1))
}

py=/usr/bin/python3
if [[ -x "$py" ]]; then
  served="$(LD_PRELOAD="$lib" PYTHONMALLOC=malloc "$py" -c '
import ctypes
lib = ctypes.CDLL(None)
lib.stalloc_malloc_arena_bytes_in_use.restype = ctypes.c_size_t
objs = [str(i) * 3 for i in range(10000)]
print(lib.stalloc_malloc_arena_bytes_in_use() > 100000)')"
  if [[ "$served" != "True" ]]; then
    echo "FAIL python3: the library did not serve it (got '$served')" >&2; failures=$((failures + 1))
  fi
  cat >"$tmp/work.py" <<'PY'
import hashlib, json, random, re, threading
random.seed(14)
d = {}
for i in range(200000):
    d["k%d" % random.randrange(100000)] = [i, str(i) * (i % 7), {"x": i}]
text = json.dumps(d, sort_keys=True)
back = json.loads(text)
words = sorted(re.findall(r"k\d+", text))
out = []
def work(n):
    local = [("%06d" % j) * (j % 5) for j in range(n)]
    out.append(sum(map(len, local)))
threads = [threading.Thread(target=work, args=(20000 + t,)) for t in range(4)]
for t in threads: t.start()
for t in threads: t.join()
print(len(back), len(words), sorted(out))
print(hashlib.sha256(text.encode()).hexdigest())
PY
  compare python3 env PYTHONMALLOC=malloc "$py" "$tmp/work.py"
fi

awk 'BEGIN { srand(7); for (i = 0; i < 300000; i++) printf "%d line %d %s\n", int(rand() * 1e9), i, substr("abcdefghij", 1 + i % 10) }' >"$tmp/lines.txt"
compare sort sort --parallel=2 -S 8M "$tmp/lines.txt"
compare sort-numeric sort -n -k1,1 -k3 "$tmp/lines.txt"

if command -v sqlite3 >/dev/null; then
  cat >"$tmp/db.sql" <<'SQL'
CREATE TABLE t(id INTEGER PRIMARY KEY, k TEXT, v INTEGER);
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 50000)
INSERT INTO t(k, v) SELECT printf('key%05d', (i * 7919) % 10007), i * 31 % 1000 FROM c;
CREATE INDEX tk ON t(k);
SELECT count(*), sum(v), count(DISTINCT k) FROM t;
SELECT k, count(*), sum(v) FROM t GROUP BY k ORDER BY sum(v) DESC, k LIMIT 20;
SELECT group_concat(k, ',') FROM (SELECT k FROM t WHERE v < 3 ORDER BY id LIMIT 200);
SQL
  compare sqlite3 sqlite3 :memory: ".read $tmp/db.sql"
fi

if command -v perl >/dev/null; then
  compare perl perl -e 'my %h; for my $i (1..200000) { $h{"k" . ($i * 7 % 50021)} .= "x" x ($i % 13) } my $t = 0; $t += length($h{$_}) for sort keys %h; print scalar(keys %h), " $t\n";'
fi

echo "$ran programs with identical output, $failures failures"
[[ $failures -eq 0 && $ran -gt 0 ]]
