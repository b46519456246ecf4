"""scripts/fidelity on fixture results: prediction against measurement, the
rankings, the replay allocator chosen by traits, and bad input. No program is
run: every case reuses result files (--programs, --replay)."""

import importlib.machinery
import importlib.util
import json
import os
import sys
import tempfile
import unittest

import synthetic_results as syn
from script_runner import SCRIPTS, run_script

MS = 1e6
CALLS = 1_000_000


def _load_fidelity():
    loader = importlib.machinery.SourceFileLoader("fidelity", os.path.join(SCRIPTS, "fidelity"))
    spec = importlib.util.spec_from_loader("fidelity", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


fidelity = _load_fidelity()


def walls(ms, spread=0.002):
    """Five runs around `ms` milliseconds, in ns."""
    return [ms * MS * (1 + spread * k) for k in (-2, -1, 0, 1, 2)]


def replays(ns):
    return [ns * (1 + 0.001 * k) for k in (-2, -1, 0, 1, 2)]


class FidelityTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        # p1: the replay predicts every change exactly; p2: stalloc is
        # predicted 100 ms faster but measured 50 ms slower.
        self.programs = syn.program_run({
            "p1": {"system": walls(1000), "stalloc": walls(900), "mimalloc": walls(950),
                   "jemalloc": walls(1100)},
            "p2": {"system": walls(1000), "stalloc": walls(1050), "mimalloc": walls(950),
                   "jemalloc": walls(1100)},
        }, rss={"system": 200 << 20, "stalloc": 150 << 20})
        per_trace = {"system": replays(200), "stalloc-chain": replays(100),
                     "mimalloc": replays(150), "jemalloc": replays(300),
                     # A fixed arena, far faster: it must not stand for the
                     # program's Stalloc (it fails when full).
                     "stalloc": replays(10)}
        self.replay = syn.trace_replay({"p1": per_trace, "p2": per_trace},
                                       calls={"p1": CALLS, "p2": CALLS})
        self.programs_path = self.write(self.programs, "programs.json")
        self.replay_path = self.write(self.replay, "replay.json")

    def write(self, doc, name):
        return syn.write(doc, os.path.join(self.tmp.name, name))

    def out(self, name):
        return os.path.join(self.tmp.name, name)

    def run_ok(self, *extra):
        rc, out, err = run_script("fidelity", "--programs", self.programs_path,
                                  "--replay", self.replay_path, *extra)
        self.assertEqual(rc, 0, err)
        return out

    def result(self, *extra):
        path = self.out("f.json")
        self.run_ok("-o", path, *extra)
        with open(path, encoding="utf-8") as f:
            return json.load(f)

    def rows(self, result, program):
        p = next(p for p in result["programs"] if p["program"] == program)
        return p, {r["allocator"]: r for r in p["rows"]}

    def test_prediction_is_calls_times_ns_difference(self):
        p, rows = self.rows(self.result(), "p1")
        self.assertEqual(rows["stalloc"]["calls"], CALLS)
        self.assertAlmostEqual(rows["stalloc"]["predicted_ms"], -100.0, places=6)
        self.assertAlmostEqual(rows["mimalloc"]["predicted_ms"], -50.0, places=6)
        self.assertAlmostEqual(rows["jemalloc"]["predicted_ms"], 100.0, places=6)
        self.assertAlmostEqual(rows["stalloc"]["measured_ms"], -100.0, places=6)
        self.assertAlmostEqual(rows["stalloc"]["error_ms"], 0.0, places=6)
        self.assertTrue(rows["stalloc"]["within_interval"])
        self.assertEqual(rows["system"]["predicted_ms"], 0.0)

    def test_program_stalloc_is_predicted_by_the_fallback_configuration(self):
        r = self.result()
        self.assertEqual(r["correspondence"], {"system": "system", "stalloc": "stalloc-chain",
                                               "mimalloc": "mimalloc", "jemalloc": "jemalloc"})
        _, rows = self.rows(r, "p1")
        self.assertEqual(rows["stalloc"]["replay_allocator"], "stalloc-chain")
        self.assertAlmostEqual(rows["stalloc"]["replay_ns_per_call"], 100.0, places=6)

    def test_rankings_and_kendall_tau(self):
        r = self.result()
        p1, _ = self.rows(r, "p1")
        self.assertEqual(p1["ranking"]["predicted"], ["stalloc", "mimalloc", "system", "jemalloc"])
        self.assertEqual(p1["ranking"]["measured"], p1["ranking"]["predicted"])
        self.assertEqual(p1["ranking"]["kendall_tau"], 1.0)
        self.assertTrue(p1["ranking"]["same_order"])
        p2, rows = self.rows(r, "p2")
        self.assertEqual(p2["ranking"]["measured"], ["mimalloc", "system", "stalloc", "jemalloc"])
        # 6 pairs, stalloc is out of order against mimalloc and system: (4 - 2) / 6.
        self.assertAlmostEqual(p2["ranking"]["kendall_tau"], 1 / 3)
        self.assertFalse(p2["ranking"]["same_order"])
        self.assertFalse(p2["ranking"]["same_fastest"])
        self.assertAlmostEqual(rows["stalloc"]["error_ms"], -150.0, places=6)
        self.assertFalse(rows["stalloc"]["within_interval"])
        s = r["summary"]
        self.assertEqual((s["predictions"], s["within_measured_interval"], s["same_order"]),
                         (6, 5, 1))

    def test_kendall_tau_edge_cases(self):
        self.assertEqual(fidelity.kendall_tau(["a", "b", "c"], ["c", "b", "a"]), -1.0)
        self.assertIsNone(fidelity.kendall_tau(["a"], ["a"]))
        self.assertEqual(fidelity.ranking({"b": 1.0, "a": 1.0, "c": -1.0}), ["c", "a", "b"])

    def test_markdown_tables(self):
        out = self.run_ok()
        self.assertIn("| p2 | stalloc (stalloc-chain) | 1,000,000 | 100.0 | -100 | +50 [", out)
        self.assertIn("| p2 | ? | stalloc < mimalloc < system < jemalloc "
                      "| mimalloc < system < stalloc < jemalloc | +0.33 | no |", out)
        # The programs' time and peak RSS per allocator.
        self.assertIn("| p1 | 1,000 ms (1.00x), 200 MiB | 900 ms (0.90x), 150 MiB |", out)
        self.assertIn("Where the time went", out)

    def test_failed_glibc_run_leaves_nothing_to_compare(self):
        doc = self.programs
        for i, e in enumerate(doc["entries"]):
            if (e["workload"], e["allocator"]) == ("program:p1", "system"):
                doc["entries"][i] = syn.program_entry("p1", "system", [], status="failed")
        self.programs_path = self.write(doc, "programs.json")
        r = self.result()
        p1, rows = self.rows(r, "p1")
        self.assertEqual({row["status"] for row in rows.values()}, {"no glibc reference"})
        self.assertEqual(p1["ranking"]["predicted"], [])
        self.assertIsNone(p1["ranking"]["kendall_tau"])
        self.assertEqual(r["summary"]["predictions"], 3)  # p2's only

    def test_one_program_named(self):
        r = self.result("p2")
        self.assertEqual([p["program"] for p in r["programs"]], ["p2"])

    def test_markdown_and_json_files(self):
        md, js = self.out("f.md"), self.out("g.json")
        self.run_ok("-o", md, "-o", js)
        with open(md, encoding="utf-8") as f:
            self.assertIn("## Fidelity of trace replays", f.read())
        with open(js, encoding="utf-8") as f:
            self.assertEqual(json.load(f)["kind"], "stalloc-fidelity")

    # ---------------------------------------------------------- bad input

    def assert_bad(self, *args, says):
        target = self.out("never.md")
        rc, out, err = run_script("fidelity", *args, "-o", target)
        self.assertEqual(rc, 2, err)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertIn(says, err)
        self.assertFalse(os.path.exists(target))
        self.assertFalse(os.path.exists(target + ".tmp"))
        self.assertEqual(out, "")

    def test_missing_file(self):
        self.assert_bad("--programs", self.out("nope.json"), "--replay", self.replay_path,
                        says="nope.json: no such file")

    def test_unknown_program(self):
        # Measuring: checked against the catalog before anything runs.
        self.assert_bad("no-such-program", "--bench", "/nonexistent",
                        says="unknown program 'no-such-program'")
        # Reusing results: checked against the files.
        self.assert_bad("--programs", self.programs_path, "--replay", self.replay_path,
                        "no-such-program", says="no runs of program 'no-such-program'")

    def test_program_not_in_the_files(self):
        # A catalog program the fixture files do not have.
        self.assert_bad("--programs", self.programs_path, "--replay", self.replay_path, "perl",
                        says="no runs of program 'perl'")

    def test_files_of_the_wrong_kind(self):
        self.assert_bad("--programs", self.replay_path, "--replay", self.replay_path,
                        says="not a program run")
        self.assert_bad("--programs", self.programs_path, "--replay", self.programs_path,
                        says="not a trace replay")
        junk = self.out("junk.json")
        with open(junk, "w", encoding="utf-8") as f:
            f.write('{"hello": 1}')
        self.assert_bad("--programs", junk, "--replay", self.replay_path,
                        says="not a stalloc-bench result")
        with open(junk, "w", encoding="utf-8") as f:
            f.write("{not json")
        self.assert_bad("--programs", self.programs_path, "--replay", junk, says="not valid JSON")

    def test_ambiguous_traits_are_refused(self):
        doc = self.replay
        doc["allocators"].append({**doc["allocators"][1], "name": "stalloc-chain-2"})
        for e in list(doc["entries"]):
            if e["allocator"] == "stalloc-chain":
                doc["entries"].append({**e, "allocator": "stalloc-chain-2"})
        path = self.write(doc, "ambiguous.json")
        self.assert_bad("--programs", self.programs_path, "--replay", path,
                        says="several replay allocators")

    def test_bad_output_name_writes_nothing(self):
        good = self.out("good.md")
        rc, _, err = run_script("fidelity", "--programs", self.programs_path, "--replay",
                                self.replay_path, "-o", good, "-o", self.out("table.txt"))
        self.assertEqual(rc, 2)
        self.assertIn("-o takes a .md or .json file", err)
        self.assertFalse(os.path.exists(good))

    # ------------------------------------------- measuring, with a fake bench

    def fake_bench(self):
        """A stalloc-bench that answers with fixtures (fake_bench.py) and logs."""
        path = self.out("stalloc-bench")
        here = os.path.dirname(os.path.abspath(__file__))
        with open(path, "w", encoding="utf-8") as f:
            f.write(f'#!/bin/sh\nexec "{sys.executable}" "{here}/fake_bench.py" "$@"\n')
        os.chmod(path, 0o755)
        os.environ["FAKE_BENCH_LOG"] = self.out("calls.jsonl")
        self.addCleanup(os.environ.pop, "FAKE_BENCH_LOG", None)
        return path

    def calls(self):
        with open(self.out("calls.jsonl"), encoding="utf-8") as f:
            return [json.loads(line) for line in f]

    def test_measuring_records_runs_then_replays_the_counterparts(self):
        bench, keep, result = self.fake_bench(), self.out("keep"), self.out("m.json")
        rc, _, err = run_script("fidelity", "perl", "python3", "--bench", bench, "-r", "3",
                                "--max-live", "4G", "--keep", keep, "-o", result)
        self.assertEqual(rc, 0, err)
        calls = self.calls()
        kinds = [c["argv"][0] if c["argv"][0] in ("record", "run") else
                 "list" if "--list" in c["argv"] else "replay" for c in calls]
        self.assertEqual(kinds, ["record", "record", "run", "list", "replay"])
        perl, python = calls[0], calls[1]
        # The catalog's command, {programs} expanded, in a fresh work
        # directory, with the catalog's environment.
        self.assertEqual(perl["argv"][:4], ["record", "--out", f"{keep}/traces/perl.trace", "--"])
        self.assertTrue(perl["argv"][5].endswith("workloads/programs/perl-hashes.pl"), perl)
        self.assertNotEqual(perl["cwd"], python["cwd"])
        self.assertFalse(os.path.exists(perl["cwd"]))  # removed after recording
        self.assertEqual(python["PYTHONMALLOC"], "malloc")
        run = calls[2]["argv"]
        self.assertEqual(run[run.index("--program") + 1], "perl,python3")
        self.assertEqual(run[run.index("--repetitions") + 1], "3")
        replay = calls[4]["argv"]
        # The counterparts of the run's allocators, by traits: not the
        # fixed-arena stalloc the fake harness also lists.
        self.assertEqual(replay[replay.index("--allocator") + 1],
                         "system,stalloc-chain,mimalloc,jemalloc")
        self.assertEqual(replay[replay.index("--workload") + 1],
                         f"trace:{keep}/traces/perl.trace,trace:{keep}/traces/python3.trace")
        self.assertEqual(replay[replay.index("--max-live") + 1], "4G")
        with open(result, encoding="utf-8") as f:
            self.assertEqual([p["program"] for p in json.load(f)["programs"]], ["perl", "python3"])
        self.assertTrue(os.path.isfile(os.path.join(keep, "programs.json")))

    def test_reusing_traces_records_nothing(self):
        bench, traces = self.fake_bench(), self.out("traces")
        os.makedirs(traces)
        open(os.path.join(traces, "perl.trace.zst"), "wb").close()
        rc, _, err = run_script("fidelity", "perl", "--bench", bench, "--traces", traces)
        self.assertEqual(rc, 0, err)
        self.assertNotIn("record", [c["argv"][0] for c in self.calls()])
        rc, _, err = run_script("fidelity", "sqlite3", "--bench", bench, "--traces", traces)
        self.assertEqual(rc, 2)
        self.assertIn("no trace of sqlite3", err)

    def test_a_failed_step_exits_1_and_writes_nothing(self):
        bench, result = self.fake_bench(), self.out("never.json")
        os.environ["FAKE_BENCH_FAIL"] = "run"
        self.addCleanup(os.environ.pop, "FAKE_BENCH_FAIL", None)
        rc, out, err = run_script("fidelity", "perl", "--bench", bench, "-o", result)
        self.assertEqual(rc, 1, err)
        self.assertIn("stalloc-bench run failed (exit 2)", err)
        self.assertEqual(err.count("fidelity: error"), 1, err)
        self.assertFalse(os.path.exists(result))

    def test_help(self):
        rc, out, _ = run_script("fidelity", "--help")
        self.assertEqual(rc, 0)
        self.assertIn("--programs", out)


if __name__ == "__main__":
    unittest.main()
