"""Reading stalloc-bench result files (results/SCHEMA.md, schema version 2).

Every script in scripts/ reads results through this module, so the contract
with the harness is checked in one place. Loading is strict: a file that is
missing, is not JSON, has another schema version or lacks a field the scripts
use raises InputError, and the scripts turn that into exit status 2. Guessing
at a half-understood file would let a broken run pass a regression check.

Standard library only (the scripts must run on a bare Debian python3).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field

SCHEMA_VERSION = 2
# Version 1 differs only in what the scripts do not read (it also had
# `ratio_to_system`, this time / glibc's, which version 2 dropped so that the
# one name left, `speedup_vs_system`, has the one meaning it always had), so
# older runs and the committed baselines stay readable.
READABLE_VERSIONS = (1, 2)

# The instruction-count files written by scripts/count-instructions share the
# entry identity (workload, point, allocator, threads) but carry a different
# measurement; they are told apart by this marker.
INSTRUCTION_KIND = "stalloc-instruction-counts"

REFERENCE_ALLOCATOR = "system"
# The declared allocator traits that allocators[] carries (results/SCHEMA.md).
TRAITS = ("family", "role", "thread_safe", "malloc_provider", "memory_model")


class InputError(Exception):
    """A result file the scripts cannot trust: exit status 2."""


@dataclass(frozen=True, order=True)
class RowKey:
    """One row of every table: a workload at one sweep point and thread count."""

    workload: str
    point_value: int
    point: str
    threads: int

    def label(self, multithreaded: bool = False) -> str:
        text = self.workload
        if self.point:
            text += f" {self.point}"
        if multithreaded or self.threads > 1:
            text += f" x{self.threads}"
        return text


@dataclass
class Entry:
    """One (workload, point, allocator, threads) result, flattened."""

    row: RowKey
    allocator: str
    status: str
    reason: str | None
    samples: list[float] = field(default_factory=list)  # ns per op, per repetition
    median: float | None = None
    cv: float | None = None
    speedup_vs_system: float | None = None  # system's median / this median: > 1 is faster
    cpu_samples: list[float] = field(default_factory=list)  # CPU ns per op, per repetition
    quick_scope: str | None = None  # what --quick left out of the work
    held_peak_bytes: int | None = None
    requested_peak_bytes: int | None = None
    overhead_ratio: float | None = None
    failed_requests: int | None = None
    corruptions: int | None = None
    peak_rss_bytes: int | None = None
    latency: dict = field(default_factory=dict)  # kind -> {p50_ns, p99_ns, ...}
    point_name: str = ""
    unit: str = "ns/op"  # "instr/op" for instruction-count files
    # Allocator calls per round (ops_per_repetition / iterations_per_repetition
    # of the first repetition): for a trace replay, the calls of the trace.
    ops_per_round: float | None = None
    # A whole program's per-run figures (`program` of a `stalloc-bench run`
    # entry: wall_ns, user_ns, system_ns, max_rss_bytes, minor_faults, ...),
    # checked to be lists of numbers; None for the other workloads.
    program: dict | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok" and self.median is not None


@dataclass
class ResultFile:
    path: str
    kind: str  # "timing" or "instructions"
    context: dict
    allocators: list[dict]
    entries: list[Entry]

    def cells(self) -> dict[tuple[RowKey, str], Entry]:
        return {(e.row, e.allocator): e for e in self.entries}

    def rows(self) -> list[RowKey]:
        """Rows in the order the run produced them (workload order, then point)."""
        seen: dict[RowKey, None] = {}
        for e in self.entries:
            seen.setdefault(e.row, None)
        return list(seen)

    def allocator_names(self) -> list[str]:
        seen: dict[str, None] = {}
        for a in self.allocators:
            seen.setdefault(a["name"], None)
        for e in self.entries:
            seen.setdefault(e.allocator, None)
        return list(seen)

    def allocator_traits(self) -> dict[str, dict]:
        """Name -> the traits its descriptor declares (family, role, thread_safe,
        malloc_provider, memory_model: results/SCHEMA.md). The scripts group,
        colour and gate by these, never by lists of names. Files written
        before the traits existed give only what they have."""
        return {a["name"]: {k: a[k] for k in TRAITS if k in a} for a in self.allocators}

    def multithreaded_workloads(self) -> set[str]:
        """Workloads run at more than one thread count (their rows say xN)."""
        counts: dict[str, set[int]] = {}
        for e in self.entries:
            counts.setdefault(e.row.workload, set()).add(e.row.threads)
        return {w for w, t in counts.items() if len(t) > 1}

    def row_label(self, row: RowKey) -> str:
        return row.label(row.workload in self.multithreaded_workloads())


def _require(obj, key, types, where):
    if not isinstance(obj, dict) or key not in obj:
        raise InputError(f"{where}: missing field '{key}'")
    value = obj[key]
    if types is not None and not isinstance(value, types):
        # bool is an int in Python; never accept it where a number is meant.
        raise InputError(f"{where}: field '{key}' has the wrong type ({type(value).__name__})")
    if isinstance(value, bool) and types in (int, float, (int, float)):
        raise InputError(f"{where}: field '{key}' has the wrong type (bool)")
    return value


def _number_or_none(obj, key, where):
    if key not in obj:
        raise InputError(f"{where}: missing field '{key}'")
    value = obj[key]
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InputError(f"{where}: field '{key}' must be a finite number or null")
    return value


def _read_json(path: str):
    if not os.path.exists(path):
        raise InputError(f"{path}: no such file")
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as e:
        raise InputError(f"{path}: not valid JSON ({e.msg} at line {e.lineno})") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot read ({e})") from None


def _check_version(doc, path: str) -> None:
    if not isinstance(doc, dict):
        raise InputError(f"{path}: not a stalloc-bench result (top level is not an object)")
    if "schema_version" not in doc:
        raise InputError(f"{path}: not a stalloc-bench result (no schema_version)")
    version = doc["schema_version"]
    if isinstance(version, bool) or version not in READABLE_VERSIONS:
        raise InputError(
            f"{path}: schema version {version!r}, but these scripts read versions "
            f"{', '.join(map(str, READABLE_VERSIONS))} only (results/SCHEMA.md); re-run the "
            "benchmark or update the scripts"
        )


def _row_key(e: dict, where: str) -> RowKey:
    return RowKey(
        workload=_require(e, "workload", str, where),
        point_value=_require(e, "point_value", int, where),
        point=_require(e, "point", str, where),
        threads=_require(e, "threads", int, where),
    )


def _timing_entry(e: dict, where: str) -> Entry:
    entry = Entry(
        row=_row_key(e, where),
        allocator=_require(e, "allocator", str, where),
        status=_require(e, "status", str, where),
        reason=e.get("reason"),
        point_name=e.get("point_name") or "",
    )
    where = f"{where} ({entry.row.label()} / {entry.allocator})"
    entry.corruptions = e.get("corruptions")
    entry.peak_rss_bytes = e.get("peak_rss_bytes")
    entry.quick_scope = e.get("quick_scope")
    if entry.status != "ok":
        return entry
    timing = _require(e, "timing", dict, where)
    samples = _require(timing, "ns_per_op", list, where + " timing")
    if not samples or not all(
        isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x >= 0
        for x in samples
    ):
        raise InputError(f"{where}: timing.ns_per_op must be a non-empty list of numbers >= 0")
    entry.samples = [float(x) for x in samples]
    entry.median = float(_require(timing, "ns_per_op_median", (int, float), where + " timing"))
    entry.cv = _number_or_none(timing, "ns_per_op_cv", where + " timing")
    entry.speedup_vs_system = _number_or_none(timing, "speedup_vs_system", where + " timing")
    cpu = timing.get("cpu_ns_per_op")  # version 2 on
    if cpu is not None:
        if not isinstance(cpu, list) or len(cpu) != len(samples) or not all(
            isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x >= 0
            for x in cpu
        ):
            raise InputError(f"{where}: timing.cpu_ns_per_op must list one number >= 0 per repetition")
        entry.cpu_samples = [float(x) for x in cpu]
    entry.ops_per_round = _ops_per_round(timing, where + " timing")
    if e.get("instrumented") is None and isinstance(e.get("program"), dict):
        # A whole program (`stalloc-bench run`): no instrumented pass; its
        # memory is the process tree's peak RSS, measured alike for every
        # allocator (results/SCHEMA.md, "Program entries").
        entry.held_peak_bytes = entry.peak_rss_bytes
        entry.program = _program_figures(e["program"], where + " program")
        entry.failed_requests = 0
        entry.latency = {kind: {} for kind in ("allocate", "free", "realloc")}
        return entry
    inst = _require(e, "instrumented", dict, where)
    entry.held_peak_bytes = _number_or_none(inst, "held_peak_bytes", where + " instrumented")
    entry.requested_peak_bytes = _number_or_none(
        inst, "requested_live_peak_bytes", where + " instrumented"
    )
    entry.overhead_ratio = _number_or_none(inst, "overhead_ratio", where + " instrumented")
    entry.failed_requests = _require(inst, "failed_requests", int, where + " instrumented")
    latency = _require(inst, "latency", dict, where + " instrumented")
    for kind in ("allocate", "free", "realloc"):
        entry.latency[kind] = _require(latency, kind, dict, where + " instrumented.latency")
    return entry


def _ops_per_round(timing: dict, where: str) -> float | None:
    """Calls per round of the first repetition; None when the file lacks them."""
    ops, its = timing.get("ops_per_repetition"), timing.get("iterations_per_repetition")
    if not isinstance(ops, list) or not isinstance(its, list) or not ops or not its:
        return None
    o, i = ops[0], its[0]
    if (isinstance(o, bool) or isinstance(i, bool) or not isinstance(o, (int, float))
            or not isinstance(i, (int, float)) or i <= 0 or o < 0):
        raise InputError(f"{where}: ops_per_repetition / iterations_per_repetition are not counts")
    return o / i


# The per-run lists of a program entry that the scripts read.
PROGRAM_SERIES = ("wall_ns", "user_ns", "system_ns", "max_rss_bytes", "minor_faults",
                  "major_faults")


def _program_figures(program: dict, where: str) -> dict:
    figures = dict(program)
    for key in PROGRAM_SERIES:
        values = _require(program, key, list, where)
        if not values or not all(isinstance(x, (int, float)) and not isinstance(x, bool)
                                 and math.isfinite(x) and x >= 0 for x in values):
            raise InputError(f"{where}: '{key}' must be a non-empty list of numbers >= 0")
        figures[key] = [float(x) for x in values]
    return figures


def _instruction_entry(e: dict, where: str) -> Entry:
    entry = Entry(
        row=_row_key(e, where),
        allocator=_require(e, "allocator", str, where),
        status=_require(e, "status", str, where),
        reason=e.get("reason"),
        point_name=e.get("point_name") or "",
        unit="instr/op",
    )
    if entry.status == "ok":
        value = _require(e, "instructions_per_op", (int, float), where)
        entry.samples = [float(value)]
        entry.median = float(value)
        entry.cv = 0.0
    return entry


def load(path: str) -> ResultFile:
    """Reads and checks one result file; raises InputError on anything off."""
    doc = _read_json(path)
    _check_version(doc, path)
    kind = "instructions" if doc.get("kind") == INSTRUCTION_KIND else "timing"
    context = _require(doc, "context", dict, path)
    allocators = _require(doc, "allocators", list, path)
    raw_entries = _require(doc, "entries", list, path)
    for i, a in enumerate(allocators):
        _require(a, "name", str, f"{path}: allocators[{i}]")
    make = _instruction_entry if kind == "instructions" else _timing_entry
    entries = [make(e, f"{path}: entries[{i}]") for i, e in enumerate(raw_entries)]
    if not entries:
        raise InputError(f"{path}: the run has no entries")
    seen = set()
    for e in entries:
        key = (e.row, e.allocator)
        if key in seen:
            raise InputError(f"{path}: {e.row.label(True)} / {e.allocator} appears twice")
        seen.add(key)
    _fill_missing_ratios(entries)
    return ResultFile(path=path, kind=kind, context=context, allocators=allocators, entries=entries)


def _fill_missing_ratios(entries: list[Entry]) -> None:
    """Instruction files carry no speedup; derive it the way the harness does."""
    reference = {e.row: e.median for e in entries if e.allocator == REFERENCE_ALLOCATOR and e.ok}
    for e in entries:
        if e.ok and e.speedup_vs_system is None and reference.get(e.row) and e.median > 0:
            e.speedup_vs_system = reference[e.row] / e.median


def merged_traits(files: list[ResultFile]) -> dict[str, dict]:
    """allocator_traits() over several files, the first file's answer first."""
    traits: dict[str, dict] = {}
    for f in files:
        for name, t in f.allocator_traits().items():
            traits.setdefault(name, t)
    return traits


def load_all(paths: list[str]) -> list[ResultFile]:
    return [load(p) for p in paths]


def machine_line(context: dict) -> str:
    """The one-line 'where and how' stamp every table and chart carries."""
    lib = context.get("library_versions") or {}
    commit = str(context.get("git_commit") or "unknown")[:12]
    if context.get("git_dirty"):
        commit += "+dirty"
    parts = [
        f"{context.get('host', '?')}",
        f"{context.get('cpu_model', '?')} x{context.get('cores', '?')}",
        f"{context.get('os', '?')}",
        f"{context.get('compiler', '?')} {context.get('build_type', '')}".strip(),
        f"glibc {lib.get('glibc') or '?'}",
        f"commit {commit}",
        f"{context.get('date', '?')}",
    ]
    if context.get("quick"):
        parts.append("quick")
    reps = context.get("repetitions")
    if reps:
        parts.append(f"{reps} reps")
    return " | ".join(parts)
