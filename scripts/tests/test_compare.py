"""scripts/compare: tables in three formats, before/after, and its errors."""

import csv
import io
import os
import re
import tempfile
import unittest

import synthetic_results as syn
from script_runner import run_script


class CompareTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.doc = syn.make_run(seed=3)
        self.path = syn.write(self.doc, os.path.join(self.tmp.name, "run.json"))

    def md_row(self, out, label):
        for line in out.splitlines():
            if line.startswith(f"| {label} |"):
                return [c.strip() for c in line.strip("|").split("|")]
        self.fail(f"no row {label!r} in:\n{out}")

    def cell(self, workload, allocator, point="", threads=1):
        for e in self.doc["entries"]:
            if (e["workload"], e["allocator"], e["point"], e["threads"]) == (workload, allocator, point, threads):
                return e
        raise KeyError((workload, allocator))

    def test_markdown_rows_columns_fastest_and_ratio(self):
        rc, out, err = run_script("compare", self.path)
        self.assertEqual(rc, 0, err)
        header = self.md_row(out, "workload")
        # Each allocator's time, then its peak RSS.
        self.assertEqual(header[1::2], syn.ALLOCATORS)
        self.assertEqual(header[2::2], [f"{a} RSS" for a in syn.ALLOCATORS])
        row = self.md_row(out, "small-objects")
        times = {a: self.cell("small-objects", a)["timing"] for a in syn.ALLOCATORS}
        fastest = min(times, key=lambda a: times[a]["ns_per_op_median"])
        for a, text in zip(syn.ALLOCATORS, row[1::2]):
            t = times[a]
            self.assertIn(f"{t['ns_per_op_median']:.3g}", text)
            self.assertIn(f"±{t['ns_per_op_cv']:.0%}", text)
            self.assertIn(f"({t['speedup_vs_system']:.2f}x)", text)
            self.assertEqual(text.startswith("**"), a == fastest, text)
        self.assertIn("random-free live=4096", out)
        larson = self.md_row(out, "larson x2")
        self.assertEqual(larson[1:3], ["n/a", "n/a"])  # stalloc is single-threaded
        self.assertIn("Peak memory held, allocator-specific detail", out)
        self.assertIn("Failed requests", out)
        self.assertIn("testbox", out)  # the machine line

    def test_failed_and_corrupt_cells_are_visible(self):
        doc = syn.make_run(seed=3)
        doc["entries"][0]["instrumented"]["failed_requests"] = 17
        doc["entries"][0]["corruptions"] = 2
        doc["entries"][1].update(status="failed", reason="worker crashed", timing=None,
                                 instrumented=None, corruptions=None)
        path = syn.write(doc, os.path.join(self.tmp.name, "bad.json"))
        rc, out, _ = run_script("compare", path)
        self.assertEqual(rc, 0)
        self.assertIn("17, 2 CORRUPTIONS", out)
        self.assertIn("FAILED", self.md_row(out, "small-objects")[3])  # time
        self.assertIn("FAILED", self.md_row(out, "small-objects")[4])  # and RSS

    def test_peak_rss_next_to_time_smallest_bold(self):
        doc = syn.make_run(seed=3)
        rss = {"stalloc": 3 << 20, "sync-stalloc": 4 << 20, "system": 9 << 20, "mimalloc": None}
        for e in doc["entries"]:
            e["peak_rss_bytes"] = rss[e["allocator"]]
        path = syn.write(doc, os.path.join(self.tmp.name, "rss.json"))
        rc, out, err = run_script("compare", path)
        self.assertEqual(rc, 0, err)
        row = self.md_row(out, "small-objects")
        self.assertEqual(row[2::2], ["**3 MiB**", "4 MiB", "9 MiB", "-"])
        rc, out, _ = run_script("compare", path, "--format", "csv")
        records = {r["allocator"]: r for r in csv.DictReader(io.StringIO(out))
                   if r["workload"] == "small-objects"}
        self.assertEqual(records["system"]["peak_rss_bytes"], str(9 << 20))
        self.assertEqual(records["mimalloc"]["peak_rss_bytes"], "")

    def test_program_entries_show_time_and_peak_rss(self):
        doc = syn.program_run({"sqlite3": {"system": [1e9] * 5, "stalloc": [0.9e9] * 5}},
                              rss={"system": 200 << 20, "stalloc": 150 << 20})
        path = syn.write(doc, os.path.join(self.tmp.name, "programs.json"))
        rc, out, err = run_script("compare", path)
        self.assertEqual(rc, 0, err)
        row = self.md_row(out, "program:sqlite3")
        self.assertEqual(row[1:], ["1 s ±0% (1.00x)",
                                   "200 MiB", "**900 ms ±0% (1.11x)**", "**150 MiB**"])

    def test_csv_has_one_record_per_cell(self):
        rc, out, _ = run_script("compare", self.path, "--format", "csv")
        self.assertEqual(rc, 0)
        records = list(csv.DictReader(io.StringIO(out)))
        self.assertEqual(len(records), len(self.doc["entries"]))
        r = [x for x in records if x["workload"] == "small-objects" and x["allocator"] == "mimalloc"][0]
        t = self.cell("small-objects", "mimalloc")["timing"]
        self.assertAlmostEqual(float(r["median"]), t["ns_per_op_median"])
        self.assertAlmostEqual(float(r["speedup_vs_system"]), t["speedup_vs_system"])

    def test_html_page(self):
        out_file = os.path.join(self.tmp.name, "t.html")
        rc, out, _ = run_script("compare", self.path, "--format", "html", "--output", out_file)
        self.assertEqual(rc, 0)
        self.assertEqual(out, "")
        with open(out_file, encoding="utf-8") as f:
            page = f.read()
        self.assertTrue(page.startswith("<!DOCTYPE html>"))
        self.assertEqual(page.count("<table>"), 3)
        self.assertEqual(len(re.findall(r'class="best"', page)) >= 7, True)
        self.assertIn("</html>", page)

    def test_before_after_marks_only_real_changes(self):
        before = syn.make_run(seed=3)
        after = syn.scaled(syn.make_run(seed=30), "sync-stalloc", 1.25)
        a = syn.write(before, os.path.join(self.tmp.name, "a.json"))
        b = syn.write(after, os.path.join(self.tmp.name, "b.json"))
        rc, out, _ = run_script("compare", a, b)
        self.assertEqual(rc, 0)
        row = self.md_row(out, "small-objects")
        self.assertTrue(row[2].endswith("slower"), row)  # sync-stalloc
        self.assertIn("->", row[1])
        self.assertTrue(row[1].endswith("~"), row)  # stalloc: same code, other noise
        rc, out, _ = run_script("compare", a, b, "--format", "csv")
        recs = list(csv.DictReader(io.StringIO(out)))
        verdicts = {r["allocator"] for r in recs if r["verdict"] == "regression"}
        self.assertEqual(verdicts, {"sync-stalloc"})

    def test_before_after_intervals_and_p_values(self):
        before = syn.make_run(seed=3, noise=0.02)
        after = syn.scaled(syn.make_run(seed=30, noise=0.02), "sync-stalloc", 1.25)
        a = syn.write(before, os.path.join(self.tmp.name, "a.json"))
        b = syn.write(after, os.path.join(self.tmp.name, "b.json"))
        rc, out, _ = run_script("compare", a, b, "--format", "csv")
        self.assertEqual(rc, 0)
        recs = {(r["workload"], r["point"], r["threads"], r["allocator"]): r
                for r in csv.DictReader(io.StringIO(out))}
        slowed = recs[("small-objects", "", "1", "sync-stalloc")]
        self.assertLess(float(slowed["ci_low"]), 0.25)
        self.assertGreater(float(slowed["ci_high"]), 0.25)
        self.assertGreater(float(slowed["ci_low"]), 0.05)  # excludes "no change"
        self.assertLess(float(slowed["p_value"]), 0.01)
        self.assertEqual(slowed["significant"], "True")
        same = recs[("small-objects", "", "1", "stalloc")]
        self.assertLessEqual(float(same["ci_low"]), 0.0 + 0.03)
        self.assertEqual(same["significant"], "False")
        self.assertAlmostEqual(float(same["ci_level"]), 0.95, delta=0.01)  # 10 repetitions a side
        rc, out, _ = run_script("compare", a, b)
        row = self.md_row(out, "small-objects")
        self.assertRegex(row[2], r"\+2[0-9]\.[0-9]% \[\+[0-9.]+%, \+[0-9.]+%\] p=<?0\.[0-9]+ slower$")
        self.assertIn("95% confidence interval", out)

    def test_few_repetitions_state_the_interval_level(self):
        before = syn.make_run(seed=3, repetitions=3)
        after = syn.make_run(seed=4, repetitions=3)
        a = syn.write(before, os.path.join(self.tmp.name, "a.json"))
        b = syn.write(after, os.path.join(self.tmp.name, "b.json"))
        rc, out, _ = run_script("compare", a, b)
        self.assertEqual(rc, 0)
        self.assertIn("(90%)", self.md_row(out, "small-objects")[1])

    def test_two_files_merge_on_request(self):
        small = syn.make_run(workloads=[syn.WORKLOADS[0]])
        larson = syn.make_run(workloads=[syn.WORKLOADS[3]])
        a = syn.write(small, os.path.join(self.tmp.name, "a.json"))
        b = syn.write(larson, os.path.join(self.tmp.name, "b.json"))
        rc, out, _ = run_script("compare", a, b, "--merge")
        self.assertEqual(rc, 0)
        self.md_row(out, "small-objects")
        self.md_row(out, "larson x2")

    def test_instruction_counts(self):
        p = syn.write(syn.instruction_run(), os.path.join(self.tmp.name, "ic.json"))
        rc, out, _ = run_script("compare", p)
        self.assertEqual(rc, 0)
        self.assertIn("Instructions per operation", out)
        self.assertIn("105.8", out)

    def test_errors_exit_2(self):
        rc, _, err = run_script("compare", os.path.join(self.tmp.name, "absent.json"))
        self.assertEqual(rc, 2)
        self.assertIn("no such file", err)
        ic = syn.write(syn.instruction_run(), os.path.join(self.tmp.name, "ic.json"))
        rc, _, err = run_script("compare", self.path, ic, "--merge")
        self.assertEqual(rc, 2)
        self.assertIn("one kind", err)
        rc, _, err = run_script("compare", self.path, self.path, self.path)
        self.assertEqual(rc, 2)
        self.assertIn("in both", err)
        rc, _, err = run_script("compare", self.path, "--format", "pdf")
        self.assertEqual(rc, 2)
        rc, _, err = run_script("compare", self.path, "--output", "/nonexistent-dir/x.md")
        self.assertEqual(rc, 2)
        self.assertIn("cannot write", err)


if __name__ == "__main__":
    unittest.main()
