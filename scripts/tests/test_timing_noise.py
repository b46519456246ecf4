"""Timing check on real back-to-back runs (opt-in: the machine decides).

STALLOC_TIMING_NOISE_TEST=1 runs RUNS quick timing runs of unchanged code back
to back and checks each against the first; all must pass. It is opt-in
because on a shared machine the false-alarm rate is measured, not zero
(docs/regression-check.md: 20-run measurement). STALLOC_TIMING_NOISE_RUNS sets
RUNS (default 3; the documented measurement used 20).

With STALLOC_SLOW_BENCH also set, a run of the slowed build must be flagged.
"""

import os
import tempfile
import unittest

import bench_runs
from script_runner import run_script

ARGS = ["--workload", "small-objects", "--quick", "--repetitions", "10",
        "--allocator", "stalloc,sync-stalloc,system,mimalloc"]


@unittest.skipUnless(os.environ.get("STALLOC_TIMING_NOISE_TEST") == "1",
                     "opt-in: set STALLOC_TIMING_NOISE_TEST=1 (timings on a shared machine)")
class TimingNoiseTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def test_back_to_back_runs_pass(self):
        runs = int(os.environ.get("STALLOC_TIMING_NOISE_RUNS", "3"))
        files = []
        for i in range(runs):
            files.append(os.path.join(self.tmp.name, f"run{i}.json"))
            bench_runs.run_bench(files[-1], *ARGS)
        alarms = []
        for f in files[1:]:
            rc, out, err = run_script("check-regression", files[0], f)
            self.assertIn(rc, (0, 1), err)
            if rc == 1:
                alarms.append(out)
        print(f"timing false alarms: {len(alarms)} of {runs - 1}")
        self.assertEqual(alarms, [])

    def test_slowed_build_is_flagged(self):
        slow = os.environ.get("STALLOC_SLOW_BENCH")
        if not slow:
            self.skipTest("STALLOC_SLOW_BENCH not set")
        base = os.path.join(self.tmp.name, "normal.json")
        slowed = os.path.join(self.tmp.name, "slowed.json")
        bench_runs.run_bench(base, *ARGS)
        bench_runs.run_bench(slowed, *ARGS, bench=slow)
        rc, out, _ = run_script("check-regression", base, slowed)
        self.assertEqual(rc, 1, out)


if __name__ == "__main__":
    bench_runs.main_skipping_with_77()
