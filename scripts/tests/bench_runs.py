"""Real stalloc-bench runs for the end-to-end script tests."""

from __future__ import annotations

import os
import subprocess
import unittest

SKIP = 77  # ctest SKIP_RETURN_CODE (scripts/CMakeLists.txt)


def bench_path() -> str:
    path = os.environ.get("STALLOC_BENCH", "")
    if not (path and os.access(path, os.X_OK)):
        raise unittest.SkipTest("STALLOC_BENCH is not set to a built stalloc-bench (ctest sets it)")
    return path


def run_bench(out: str, *args: str, bench: str | None = None) -> subprocess.CompletedProcess:
    cmd = [bench or bench_path(), "--out", out, "--format", "json", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    return proc


def main_skipping_with_77():
    """unittest.main, but exit 77 when every test was skipped (ctest: Skipped)."""
    program = unittest.main(exit=False, verbosity=2)
    result = program.result
    if result.testsRun and len(result.skipped) == result.testsRun:
        raise SystemExit(SKIP)
    raise SystemExit(0 if result.wasSuccessful() else 1)
