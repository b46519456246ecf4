"""scripts/targets: verdicts, the ratio's 95% interval, "(within noise)", and
its errors, on synthetic runs whose true times the test sets."""

import csv
import io
import os
import tempfile
import unittest

import synthetic_results as syn
from script_runner import run_script


def rows_by_target(out):
    """{target: [measured, ratio, interval, bar, verdict]} of the markdown table."""
    table = {}
    for line in out.splitlines():
        if not line.startswith("| ") or line.startswith("| target "):
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        table[cells[0]] = cells[1:]
    return table


class TargetsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def targets(self, doc, *args):
        path = syn.write(doc, os.path.join(self.tmp.name, "run.json"))
        rc, out, err = run_script("targets", path, *args)
        self.assertEqual(rc, 0, err)
        return out

    def test_clear_verdicts_carry_an_interval_and_no_noise_mark(self):
        # small-objects: system 12 ns / stalloc 4 ns = 3x against a bar of 2.5x;
        # random-free live=4096: stalloc's walk makes it 0.4x against 2x.
        table = rows_by_target(self.targets(syn.make_run(seed=5, noise=0.03)))
        met = table["1 small-objects: stalloc vs system"]
        self.assertEqual(met[0], "system / stalloc")
        self.assertAlmostEqual(float(met[1].rstrip("x")), 3.0, delta=0.15)
        low, high = (float(x) for x in met[2].rstrip("x").split("-"))
        self.assertTrue(2.5 < low < high < 3.5, met[2])
        self.assertEqual(met[4], "met")
        missed = table["4 random-free live=4096: stalloc vs system"]
        self.assertEqual(missed[4], "**NOT MET**")

    def test_a_ratio_at_the_bar_is_marked_within_noise(self):
        # stalloc's times scaled so that the median ratio to system is the bar
        # (2.5x) exactly, with 3% noise per repetition: the interval of the
        # ratio must contain the bar, whichever side the median falls.
        doc = syn.make_run(seed=5, noise=0.03)

        def small_objects_median(allocator):
            for e in doc["entries"]:
                if (e["workload"], e["allocator"]) == ("small-objects", allocator):
                    return e["timing"]["ns_per_op_median"]
            raise KeyError(allocator)
        factor = small_objects_median("system") / small_objects_median("stalloc") / 2.5
        row = rows_by_target(self.targets(syn.scaled(doc, "stalloc", factor)))[
            "1 small-objects: stalloc vs system"]
        self.assertEqual(row[1], "2.50x")
        low, high = (float(x) for x in row[2].rstrip("x").split("-"))
        self.assertLess(low, 2.5)
        self.assertGreater(high, 2.5)
        self.assertTrue(row[4].endswith("(within noise)"), row[4])
        # The same cell 20% faster clears the bar beyond its noise.
        row = rows_by_target(self.targets(syn.scaled(doc, "stalloc", factor / 1.2)))[
            "1 small-objects: stalloc vs system"]
        self.assertEqual(row[4], "met")

    def test_a_target_the_run_cannot_measure_is_missing(self):
        table = rows_by_target(self.targets(syn.make_run(seed=5)))
        # No tcmalloc and no random-free live=16384 in the synthetic run.
        self.assertEqual(table["4 random-free: stalloc live=16384 vs live=16"][1:], ["-", "-", "≤ 2x", "missing"])
        self.assertEqual(table["1 small-objects: stalloc vs tcmalloc"][1:], ["-", "-", "≥ 1.5x", "missing"])

    def test_few_repetitions_give_a_narrower_level_or_no_interval(self):
        three = rows_by_target(self.targets(syn.make_run(seed=5, repetitions=3)))
        self.assertTrue(three["1 small-objects: stalloc vs system"][2].endswith("(90%)"),
                        three["1 small-objects: stalloc vs system"])
        two = rows_by_target(self.targets(syn.make_run(seed=5, repetitions=2)))
        self.assertEqual(two["1 small-objects: stalloc vs system"][2], "-")
        self.assertEqual(two["1 small-objects: stalloc vs system"][4], "met")

    def test_csv_has_the_interval_columns(self):
        out = self.targets(syn.make_run(seed=5), "--format", "csv")
        rows = list(csv.DictReader(io.StringIO(out)))
        self.assertEqual(list(rows[0].keys()), ["target", "measured", "value", "interval_low",
                                                "interval_high", "interval_level", "bar", "verdict"])
        first = rows[0]
        self.assertEqual(first["target"], "1 small-objects: stalloc vs system")
        self.assertLess(float(first["interval_low"]), float(first["interval_high"]))
        self.assertGreaterEqual(float(first["interval_level"]), 0.95)
        self.assertEqual(first["bar"], "≥2.5")
        self.assertEqual(first["verdict"], "met")

    def test_bad_input_is_refused_with_status_2(self):
        missing = os.path.join(self.tmp.name, "absent.json")
        rc, out, err = run_script("targets", missing)
        self.assertEqual(rc, 2)
        self.assertIn("targets:", err)
        self.assertEqual(out, "")
        broken = os.path.join(self.tmp.name, "broken.json")
        with open(broken, "w") as f:
            f.write("{not json")
        rc, out, err = run_script("targets", broken)
        self.assertEqual(rc, 2)
        self.assertIn("targets:", err)
        rc, _, err = run_script("targets", broken, "--format", "yaml")
        self.assertEqual(rc, 2)
        self.assertIn("invalid choice", err)


if __name__ == "__main__":
    unittest.main()
