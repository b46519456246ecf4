"""Synthetic stalloc-bench result files for the script tests.

Every document built here is valid against results/schema/results.schema.json
(test_synthetic_is_schema_valid checks that), so the tests exercise the
scripts on exactly the shape the harness writes, with numbers the test
controls: a known true time per cell plus seeded noise, which lets a test
inject "stalloc got 10 % slower" and know the right answer.
"""

from __future__ import annotations

import copy
import json
import random

ALLOCATORS = ["stalloc", "sync-stalloc", "system", "mimalloc"]
# (workload, point_name, points, multithreaded)
WORKLOADS = [
    ("small-objects", "", [0], False),
    ("random-free", "live", [16, 256, 4096], False),
    ("random-free", "holes", [16, 1024], False),
    ("larson", "", [0], True),
]
# true ns/op per allocator on the first workload; others scale it
BASE_NS = {"stalloc": 4.0, "sync-stalloc": 5.0, "system": 12.0, "mimalloc": 7.0,
           "unsafe-stalloc": 4.2, "pmr-monotonic": 2.0}


def context(quick=True, repetitions=10, seed=42, host="testbox"):
    return {
        "tool": "stalloc-bench", "tool_version": "0.1.0", "host": host, "cpu_model": "Test CPU",
        "cores": 2, "os": "Linux 6.1", "compiler": "GNU 12.2.0", "compiler_flags": "-O3 -DNDEBUG",
        "build_type": "Release", "git_commit": "0123456789abcdef0123456789abcdef01234567",
        "git_dirty": False,
        "library_versions": {"glibc": "2.36", "stalloc": "0.1.0", "mimalloc": "2.0.9",
                             "jemalloc": None, "tcmalloc": None, "benchmark": "1.7.1"},
        "date": "2026-11-25T12:00:00Z", "command_line": "stalloc-bench --workload all --quick",
        "seed": seed, "quick": quick, "repetitions": repetitions, "min_time_s": 0.01,
        "threads": [1, 2], "interrupted": False, "duration_s": 12.5,
        "quick_scope": "CI-sized workloads" if quick else None, "cpu_mhz": 2450.0,
        "cpu_scaling": None,
        "caches": [{"type": "Data", "level": 1, "size_bytes": 32768, "num_sharing": 1}],
        "load_average_start": [0.5, 0.4, 0.3], "load_average_end": [0.9, 0.5, 0.3],
    }


def _latency(scale):
    def one(count, base):
        if count == 0:
            return {"count": 0, "p50_ns": None, "p99_ns": None, "p999_ns": None, "max_ns": None,
                    "resolution_ns": 10.0, "below_resolution": []}
        return {"count": count, "p50_ns": base, "p99_ns": base * 3, "p999_ns": base * 8,
                "max_ns": base * 40, "resolution_ns": 10.0, "below_resolution": []}
    return {"allocate": one(1000, 20 * scale), "free": one(1000, 15 * scale), "realloc": one(0, 0)}


def _true_ns(allocator, workload, point_value, threads):
    ns = BASE_NS.get(allocator, 10.0)
    if workload == "random-free" and allocator.endswith("stalloc"):
        ns *= 1 + point_value / 512  # the first-fit walk grows with the free list
    elif workload == "random-free":
        ns *= 1.2
    if threads > 1:
        ns *= 1.5 * threads
    return ns


def entry(workload, point_name, point_value, allocator, threads, samples, status="ok"):
    point = f"{point_name}={point_value}" if point_name else ""
    e = {
        "workload": workload, "workload_input": None, "point": point, "point_name": point_name,
        "point_value": point_value, "allocator": allocator, "threads": threads,
        "name": f"{workload}/{point + '/' if point else ''}{allocator}/threads:{threads}",
        "quick_scope": None, "status": status,
        "reason": None, "arena": None, "malloc_provider": None, "timing": None,
        "instrumented": None, "corruptions": None, "peak_rss_bytes": None,
    }
    if status != "ok":
        e["reason"] = {"not_applicable": "not thread-safe", "unavailable": "library missing",
                       "failed": "worker crashed"}.get(status, status)
        return e
    if "stalloc" in allocator:
        e["arena"] = {"blocks": 8192, "block_size": 8, "capacity_bytes": 65536,
                      "footprint_bytes": 65544}
    srt = sorted(samples)
    n = len(srt)
    med = srt[n // 2] if n % 2 else (srt[n // 2 - 1] + srt[n // 2]) / 2
    mean = sum(samples) / n
    sd = (sum((x - mean) ** 2 for x in samples) / (n - 1)) ** 0.5 if n > 1 else 0.0
    e["timing"] = {
        "repetitions": n, "iterations": 100, "ops_per_repetition": [409600] * n,
        "ns_per_op": samples, "ns_per_op_median": med, "ns_per_op_mean": mean,
        "ns_per_op_min": srt[0], "ns_per_op_max": srt[-1], "ns_per_op_cv": sd / mean if mean else 0.0,
        "ops_per_second": 1e9 / med if med else 0.0, "speedup_vs_system": None,
        "cpu_ns_per_op": [x * 0.98 for x in samples], "iterations_per_repetition": [100] * n,
    }
    held = 2352 if "stalloc" in allocator else 400_000
    e["instrumented"] = {
        "rounds": 100, "ops": 409600, "sample_every": 7, "timer": "rdtsc", "timer_overhead_ns": 20.0,
        "timer_resolution_ns": 10.0,
        "latency": _latency(med / 4), "requested_live_peak_bytes": 2256,
        "requested_live_end_bytes": 0, "held_peak_bytes": held,
        "held_source": "arena_high_water" if "stalloc" in allocator else "mallinfo2",
        "overhead_ratio": held / 2256, "failed_requests": 0, "fill_at_first_failure": None,
        "check_mode_corruptions": 0,
    }
    e["corruptions"] = 0
    e["peak_rss_bytes"] = 5_000_000
    return e


def fill_ratios(doc):
    """speedup_vs_system exactly as the harness computes it."""
    ref = {}
    for e in doc["entries"]:
        if e["allocator"] == "system" and e["status"] == "ok":
            ref[(e["workload"], e["point"], e["threads"])] = e["timing"]["ns_per_op_median"]
    for e in doc["entries"]:
        if e["status"] != "ok":
            continue
        r = ref.get((e["workload"], e["point"], e["threads"]))
        t = e["timing"]
        t["speedup_vs_system"] = r / t["ns_per_op_median"] if r else None
    return doc


def make_run(seed=1, repetitions=10, noise=0.03, allocators=None, workloads=None, quick=True,
             run_drift=0.0, slow=None):
    """A whole result document.

    noise: relative spread of each repetition around the true time.
    run_drift: the whole run is uniformly slower by a random factor up to this
      (a busier machine), which normalisation by `system` must cancel.
    slow: {allocator: factor} true slowdown injected into the new code.
    """
    rng = random.Random(seed)
    allocators = allocators or ALLOCATORS
    workloads = workloads or WORKLOADS
    drift = 1.0 + rng.uniform(0, run_drift)
    entries = []
    for workload, point_name, points, multithreaded in workloads:
        for pv in points:
            for threads in ([1, 2] if multithreaded else [1]):
                for a in allocators:
                    if multithreaded and a in ("stalloc", "unsafe-stalloc", "pmr-monotonic"):
                        entries.append(entry(workload, point_name, pv, a, threads, [],
                                             status="not_applicable"))
                        continue
                    true = _true_ns(a, workload, pv, threads) * drift
                    true *= (slow or {}).get(a, 1.0)
                    samples = [true * (1 + rng.gauss(0, noise)) for _ in range(repetitions)]
                    samples = [max(x, 0.01) for x in samples]
                    entries.append(entry(workload, point_name, pv, a, threads, samples))
    allocs = [{"name": a, "description": f"{a} allocator", "available": True, "reason": None,
               "library": None, "version": None,
               **traits(a, thread_safe=a not in ("stalloc", "unsafe-stalloc", "pmr-monotonic"))}
              for a in allocators]
    doc = {"schema_version": 2, "context": context(quick=quick, repetitions=repetitions),
           "allocators": allocs, "entries": entries}
    return fill_ratios(doc)


def traits(name, thread_safe=True):
    """The declared traits a real run's allocators[] carries, made up from the name."""
    family = ("stalloc" if "stalloc" in name else "pmr" if name.startswith("pmr") else
              "system" if name == "system" else "preloaded")
    return {"family": family,
            "role": ("subject" if family == "stalloc" else
                     "bound" if name == "pmr-monotonic" else "competitor"),
            "thread_safe": thread_safe,
            "malloc_provider": name if family == "preloaded" else "glibc",
            "memory_model": ("fixed_arena" if family == "stalloc" and name != "stalloc-chain" else
                             "arena_plus_fallback" if family == "stalloc" else
                             "upstream_counted" if family == "pmr" else "whole_process")}


def scaled(doc, allocator, factor):
    """A copy with every timing of `allocator` multiplied by `factor`."""
    out = copy.deepcopy(doc)
    for e in out["entries"]:
        if e["allocator"] == allocator and e["status"] == "ok":
            t = e["timing"]
            t["ns_per_op"] = [x * factor for x in t["ns_per_op"]]
            for k in ("ns_per_op_median", "ns_per_op_mean", "ns_per_op_min", "ns_per_op_max"):
                t[k] *= factor
            t["ops_per_second"] /= factor
    return fill_ratios(out)


def instruction_run(counts=None, factor=None):
    """An instruction-count document (scripts/count-instructions' shape)."""
    counts = counts or {"stalloc": 105.8, "sync-stalloc": 117.5, "system": 95.5}
    entries = []
    for a, v in counts.items():
        value = v * (factor or {}).get(a, 1.0)
        entries.append({"workload": "small-objects", "workload_input": None, "point": "",
                        "point_name": "", "point_value": 0, "allocator": a, "threads": 1,
                        "status": "ok", "reason": None, "instructions": int(value * 12288),
                        "ops": 12288, "instructions_per_op": value})
    ctx = context(quick=True, repetitions=3)
    ctx["measurement"] = "callgrind"
    return {"schema_version": 2, "kind": "stalloc-instruction-counts", "context": ctx,
            "allocators": [{"name": a, "description": a, "available": True, "reason": None,
                            "library": None, "version": None, **traits(a)} for a in counts],
            "entries": entries}


def write(doc, path):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
    return path


# ------------------------------------------------------ whole programs, traces

# The allocators of `stalloc-bench run` with the traits its results declare
# (harness/program_allocators.hpp): every memory model is the whole process.
PROGRAM_ALLOCATOR_TRAITS = {
    "system": {"family": "system", "malloc_provider": "glibc"},
    "stalloc": {"family": "stalloc", "malloc_provider": "stalloc"},
    "mimalloc": {"family": "preloaded", "malloc_provider": "mimalloc"},
    "jemalloc": {"family": "preloaded", "malloc_provider": "jemalloc"},
}


def program_entry(program, allocator, wall_ns, rss=100 << 20, minor_faults=1000, status="ok"):
    """A `program:NAME` entry of `stalloc-bench run` with these wall times."""
    e = entry(f"program:{program}", "", 0, allocator, 1, list(wall_ns), status=status)
    e["workload_input"] = program
    if status != "ok":
        e["program"] = None
        return e
    n = len(wall_ns)
    e["arena"] = None
    e["instrumented"] = None
    e["corruptions"] = None
    e["timing"]["iterations"] = 1
    e["timing"]["iterations_per_repetition"] = [1] * n
    e["timing"]["ops_per_repetition"] = [1] * n
    e["peak_rss_bytes"] = rss
    e["program"] = {
        "wall_ns": list(wall_ns), "user_ns": [w * 0.9 for w in wall_ns],
        "system_ns": [w * 0.1 for w in wall_ns], "max_rss_bytes": [rss] * n,
        "minor_faults": [minor_faults] * n, "major_faults": [0] * n, "exit_status": [0] * n,
        "stdout_bytes": 10, "stdout_fnv1a64": "0123456789abcdef",
        "output_check": "stdout identical to system's in every run", "processes": 1,
    }
    return e


def program_run(walls, rss=None, faults=None):
    """A `stalloc-bench run` document: walls = {program: {allocator: [wall ns]}}."""
    entries, allocs = [], {}
    for program, per_alloc in walls.items():
        for a, w in per_alloc.items():
            entries.append(program_entry(program, a, w, rss=(rss or {}).get(a, 100 << 20),
                                         minor_faults=(faults or {}).get(a, 1000)))
            allocs[a] = None
    allocators = [{"name": a, "description": a, "available": True, "reason": None,
                   "library": None, "version": None, "role": "competitor", "thread_safe": True,
                   "memory_model": "whole_process", **PROGRAM_ALLOCATOR_TRAITS[a]}
                  for a in allocs]
    ctx = context(quick=False, repetitions=5)
    ctx["min_time_s"] = None
    return fill_ratios({"schema_version": 2, "context": ctx, "allocators": allocators,
                        "entries": entries})


def trace_replay(ns_per_call, calls, directory="/tmp/traces"):
    """A replay document: ns_per_call = {trace name: {allocator: [ns per op]}},
    calls = {trace name: allocator calls per round}."""
    entries, allocs = [], {}
    for name, per_alloc in ns_per_call.items():
        for a, samples in per_alloc.items():
            e = entry(f"trace:{directory}/{name}.trace", "", 0, a, 1, list(samples))
            e["workload_input"] = f"{directory}/{name}.trace"
            n = len(samples)
            e["timing"]["iterations_per_repetition"] = [3] * n
            e["timing"]["ops_per_repetition"] = [3 * calls[name]] * n
            entries.append(e)
            allocs[a] = None
    allocators = [{"name": a, "description": a, "available": True, "reason": None,
                   "library": None, "version": None, **traits(a)} for a in allocs]
    return fill_ratios({"schema_version": 2, "context": context(quick=False, repetitions=5),
                        "allocators": allocators, "entries": entries})
