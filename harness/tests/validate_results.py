#!/usr/bin/python3
"""Schema and Ctrl-C tests of stalloc-bench, run by ctest.

  validate_results.py schema  EXE SCHEMA   quick runs validate against the JSON Schema
  validate_results.py interrupt EXE SCHEMA SIGINT mid-run keeps finished entries, exit 130
  validate_results.py file SCHEMA RESULT.json  validate one file (for scripts/e2e)
  validate_results.py gbench EXE            --gbench-out of two runs has Google Benchmark's
                                            shape, and (with python3-scipy) a compare.py-style
                                            U test runs on the pair; with STALLOC_GBENCH_COMPARE
                                            set to google/benchmark's tools/compare.py, that too
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import jsonschema


def validator(schema_path):
    with open(schema_path) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def check(doc, v, what):
    errors = sorted(v.iter_errors(doc), key=lambda e: list(e.path))
    if errors:
        for e in errors[:10]:
            print(f"{what}: {'/'.join(map(str, e.path))}: {e.message}", file=sys.stderr)
        sys.exit(1)


def run_schema(exe, schema_path):
    v = validator(schema_path)
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "r.json")
        # small-objects for ok entries; threaded for not_applicable and thread counts.
        cmd = [exe, "--workload", "small-objects,threaded", "--quick", "--threads", "2",
               "--repetitions", "2", "--min-time", "0.002", "--out", out, "--format", "csv"]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            print(r.stderr, file=sys.stderr)
            sys.exit(f"stalloc-bench exited {r.returncode}")
        with open(out) as f:
            doc = json.load(f)
        check(doc, v, "quick run")
        statuses = {e["status"] for e in doc["entries"]}
        assert "ok" in statuses and "not_applicable" in statuses, statuses
        ok = [e for e in doc["entries"] if e["status"] == "ok"]
        for e in ok:
            t = e["timing"]
            assert len(t["ns_per_op"]) == t["repetitions"] == 2, e
            assert t["ns_per_op_min"] <= t["ns_per_op_median"] <= t["ns_per_op_max"], t
            assert e["corruptions"] == 0, e
            assert e["instrumented"]["latency"]["allocate"]["count"] > 0, e
        sys_entries = [e for e in ok if e["allocator"] == "system"]
        assert sys_entries and all(abs(e["timing"]["speedup_vs_system"] - 1) < 1e-9 for e in sys_entries)
        assert all("ratio_to_system" not in e["timing"] for e in ok), "one name, one meaning"
        stalloc = [e for e in ok if e["allocator"] == "stalloc"]
        assert stalloc and stalloc[0]["arena"]["blocks"] > 0, "arena shape printed"
        threads = {e["threads"] for e in doc["entries"] if e["workload"] == "threaded"}
        assert threads == {1, 2}, threads
        # allocators[] carries every descriptor's declared traits, the same
        # as --list --format json, and the run obeys them.
        listed = json.loads(subprocess.run([exe, "--list", "--format", "json"], capture_output=True,
                                           text=True, timeout=120, check=True).stdout)
        traits = ("family", "role", "thread_safe", "malloc_provider", "memory_model")
        by_name = {a["name"]: a for a in listed["allocators"]}
        assert [a["name"] for a in doc["allocators"]] == list(by_name), "registry order"
        for a in doc["allocators"]:
            assert {k: a[k] for k in traits} == {k: by_name[a["name"]][k] for k in traits}, a
        single = {a["name"] for a in doc["allocators"] if not a["thread_safe"]}
        for e in doc["entries"]:
            if e["workload"] == "threaded" and e["threads"] == 2:
                assert (e["status"] == "not_applicable") == (e["allocator"] in single), e
        arenas = {a["name"] for a in doc["allocators"]
                  if a["memory_model"] in ("fixed_arena", "arena_plus_fallback")}
        for e in ok:
            assert (e["arena"] is not None) == (e["allocator"] in arenas), e
        held = {"fixed_arena": {"arena_high_water"},
                "arena_plus_fallback": {"arena_high_water+system"},
                "upstream_counted": {"upstream_bytes"},
                "whole_process": {"mallinfo2", "rss_growth"}}
        model = {a["name"]: a["memory_model"] for a in doc["allocators"]}
        for e in ok:
            assert e["instrumented"]["held_source"] in held[model[e["allocator"]]], e
        workloads = {w["name"]: w for w in listed["workloads"]}
        for w in workloads.values():
            for k in ("multithreaded", "uses_seed", "needs_input", "exceeds_arena_on_purpose"):
                assert isinstance(w[k], bool), w
        assert workloads["threaded"]["multithreaded"] and workloads["trace"]["needs_input"]
        # CSV on stdout: a header and one line per entry.
        lines = r.stdout.strip().splitlines()
        assert lines[0].startswith("workload,point,allocator,threads,status"), lines[0]
        assert len(lines) == 1 + len(doc["entries"]), (len(lines), len(doc["entries"]))
        # The schema has teeth: a wrong version or a missing field is rejected.
        for broken in (dict(doc, schema_version=1), {k: doc[k] for k in doc if k != "context"}):
            if not list(v.iter_errors(broken)):
                sys.exit("the schema accepted a broken document")
    print(f"ok: {len(doc['entries'])} entries validate")


def run_interrupt(exe, schema_path):
    v = validator(schema_path)
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "r.json")
        # About 10 entries of a second each: long enough to interrupt in the middle.
        cmd = [exe, "--workload", "small-objects", "--repetitions", "3", "--min-time", "0.2",
               "--out", out]
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(3.0)
        p.send_signal(signal.SIGINT)
        stdout, stderr = p.communicate(timeout=120)
        assert p.returncode == 130, (p.returncode, stderr)
        with open(out) as f:
            doc = json.load(f)
        check(doc, v, "interrupted run")
        assert doc["context"]["interrupted"] is True
        statuses = [e["status"] for e in doc["entries"]]
        assert "interrupted" in statuses, statuses
        assert "ok" in statuses, f"something finished in 3 s: {statuses}"
        assert "interrupted" in stderr, stderr
    print(f"ok: interrupted run kept {statuses.count('ok')} finished entries")


def gbench_pair(exe, d, reps):
    """Two quick runs, each writing both formats."""
    files = []
    for i in (1, 2):
        out, gb = os.path.join(d, f"r{i}.json"), os.path.join(d, f"g{i}.json")
        cmd = [exe, "--workload", "local-string,random-free:holes=16", "--allocator", "stalloc,system",
               "--quick", "--repetitions", str(reps), "--min-time", "0.001", "--quiet",
               "--out", out, "--gbench-out", gb]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            sys.exit(f"stalloc-bench exited {r.returncode}: {r.stderr}")
        with open(out) as f, open(gb) as g:
            files.append((json.load(f), json.load(g), gb))
    return files


def check_gbench_shape(doc, gb, reps):
    c = gb["context"]
    for key in ("date", "host_name", "executable", "num_cpus", "mhz_per_cpu", "caches", "load_avg",
                "library_build_type"):
        assert key in c, key
    assert c["json_schema_version"] == 1, c
    by_name = {}
    for b in gb["benchmarks"]:
        for key in ("name", "run_name", "run_type", "repetitions", "threads", "iterations",
                    "real_time", "cpu_time", "time_unit", "family_index", "per_family_instance_index"):
            assert key in b, (key, b)
        assert b["time_unit"] == "ns", b
        by_name.setdefault(b["name"], []).append(b)
    ok = [e for e in doc["entries"] if e["status"] == "ok"]
    assert len(ok) == 4, [e["name"] for e in doc["entries"]]
    for e in ok:
        t = e["timing"]
        runs = by_name[e["name"]]
        assert [r["repetition_index"] for r in runs] == list(range(reps)), runs
        assert all(r["run_type"] == "iteration" and r["run_name"] == e["name"] for r in runs)
        assert [r["real_time"] for r in runs] == t["ns_per_op"]
        assert [r["cpu_time"] for r in runs] == t["cpu_ns_per_op"]
        assert all(r["threads"] == e["threads"] for r in runs)
        for agg in ("mean", "median", "stddev", "cv"):
            (a,) = by_name[f"{e['name']}_{agg}"]
            assert a["run_type"] == "aggregate" and a["aggregate_name"] == agg, a
            assert a["run_name"] == e["name"], a
            assert a["aggregate_unit"] == ("percentage" if agg == "cv" else "time"), a
        (mean,) = by_name[e["name"] + "_mean"]
        assert abs(mean["real_time"] - sum(t["ns_per_op"]) / reps) < 1e-9 * mean["real_time"]
        (median,) = by_name[e["name"] + "_median"]
        assert abs(median["real_time"] - t["ns_per_op_median"]) < 1e-9 * median["real_time"]
    assert "random-free/holes=16/stalloc/threads:1" in by_name, list(by_name)


def compare_py_style(gb1, gb2):
    """What google/benchmark's tools/gbench/report.py does with a pair: group
    the benchmarks by name and time unit, pair the repetitions, U-test them."""
    try:
        from scipy.stats import mannwhitneyu
    except ImportError:
        print("python3-scipy missing: compare.py-style U test skipped")
        return 0
    names = [b["name"] for b in gb1["benchmarks"]]
    names = [n for i, n in enumerate(names) if n not in names[:i]]
    tested = 0
    for name in names:
        lhs = [b for b in gb1["benchmarks"] if b["name"] == name]
        rhs = [b for b in gb2["benchmarks"] if b["name"] == name]
        assert rhs, f"{name} missing in the second run"
        assert {b["time_unit"] for b in lhs + rhs} == {"ns"}
        if lhs[0].get("run_type") == "aggregate":
            continue
        for field in ("real_time", "cpu_time"):
            p = mannwhitneyu([b[field] for b in lhs], [b[field] for b in rhs],
                             alternative="two-sided").pvalue
            assert 0.0 <= p <= 1.0, p
        tested += 1
    assert tested == 4, tested
    return tested


def run_gbench(exe):
    reps = 9  # compare.py's UTEST_OPTIMAL_REPETITIONS
    with tempfile.TemporaryDirectory() as d:
        (doc1, gb1, path1), (doc2, gb2, path2) = gbench_pair(exe, d, reps)
        check_gbench_shape(doc1, gb1, reps)
        check_gbench_shape(doc2, gb2, reps)
        tested = compare_py_style(gb1, gb2)
        compare_py = os.environ.get("STALLOC_GBENCH_COMPARE")
        if compare_py:
            r = subprocess.run([sys.executable, compare_py, "benchmarks", path1, path2],
                               capture_output=True, text=True, timeout=120)
            assert r.returncode == 0, r.stdout + r.stderr
            assert "local-string/stalloc/threads:1_pvalue" in r.stdout, r.stdout
            print(r.stdout)
    print(f"ok: Google Benchmark format, {tested} benchmarks U-tested")


def main():
    mode = sys.argv[1]
    if mode == "schema":
        run_schema(sys.argv[2], sys.argv[3])
    elif mode == "gbench":
        run_gbench(sys.argv[2])
    elif mode == "interrupt":
        run_interrupt(sys.argv[2], sys.argv[3])
    elif mode == "file":
        v = validator(sys.argv[2])
        with open(sys.argv[3]) as f:
            check(json.load(f), v, sys.argv[3])
        print("ok")
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
