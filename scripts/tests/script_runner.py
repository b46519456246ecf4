"""Runs a script of scripts/ the way a user does, and captures what it says."""

from __future__ import annotations

import os
import subprocess
import sys

SCRIPTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(SCRIPTS)
sys.path.insert(0, os.path.join(SCRIPTS, "lib"))


def run_script(name: str, *args: str, python: str | None = None, timeout: float = 600):
    """(exit status, stdout, stderr) of scripts/<name> args..."""
    cmd = [python or sys.executable, os.path.join(SCRIPTS, name), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return proc.returncode, proc.stdout, proc.stderr
