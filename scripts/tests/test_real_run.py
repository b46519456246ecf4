"""The scripts on a real quick run of stalloc-bench (not only synthetic files)."""

import csv
import io
import os
import subprocess
import tempfile
import unittest

import bench_runs
from script_runner import ROOT, run_script

ALLOCATORS = "stalloc,sync-stalloc,system,mimalloc"


class RealRunTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.run_file = os.path.join(cls.tmp.name, "run.json")
        bench_runs.run_bench(cls.run_file, "--workload", "small-objects", "--quick",
                             "--allocator", ALLOCATORS, "--repetitions", "6")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_compare_tables(self):
        rc, out, err = run_script("compare", self.run_file)
        self.assertEqual(rc, 0, err)
        self.assertIn("| small-objects |", out)
        for a in ALLOCATORS.split(","):
            self.assertIn(a, out)
        time_row = [l for l in out.split("## Peak memory")[0].splitlines()
                    if l.startswith("| small-objects")]
        cells = [c.strip() for c in time_row[0].strip("|").split("|")]
        # Time and peak RSS columns alternate: exactly one fastest time, and
        # every RSS cell a size (the same measure for every allocator).
        self.assertEqual(sum(c.startswith("**") for c in cells[1::2]), 1, out)
        self.assertTrue(all(c.strip("*").endswith("B") for c in cells[2::2]), out)
        rc, out, _ = run_script("compare", self.run_file, "--format", "csv")
        records = list(csv.DictReader(io.StringIO(out)))
        self.assertEqual({r["allocator"] for r in records}, set(ALLOCATORS.split(",")))
        self.assertTrue(all(r["status"] == "ok" and float(r["median"]) > 0 for r in records))

    def test_plot_charts(self):
        out_dir = os.path.join(self.tmp.name, "charts")
        rc, out, err = run_script("plot", self.run_file, "-o", out_dir, python="/usr/bin/python3")
        self.assertEqual(rc, 0, err)
        self.assertIn("time-per-op.png", out)
        self.assertIn("latency-small-objects.png", out)

    def test_a_run_checked_against_itself_passes(self):
        rc, out, err = run_script("check-regression", self.run_file, self.run_file)
        self.assertEqual(rc, 0, out + err)
        self.assertIn("OK: no regression", out)

    def test_a_run_missing_an_allocator_does_not_match(self):
        import json
        with open(self.run_file, encoding="utf-8") as f:
            doc = json.load(f)
        doc["entries"] = [e for e in doc["entries"] if e["allocator"] != "sync-stalloc"]
        partial = os.path.join(self.tmp.name, "partial.json")
        with open(partial, "w", encoding="utf-8") as f:
            json.dump(doc, f)
        rc, out, err = run_script("check-regression", self.run_file, partial)
        self.assertEqual(rc, 2, out + err)
        self.assertIn("small-objects / sync-stalloc (absent)", err)

    def test_report_one_command(self):
        out_dir = os.path.join(self.tmp.name, "report")
        env = dict(os.environ)  # STALLOC_BENCH: the report uses the ctest build
        proc = subprocess.run(
            [os.path.join(ROOT, "scripts", "report"), "--dir", out_dir, "--workload", "small-objects",
             "--quick", "--allocator", "stalloc,system", "--repetitions", "3"],
            capture_output=True, text=True, env=env, timeout=300)
        self.assertEqual(proc.returncode, 0, proc.stderr[-2000:])
        for name in ("results.json", "table.md", "table.csv", "table.html", "time-per-op.png"):
            self.assertTrue(os.path.isfile(os.path.join(out_dir, name)), name)
        self.assertIn("| small-objects |", proc.stdout)


if __name__ == "__main__":
    bench_runs.main_skipping_with_77()
