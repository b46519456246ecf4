"""A stand-in for stalloc-bench in scripts/fidelity's tests: it answers the
four commands the script uses (record, --list, run, a trace replay) with
fixture files, logs each call as one JSON line to $FAKE_BENCH_LOG, and fails
the command named in $FAKE_BENCH_FAIL. No program runs, so the measuring
mode is tested in well under a second."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import synthetic_results as syn  # noqa: E402

# The harness allocators with their declared traits, as `--list` gives them.
HARNESS = ["stalloc", "stalloc-chain", "system", "mimalloc", "jemalloc"]
RUN_ALLOCATORS = ["system", "stalloc", "mimalloc", "jemalloc"]


def value(args, flag):
    return args[args.index(flag) + 1]


def main(args):
    with open(os.environ["FAKE_BENCH_LOG"], "a", encoding="utf-8") as log:
        log.write(json.dumps({"argv": args, "cwd": os.getcwd(),
                              "PYTHONMALLOC": os.environ.get("PYTHONMALLOC")}) + "\n")
    command = "record" if args[0] == "record" else "run" if args[0] == "run" else (
        "list" if "--list" in args else "replay")
    if os.environ.get("FAKE_BENCH_FAIL") == command:
        print(f"fake stalloc-bench: {command} fails", file=sys.stderr)
        return 2
    if command == "record":
        with open(value(args, "--out"), "wb") as f:
            f.write(b"\x89STLTRC\n")
    elif command == "list":
        print(json.dumps({"allocators": [{"name": a, "available": True, **syn.traits(a)}
                                         for a in HARNESS], "workloads": []}))
    elif command == "run":
        names = value(args, "--program").split(",")
        walls = {n: {a: [1e9 + 1e7 * k for k in range(3)] for a in RUN_ALLOCATORS} for n in names}
        syn.write(syn.program_run(walls), value(args, "--out"))
    else:
        traces = [w[len("trace:"):] for w in value(args, "--workload").split(",")]
        allocators = value(args, "--allocator").split(",")
        names = [os.path.basename(t).split(".trace")[0] for t in traces]
        doc = syn.trace_replay({n: {a: [20.0, 21.0, 22.0] for a in allocators} for n in names},
                               calls={n: 1000 for n in names},
                               directory=os.path.dirname(traces[0]))
        syn.write(doc, value(args, "--out"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
