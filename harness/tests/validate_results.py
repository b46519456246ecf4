#!/usr/bin/python3
"""Schema and Ctrl-C tests of stalloc-bench, run by ctest.

  validate_results.py schema  EXE SCHEMA   quick runs validate against the JSON Schema
  validate_results.py interrupt EXE SCHEMA SIGINT mid-run keeps finished entries, exit 130
  validate_results.py file SCHEMA RESULT.json  validate one file (for scripts/e2e)
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
        assert sys_entries and all(abs(e["timing"]["ratio_to_system"] - 1) < 1e-9 for e in sys_entries)
        stalloc = [e for e in ok if e["allocator"] == "stalloc"]
        assert stalloc and stalloc[0]["arena"]["blocks"] > 0, "arena shape printed"
        threads = {e["threads"] for e in doc["entries"] if e["workload"] == "threaded"}
        assert threads == {1, 2}, threads
        # CSV on stdout: a header and one line per entry.
        lines = r.stdout.strip().splitlines()
        assert lines[0].startswith("workload,point,allocator,threads,status"), lines[0]
        assert len(lines) == 1 + len(doc["entries"]), (len(lines), len(doc["entries"]))
        # The schema has teeth: a wrong version or a missing field is rejected.
        for broken in (dict(doc, schema_version=2), {k: doc[k] for k in doc if k != "context"}):
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


def main():
    mode = sys.argv[1]
    if mode == "schema":
        run_schema(sys.argv[2], sys.argv[3])
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
