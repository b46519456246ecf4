"""The pure-Python Mann-Whitney U test against brute force and known values."""

import itertools
import math
import random
import unittest

import script_runner  # noqa: F401  (puts scripts/lib on the path)
from noise_stats import (hodges_lehmann_change, mann_whitney_greater, median, min_p_value,
                         relative_spread, u_statistic)


def brute_force_p(x, y):
    """P(U >= observed) over every way of splitting the pooled values."""
    pooled = list(x) + list(y)
    observed = u_statistic(x, y)
    hits = total = 0
    for idx in itertools.combinations(range(len(pooled)), len(x)):
        xs = [pooled[i] for i in idx]
        ys = [pooled[i] for i in range(len(pooled)) if i not in idx]
        total += 1
        hits += u_statistic(xs, ys) >= observed
    return hits / total


class MannWhitneyTest(unittest.TestCase):
    def test_complete_separation_reaches_the_smallest_p(self):
        self.assertAlmostEqual(mann_whitney_greater([4, 5, 6], [1, 2, 3]), 1 / 20)
        self.assertAlmostEqual(mann_whitney_greater([1, 2, 3], [4, 5, 6]), 1.0)
        self.assertAlmostEqual(min_p_value(3, 3), 1 / 20)
        self.assertAlmostEqual(min_p_value(10, 10), 1 / math.comb(20, 10))

    def test_exact_distribution_matches_brute_force(self):
        rng = random.Random(7)
        for n, m in [(2, 3), (4, 4), (3, 6), (5, 5)]:
            for _ in range(6):
                x = [rng.random() + 0.2 * rng.random() for _ in range(n)]
                y = [rng.random() for _ in range(m)]
                self.assertAlmostEqual(mann_whitney_greater(x, y), brute_force_p(x, y), places=12)

    def test_normal_approximation_is_close_to_exact_for_larger_samples(self):
        rng = random.Random(3)
        x = [rng.gauss(1.0, 1) for _ in range(12)]
        y = [rng.gauss(0.3, 1) for _ in range(12)]
        exact = mann_whitney_greater(x, y)
        # 144 pairs is under EXACT_LIMIT: force the approximation for comparison
        import noise_stats
        saved = noise_stats.EXACT_LIMIT
        noise_stats.EXACT_LIMIT = 0
        try:
            approx = mann_whitney_greater(x, y)
        finally:
            noise_stats.EXACT_LIMIT = saved
        self.assertLess(abs(exact - approx), 0.01)

    def test_ties_use_the_corrected_approximation(self):
        p = mann_whitney_greater([1, 1, 2, 2], [1, 1, 2, 2])
        self.assertGreater(p, 0.3)
        self.assertLessEqual(p, 1.0)
        self.assertLess(mann_whitney_greater([5, 5, 5, 5, 6, 6], [1, 1, 1, 2, 2, 2]), 0.01)

    def test_shift_is_detected_and_no_shift_is_not(self):
        rng = random.Random(11)
        base = [10 * (1 + rng.gauss(0, 0.02)) for _ in range(10)]
        slower = [11 * (1 + rng.gauss(0, 0.02)) for _ in range(10)]
        same = [10 * (1 + rng.gauss(0, 0.02)) for _ in range(10)]
        self.assertLess(mann_whitney_greater(slower, base), 0.001)
        self.assertGreater(mann_whitney_greater(same, base), 0.01)

    def test_empty_sample_is_an_error(self):
        with self.assertRaises(ValueError):
            mann_whitney_greater([], [1.0])


class SmallStatsTest(unittest.TestCase):
    def test_median(self):
        self.assertEqual(median([3, 1, 2]), 2)
        self.assertEqual(median([4, 1, 2, 3]), 2.5)
        with self.assertRaises(ValueError):
            median([])

    def test_relative_spread(self):
        self.assertEqual(relative_spread([5, 5, 5, 5]), 0.0)
        self.assertAlmostEqual(relative_spread([9, 10, 11]), 0.1)
        # quartile-based: two wild repetitions do not widen the noise band
        self.assertEqual(relative_spread([1, 10, 10, 10, 10, 30]), 0.0)
        self.assertAlmostEqual(relative_spread([8, 9, 11, 12]), 0.15)



class ChangeIntervalTest(unittest.TestCase):
    def test_estimate_is_the_median_pairwise_ratio(self):
        c = hodges_lehmann_change([10, 10, 10, 10, 10], [12, 12, 12, 12, 12])
        self.assertAlmostEqual(c.estimate, 0.2)
        self.assertAlmostEqual(c.low, 0.2)
        self.assertAlmostEqual(c.high, 0.2)

    def test_few_repetitions_give_the_full_range_at_its_real_level(self):
        c = hodges_lehmann_change([1.0, 1.1, 0.9], [2.0, 2.1, 1.9])
        self.assertAlmostEqual(c.level, 0.9)  # 1 - 2/20: 3 against 3 cannot do 95%
        self.assertAlmostEqual(c.low, 1.9 / 1.1 - 1)
        self.assertAlmostEqual(c.high, 2.1 / 0.9 - 1)

    def test_coverage_matches_the_stated_level(self):
        # Same distribution on both sides: the interval must hold 0 as often
        # as it says (within sampling error of 2,000 trials).
        rng = random.Random(7)
        for n in (5, 11):
            misses = 0
            for _ in range(2000):
                a = [rng.lognormvariate(0, 0.1) for _ in range(n)]
                b = [rng.lognormvariate(0, 0.1) for _ in range(n)]
                c = hodges_lehmann_change(a, b)
                misses += not (c.low <= 0.0 <= c.high)
            self.assertGreaterEqual(c.level, 0.95)
            self.assertLess(misses / 2000, (1 - c.level) + 0.015, n)

    def test_a_real_shift_is_inside_and_no_change_outside(self):
        rng = random.Random(3)
        a = [10 * rng.lognormvariate(0, 0.02) for _ in range(10)]
        b = [13 * rng.lognormvariate(0, 0.02) for _ in range(10)]
        c = hodges_lehmann_change(a, b)
        self.assertLess(c.low, 0.3)
        self.assertGreater(c.high, 0.3)
        self.assertGreater(c.low, 0.0)

    def test_needs_positive_samples(self):
        with self.assertRaises(ValueError):
            hodges_lehmann_change([], [1.0])
        with self.assertRaises(ValueError):
            hodges_lehmann_change([0.0, 1.0], [1.0])


if __name__ == "__main__":
    unittest.main()
