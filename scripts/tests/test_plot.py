"""scripts/plot: every chart kind from synthetic results, and its errors."""

import os
import tempfile
import unittest

import synthetic_results as syn
from script_runner import run_script

PLOT_PYTHON = "/usr/bin/python3"  # matplotlib comes from Debian


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


class PlotTest(unittest.TestCase):
    def setUp(self):
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            self.skipTest("matplotlib missing (python3-matplotlib)")
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def test_every_chart_kind(self):
        path = syn.write(syn.make_run(), os.path.join(self.tmp.name, "run.json"))
        out_dir = os.path.join(self.tmp.name, "charts")
        rc, out, err = run_script("plot", path, "--output-dir", out_dir, python=PLOT_PYTHON)
        self.assertEqual(rc, 0, err)
        names = sorted(os.path.basename(p) for p in out.split())
        self.assertEqual(names, sorted([
            "time-per-op.png", "sweep-random-free-live.png", "sweep-random-free-holes.png",
            "threads-larson.png", "latency-small-objects.png", "latency-random-free_live_16.png",
            "latency-larson.png", "peak-rss.png"]))
        for n in names:
            w, h = png_size(os.path.join(out_dir, n))
            self.assertGreater(w, 600)
            self.assertGreater(h, 400)

    def test_default_output_dir_is_next_to_the_input(self):
        path = syn.write(syn.make_run(workloads=[syn.WORKLOADS[0]]), os.path.join(self.tmp.name, "r.json"))
        rc, out, err = run_script("plot", path, python=PLOT_PYTHON)
        self.assertEqual(rc, 0, err)
        self.assertTrue(os.path.isfile(os.path.join(self.tmp.name, "r-plots", "time-per-op.png")))

    def test_instruction_counts_plot_without_latency(self):
        path = syn.write(syn.instruction_run(), os.path.join(self.tmp.name, "ic.json"))
        rc, out, err = run_script("plot", path, "-o", self.tmp.name, python=PLOT_PYTHON)
        self.assertEqual(rc, 0, err)
        self.assertEqual([os.path.basename(p) for p in out.split()], ["time-per-op.png"])

    def test_errors_exit_2(self):
        rc, _, err = run_script("plot", os.path.join(self.tmp.name, "absent.json"), python=PLOT_PYTHON)
        self.assertEqual(rc, 2)
        self.assertIn("no such file", err)
        doc = syn.make_run()
        for e in doc["entries"]:
            e.update(status="failed", reason="crashed", timing=None, instrumented=None)
        path = syn.write(doc, os.path.join(self.tmp.name, "failed.json"))
        rc, _, err = run_script("plot", path, "-o", self.tmp.name, python=PLOT_PYTHON)
        self.assertEqual(rc, 2)
        self.assertIn("nothing to plot", err)


if __name__ == "__main__":
    unittest.main()
