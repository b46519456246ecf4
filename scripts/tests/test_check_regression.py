"""scripts/check-regression on synthetic runs with known answers.

Exit 0 on unchanged code (also through noise and a uniformly slower machine),
1 on an injected slowdown of 10 % or more, 2 on anything that cannot be
compared (issue 7, proofs (a)-(c) on synthetic data; the real-run versions
are in test_real_run.py).
"""

import os
import tempfile
import unittest

import synthetic_results as syn
from script_runner import run_script


class CheckRegressionTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.n = 0

    def write(self, doc):
        self.n += 1
        return syn.write(doc, os.path.join(self.tmp.name, f"r{self.n}.json"))

    def check(self, base, new, *args):
        return run_script("check-regression", self.write(base), self.write(new), *args)

    # --- passes --------------------------------------------------------------
    def test_identical_data_passes(self):
        doc = syn.make_run(seed=1)
        rc, out, err = self.check(doc, doc)
        self.assertEqual(rc, 0, out + err)
        self.assertIn("OK: no regression", out)

    def test_independent_noisy_runs_of_the_same_code_pass(self):
        # 3 % noise per repetition and a machine up to 20 % slower as a whole:
        # the reference cancels the drift, the U test and threshold the noise.
        for seed in range(2, 12):
            base = syn.make_run(seed=seed, run_drift=0.2)
            new = syn.make_run(seed=seed + 100, run_drift=0.2)
            rc, out, err = self.check(base, new)
            self.assertEqual(rc, 0, f"false alarm with seeds {seed}/{seed + 100}:\n{out}{err}")

    def test_slowdown_below_the_threshold_passes(self):
        base = syn.make_run(seed=5)
        rc, out, _ = self.check(base, syn.scaled(base, "stalloc", 1.03))
        self.assertEqual(rc, 0, out)

    def test_improvement_passes_and_is_reported(self):
        base = syn.make_run(seed=5)
        rc, out, _ = self.check(base, syn.scaled(base, "stalloc", 0.8))
        self.assertEqual(rc, 0, out)
        self.assertIn("faster", out)

    # --- regressions ---------------------------------------------------------
    def test_ten_percent_slowdown_is_flagged(self):
        base = syn.make_run(seed=6)
        rc, out, _ = self.check(base, syn.scaled(base, "stalloc", 1.10))
        self.assertEqual(rc, 1, out)
        self.assertIn("small-objects / stalloc", out)
        self.assertIn("REGRESSION", out)
        self.assertIn("FAIL", out)
        self.assertNotIn("sync-stalloc  ", [l[:16] for l in out.splitlines() if "REGRESSION" in l])

    def test_ten_percent_slowdown_in_a_fresh_noisy_run_is_flagged(self):
        for seed in range(20, 25):
            base = syn.make_run(seed=seed, run_drift=0.2)
            new = syn.make_run(seed=seed + 100, run_drift=0.2, slow={"sync-stalloc": 1.10})
            rc, out, _ = self.check(base, new)
            self.assertEqual(rc, 1, out)
            flagged = {l.split("/")[1].split()[0] for l in out.splitlines() if "REGRESSION" in l}
            self.assertEqual(flagged, {"sync-stalloc"}, out)

    def test_allocator_filter_limits_the_check(self):
        base = syn.make_run(seed=6)
        new = syn.scaled(base, "stalloc", 1.5)
        rc, out, _ = self.check(base, new, "--allocator", "sync-stalloc,mimalloc")
        self.assertEqual(rc, 0, out)
        rc, out, _ = self.check(base, new, "--workload", "random-free")
        self.assertEqual(rc, 1, out)
        self.assertNotIn("small-objects / stalloc", out)

    def test_raw_mode_sees_a_uniformly_slower_machine(self):
        base = syn.make_run(seed=8)
        new = base
        for a in syn.ALLOCATORS:
            new = syn.scaled(new, a, 1.3)
        self.assertEqual(self.check(base, new)[0], 0)  # relative to system: unchanged
        self.assertEqual(self.check(base, new, "--no-normalize")[0], 1)

    def test_instruction_counts(self):
        base = syn.instruction_run()
        self.assertEqual(self.check(base, base)[0], 0)
        rc, out, _ = self.check(base, syn.instruction_run(factor={"stalloc": 1.03}))
        self.assertEqual(rc, 1, out)
        self.assertIn("small-objects / stalloc", out)
        self.assertEqual(self.check(base, syn.instruction_run(factor={"stalloc": 1.01}))[0], 0)

    # --- inputs that cannot be compared: exit 2, never a pass -----------------
    def assert_input_error(self, rc, err, *fragments):
        self.assertEqual(rc, 2, err)
        self.assertIn("check-regression: error:", err)
        for f in fragments:
            self.assertIn(f, err)

    def test_missing_file(self):
        rc, _, err = run_script("check-regression", self.write(syn.make_run()),
                                os.path.join(self.tmp.name, "absent.json"))
        self.assert_input_error(rc, err, "absent.json", "no such file")

    def test_schema_version_mismatch(self):
        new = syn.make_run()
        new["schema_version"] = 3
        rc, _, err = self.check(syn.make_run(), new)
        self.assert_input_error(rc, err, "schema version 3")

    def test_workloads_that_do_not_match(self):
        base = syn.make_run()
        new = syn.make_run(workloads=[w for w in syn.WORKLOADS if w[0] != "random-free"])
        rc, _, err = self.check(base, new)
        self.assert_input_error(rc, err, "does not match", "random-free live=16 / stalloc")

    def test_allocators_that_do_not_match(self):
        base = syn.make_run()
        new = syn.make_run(allocators=["stalloc", "system", "mimalloc"])
        rc, _, err = self.check(base, new)
        self.assert_input_error(rc, err, "does not match", "sync-stalloc")

    def test_failed_cell_in_the_new_run_is_not_a_pass(self):
        base = syn.make_run()
        new = syn.make_run(seed=9)
        e = new["entries"][0]
        e.update(status="failed", reason="worker crashed", timing=None, instrumented=None)
        rc, _, err = self.check(base, new)
        self.assert_input_error(rc, err, "failed: worker crashed")

    def test_quick_and_full_runs_do_not_compare(self):
        rc, _, err = self.check(syn.make_run(quick=True), syn.make_run(quick=False))
        self.assert_input_error(rc, err, "quick", "full")

    def test_too_few_repetitions_cannot_pass(self):
        rc, _, err = self.check(syn.make_run(repetitions=3), syn.make_run(repetitions=3, seed=4))
        self.assert_input_error(rc, err, "only 3 repetitions")

    def test_timings_against_instruction_counts(self):
        rc, _, err = self.check(syn.make_run(), syn.instruction_run())
        self.assert_input_error(rc, err, "instruction counts")

    def test_unknown_filter_names(self):
        rc, _, err = self.check(syn.make_run(), syn.make_run(), "--allocator", "nosuch")
        self.assert_input_error(rc, err, "nosuch", "not in the baseline")
        rc, _, err = self.check(syn.make_run(), syn.make_run(), "--workload", "nosuch")
        self.assert_input_error(rc, err, "nosuch")

    def test_only_the_reference_is_not_a_check(self):
        rc, _, err = self.check(syn.make_run(), syn.make_run(seed=7), "--allocator", "system")
        self.assert_input_error(rc, err, "nothing to judge")
        rc, _, _ = self.check(syn.make_run(), syn.make_run(seed=7), "--allocator", "system",
                              "--no-normalize")
        self.assertEqual(rc, 0)

    def test_bad_arguments(self):
        doc = self.write(syn.make_run())
        self.assertEqual(run_script("check-regression", doc)[0], 2)
        rc, _, err = run_script("check-regression", doc, doc, "--threshold", "-1")
        self.assertEqual(rc, 2)
        self.assertIn("--threshold", err)
        rc, _, err = run_script("check-regression", doc, doc, "--alpha", "0")
        self.assertEqual(rc, 2)


if __name__ == "__main__":
    unittest.main()
