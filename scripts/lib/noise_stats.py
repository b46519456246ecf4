"""Small statistics for noisy timings: median and the Mann-Whitney U test.

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
