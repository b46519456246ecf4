"""Small statistics for noisy timings: median, the Mann-Whitney U test and
the Hodges-Lehmann confidence interval that goes with it.

Why Mann-Whitney: timings on a shared machine are not normal (a neighbour
adds a long right tail), so a t-test's mean and variance are dominated by the
worst repetitions. The U test only uses the order of the samples: it asks
"are the new repetitions systematically slower than the old ones?", which a
few outliers cannot fake. Google Benchmark's compare.py makes the same choice.

Pure Python (no scipy): the exact null distribution for small samples (the
common case: 3-20 repetitions per side), the normal approximation with tie
correction above that or when samples tie.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

# Above this many (n * m) pairs the exact distribution table gets large and the
# normal approximation is already accurate to well under 1e-3.
EXACT_LIMIT = 2500


def median(xs: list[float]) -> float:
    if not xs:
        raise ValueError("median of an empty sample")
    s = sorted(xs)
    n = len(s)
    mid = n // 2
    return s[mid] if n % 2 else (s[mid - 1] + s[mid]) / 2.0


def u_statistic(x: list[float], y: list[float]) -> float:
    """U for x: pairs (xi, yj) with xi > yj, ties counting one half."""
    u = 0.0
    for a in x:
        for b in y:
            if a > b:
                u += 1.0
            elif a == b:
                u += 0.5
    return u


@lru_cache(maxsize=None)
def _u_counts(n: int, m: int) -> tuple[int, ...]:
    """counts[u] = arrangements of n x's and m y's whose U (for x) equals u.

    Recurrence on the largest element: it is an x (which then beats all m
    y's) or a y (which adds nothing to U).
    """
    if n == 0 or m == 0:
        return (1,)
    with_x = _u_counts(n - 1, m)
    with_y = _u_counts(n, m - 1)
    size = n * m + 1
    out = [0] * size
    for u, c in enumerate(with_x):
        out[u + m] += c
    for u, c in enumerate(with_y):
        out[u] += c
    return tuple(out)


def _has_ties(x: list[float], y: list[float]) -> bool:
    values = list(x) + list(y)
    return len(set(values)) != len(values)


def mann_whitney_greater(x: list[float], y: list[float]) -> float:
    """One-sided p-value for "x tends to be larger than y" (e.g. new slower).

    Small p: the x sample is systematically above the y sample.
    """
    n, m = len(x), len(y)
    if n == 0 or m == 0:
        raise ValueError("Mann-Whitney needs two non-empty samples")
    u = u_statistic(x, y)
    if n * m <= EXACT_LIMIT and not _has_ties(x, y):
        counts = _u_counts(n, m)
        total = math.comb(n + m, n)
        tail = sum(counts[int(u) :])  # P(U >= u) under H0
        return tail / total
    return _normal_greater(x, y, u)


def _normal_greater(x: list[float], y: list[float], u: float) -> float:
    n, m = len(x), len(y)
    mean = n * m / 2.0
    # Tie correction of the variance: sum over tie groups of (t^3 - t).
    groups: dict[float, int] = {}
    for v in list(x) + list(y):
        groups[v] = groups.get(v, 0) + 1
    big_n = n + m
    tie_term = sum(t**3 - t for t in groups.values())
    var = n * m / 12.0 * ((big_n + 1) - tie_term / (big_n * (big_n - 1)))
    if var <= 0:
        return 1.0 if u <= mean else 0.0
    z = (u - mean - 0.5) / math.sqrt(var)  # continuity correction
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def min_p_value(n: int, m: int) -> float:
    """The smallest one-sided p the exact test can reach with n and m samples.

    With 3 repetitions a side it is 1/20 = 0.05: a significance level below
    that can never be reached, which callers must tell the user about.
    """
    return 1.0 / math.comb(n + m, n)


@dataclass
class ChangeInterval:
    """A relative change (after / before - 1) with its confidence interval."""

    estimate: float
    low: float
    high: float
    level: float  # the interval's actual coverage, e.g. 0.95 (less when too few samples)


def _u_quantile(n: int, m: int, tail: float) -> int:
    """Largest k >= 0 with P(U < k) <= tail under H0 (U of n against m samples)."""
    if n * m <= EXACT_LIMIT:
        counts = _u_counts(n, m)
        total = math.comb(n + m, n)
        k, below = 0, 0
        while k < len(counts) and (below + counts[k]) / total <= tail:
            below += counts[k]
            k += 1
        return k
    # Normal approximation, well inside its accuracy at these sizes.
    z = _normal_quantile(1.0 - tail)
    return max(0, int(math.floor(n * m / 2.0 - z * math.sqrt(n * m * (n + m + 1) / 12.0))))


def _normal_quantile(p: float) -> float:
    lo, hi = -10.0, 10.0
    for _ in range(100):  # bisection on the CDF: plenty for a few digits
        mid = (lo + hi) / 2
        if 0.5 * math.erfc(-mid / math.sqrt(2.0)) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def hodges_lehmann_change(before: list[float], after: list[float],
                          confidence: float = 0.95) -> ChangeInterval:
    """The relative change from `before` to `after` with its confidence interval.

    Works on logarithms, so the shift is a ratio: the estimate is the median of
    all pairwise log(after_j) - log(before_i) (Hodges-Lehmann), and the
    interval runs between the k-th smallest and k-th largest of those
    differences, k from the exact Mann-Whitney distribution (Moses' interval):
    the interval that inverts the same U test the verdicts use, with no
    assumption about the shape of the noise. With few repetitions the level
    asked for may be out of reach (3 against 3 cannot do better than 90%); then
    the interval is the full range of the differences and `level` says what it
    really covers.
    """
    if not before or not after or min(before) <= 0 or min(after) <= 0:
        raise ValueError("the change interval needs two non-empty samples of positive times")
    n, m = len(before), len(after)
    diffs = sorted(math.log(a) - math.log(b) for b in before for a in after)
    mid = len(diffs) // 2
    est = diffs[mid] if len(diffs) % 2 else (diffs[mid - 1] + diffs[mid]) / 2.0
    tail = (1.0 - confidence) / 2.0
    k = _u_quantile(n, m, tail)
    if k == 0:  # out of reach: the whole range, and its real coverage
        k = 1
    total = math.comb(n + m, n) if n * m <= EXACT_LIMIT else None
    if total is not None:
        below = sum(_u_counts(n, m)[:k])  # P(U <= k - 1), once per tail
        level = 1.0 - 2.0 * below / total
    else:
        level = confidence
    low, high = diffs[k - 1], diffs[len(diffs) - k]
    return ChangeInterval(math.exp(est) - 1.0, math.exp(low) - 1.0, math.exp(high) - 1.0, level)


def relative_spread(xs: list[float]) -> float:
    """Half the interquartile-ish range over the median: a robust noise width.

    For few samples (< 4) it falls back to (max - min) / 2 / median.
    """
    if not xs:
        return 0.0
    med = median(xs)
    if med <= 0:
        return 0.0
    s = sorted(xs)
    if len(s) < 4:
        return (s[-1] - s[0]) / 2.0 / med
    q1 = median(s[: len(s) // 2])
    q3 = median(s[(len(s) + 1) // 2 :])
    return (q3 - q1) / 2.0 / med
