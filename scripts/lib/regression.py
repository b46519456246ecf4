"""Before/after judgement of two result files, cell by cell.

Shared by scripts/check-regression (which turns it into an exit status) and
scripts/compare (which shows it as the per-cell change). See
docs/regression-check.md for the measurements behind the rule; in short, a
cell is a regression only when BOTH hold:

  1. effect:  its median got slower by more than `threshold` (a fraction), and
  2. signal:  (timing files) a one-sided Mann-Whitney U test over the raw
              per-repetition samples says the new samples are systematically
              slower, p < alpha. Instruction counts repeat exactly, so for
              them the effect alone decides.

Timing files are normalised by default: times are divided by the time of the
reference allocator (glibc `system`) on the same row of the same run, so a
machine that is uniformly slower today (a busy neighbour, another CPU clock)
moves the reference too and cancels out. The reference's own median is noisy,
and dividing by it shifts every sample of a run by the same error, which the U
test would mistake for a signal (a synthetic test caught exactly that). So the
effect uses the reference medians, but the test divides conservatively: to
call a cell slower, the new run is divided by the upper quartile of its
reference and the baseline by the lower quartile of its own (and the other
way round for faster), so the reference's uncertainty never helps a verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from noise_stats import (ChangeInterval, hodges_lehmann_change, mann_whitney_greater, median,
                         min_p_value, relative_spread)
from stalloc_results import REFERENCE_ALLOCATOR, InputError, ResultFile, RowKey

DEFAULT_TIMING_THRESHOLD = 0.05
DEFAULT_INSTRUCTION_THRESHOLD = 0.02
DEFAULT_ALPHA = 0.01
DEFAULT_CONFIDENCE = 0.95


@dataclass
class Settings:
    threshold: float | None = None  # None: the default for the file kind
    alpha: float = DEFAULT_ALPHA
    normalize: bool = True
    reference: str = REFERENCE_ALLOCATOR
    allocators: list[str] | None = None  # None: every allocator in the baseline
    workloads: list[str] | None = None

    def effective_threshold(self, kind: str) -> float:
        if self.threshold is not None:
            return self.threshold
        return DEFAULT_INSTRUCTION_THRESHOLD if kind == "instructions" else DEFAULT_TIMING_THRESHOLD


@dataclass
class Verdict:
    row: RowKey
    allocator: str
    base_median: float
    new_median: float
    change: float  # new / base - 1 of the judged (possibly normalised) medians
    raw_change: float  # new / base - 1 of the raw medians
    p_value: float | None  # None for instruction counts
    noise: float  # relative spread of the two samples together (for display)
    status: str  # "regression", "improvement", "unchanged", "reference"
    normalized: bool = False
    # Timing cells: the change's Hodges-Lehmann estimate and confidence
    # interval over the repetitions (normalised like the medians).
    interval: ChangeInterval | None = None

    @property
    def significant(self) -> bool:
        return self.status in ("regression", "improvement")


@dataclass
class Judgement:
    kind: str
    threshold: float
    alpha: float
    verdicts: list[Verdict] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # cells not judged, with why
    warnings: list[str] = field(default_factory=list)
    # Too few repetitions for the U test to ever reach alpha: nothing could be
    # flagged, so a "pass" would mean nothing (check-regression exits 2).
    underpowered: str | None = None

    @property
    def regressions(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.status == "regression"]


def _selected(base: ResultFile, settings: Settings):
    cells = base.cells()
    wanted_alloc = set(settings.allocators) if settings.allocators else None
    wanted_work = set(settings.workloads) if settings.workloads else None
    if wanted_alloc:
        unknown = wanted_alloc - {a for (_, a) in cells}
        if unknown:
            raise InputError(
                f"{base.path}: allocator(s) {', '.join(sorted(unknown))} not in the baseline "
                f"(it has: {', '.join(base.allocator_names())})"
            )
    if wanted_work:
        unknown = wanted_work - {r.workload for (r, _) in cells}
        if unknown:
            raise InputError(
                f"{base.path}: workload(s) {', '.join(sorted(unknown))} not in the baseline "
                f"(it has: {', '.join(sorted({r.workload for r in base.rows()}))})"
            )
    for (row, alloc), entry in cells.items():
        if wanted_alloc and alloc not in wanted_alloc:
            continue
        if wanted_work and row.workload not in wanted_work:
            continue
        yield row, alloc, entry


def check_comparable(base: ResultFile, new: ResultFile) -> list[str]:
    """Raises InputError when the two runs cannot be compared; returns warnings."""
    if base.kind != new.kind:
        raise InputError(
            f"{base.path} holds {base.kind} and {new.path} holds {new.kind}: "
            "compare timings with timings and instruction counts with instruction counts"
        )
    warnings = []
    bq, nq = base.context.get("quick"), new.context.get("quick")
    if bq is not None and nq is not None and bq != nq:
        raise InputError(
            f"{base.path} is a {'quick' if bq else 'full'} run and {new.path} a "
            f"{'quick' if nq else 'full'} run: the workloads differ in size, so their times "
            "cannot be compared; re-run with the same --quick setting"
        )
    for key in ("seed", "cpu_model", "host", "compiler"):
        b, n = base.context.get(key), new.context.get(key)
        if b != n:
            warnings.append(f"{key} differs: baseline {b!r}, new {n!r}")
    return warnings


def judge(base: ResultFile, new: ResultFile, settings: Settings, strict: bool = True) -> Judgement:
    """Compares every selected baseline cell with the new run.

    strict: a baseline cell that ran but is absent (or failed) in the new run
    is an InputError (check-regression: "the runs do not match" must not pass).
    Not strict (compare): such cells are listed as skipped.
    """
    warnings = check_comparable(base, new)
    kind = base.kind
    threshold = settings.effective_threshold(kind)
    out = Judgement(kind=kind, threshold=threshold, alpha=settings.alpha, warnings=warnings)
    new_cells = new.cells()
    base_cells = base.cells()
    missing = []
    for row, alloc, b in _selected(base, settings):
        label = f"{base.row_label(row)} / {alloc}"
        if not b.ok:
            out.skipped.append(f"{label}: {b.status} in the baseline ({b.reason or 'no reason'})")
            continue
        n = new_cells.get((row, alloc))
        if n is None or not n.ok:
            why = "absent" if n is None else f"{n.status}: {n.reason or 'no reason'}"
            if strict:
                missing.append(f"{label} ({why})")
            else:
                out.skipped.append(f"{label}: {why} in the new run")
            continue
        out.verdicts.append(_judge_cell(row, alloc, b, n, base_cells, new_cells, settings, kind, threshold))
    if missing:
        shown = "; ".join(missing[:8]) + (f"; ... {len(missing) - 8} more" if len(missing) > 8 else "")
        raise InputError(
            f"{new.path} does not match the baseline {base.path}: "
            f"{len(missing)} cell(s) of the baseline did not run: {shown}"
        )
    if not out.verdicts:
        raise InputError(f"nothing to compare between {base.path} and {new.path}")
    if kind == "timing":
        sizes = [len(base_cells[(v.row, v.allocator)].samples) for v in out.verdicts]
        sizes += [len(new_cells[(v.row, v.allocator)].samples) for v in out.verdicts]
        smallest = min(sizes)
        if min_p_value(smallest, smallest) >= settings.alpha:
            out.underpowered = (
                f"only {smallest} repetitions per side: the U test cannot reach p < {settings.alpha} "
                f"(best possible {min_p_value(smallest, smallest):.3f}), so no timing cell can be "
                "flagged; run with more --repetitions (10 is enough)"
            )
    return out


def _median_and_quartiles(xs: list[float]) -> tuple[float, float, float]:
    s = sorted(xs)
    if len(s) < 4:
        return median(s), s[0], s[-1]
    return median(s), median(s[: len(s) // 2]), median(s[(len(s) + 1) // 2 :])


def _judge_cell(row, alloc, b, n, base_cells, new_cells, settings, kind, threshold) -> Verdict:
    raw_change = n.median / b.median - 1.0 if b.median > 0 else 0.0
    normalized = False
    is_reference = alloc == settings.reference
    b_scale = n_scale = (1.0, 1.0, 1.0)  # (median, lower quartile, upper quartile) of the reference
    if kind == "timing" and settings.normalize and not is_reference:
        b_ref = base_cells.get((row, settings.reference))
        n_ref = new_cells.get((row, settings.reference))
        if b_ref and n_ref and b_ref.ok and n_ref.ok and b_ref.median > 0 and n_ref.median > 0:
            b_scale, n_scale = _median_and_quartiles(b_ref.samples), _median_and_quartiles(n_ref.samples)
            normalized = True
    b_med, n_med = b.median / b_scale[0], n.median / n_scale[0]
    change = n_med / b_med - 1.0 if b_med > 0 else 0.0
    noise = max(relative_spread(b.samples), relative_spread(n.samples))
    if kind == "instructions":
        p_slower = p_faster = None
        slower = change > threshold
        faster = change < -threshold
    else:
        p_slower = mann_whitney_greater([x / n_scale[2] for x in n.samples],
                                        [x / b_scale[1] for x in b.samples])
        p_faster = mann_whitney_greater([x / b_scale[2] for x in b.samples],
                                        [x / n_scale[1] for x in n.samples])
        slower = change > threshold and p_slower < settings.alpha
        faster = change < -threshold and p_faster < settings.alpha
    if is_reference and kind == "timing" and settings.normalize:
        status = "reference"  # the yardstick: shown, never judged
    elif slower:
        status = "regression"
    elif faster:
        status = "improvement"
    else:
        status = "unchanged"
    p_value = None if p_slower is None else (p_slower if change >= 0 else p_faster)
    interval = None
    if kind == "timing" and min(b.samples) > 0 and min(n.samples) > 0:
        interval = hodges_lehmann_change([x / b_scale[0] for x in b.samples],
                                         [x / n_scale[0] for x in n.samples], DEFAULT_CONFIDENCE)
    return Verdict(
        row=row,
        allocator=alloc,
        base_median=b.median,
        new_median=n.median,
        change=change,
        raw_change=raw_change,
        p_value=p_value,
        noise=noise,
        status=status,
        normalized=normalized,
        interval=interval,
    )
