#!/usr/bin/python3
"""Computes the reference numbers of tests/unit/numeric/test_sample_stats.cpp with SciPy.

Run once (Debian: python3-scipy); the printed numbers are committed in the test, which
checks HalfLab's Boost.Math-based statistics against them.
"""
import numpy as np
from scipy import stats

samples = {
    "fp32": [0.8512, 0.8467, 0.8558, 0.8493, 0.8531],
    "fp16": [0.8498, 0.8440, 0.8571, 0.8476, 0.8519],
    "bf16": [0.8391, 0.8422, 0.8367, 0.8405, 0.8380, 0.8412],
    "tiny": [1.0, 2.0],
}

for name, v in samples.items():
    a = np.array(v)
    m, sd = a.mean(), a.std(ddof=1)
    lo, hi = stats.t.interval(0.95, len(a) - 1, loc=m, scale=sd / np.sqrt(len(a)))
    print(f"{name}: n={len(a)} mean={m:.17g} sd={sd:.17g} ci=({lo:.17g}, {hi:.17g})")

for base, other in [("fp32", "fp16"), ("fp32", "bf16"), ("tiny", "fp32")]:
    a, b = np.array(samples[base]), np.array(samples[other])
    r = stats.ttest_ind(b, a, equal_var=False)
    qa, qb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    df = (qa + qb) ** 2 / (qa ** 2 / (len(a) - 1) + qb ** 2 / (len(b) - 1))
    half = stats.t.ppf(0.975, df) * np.sqrt(qa + qb)
    print(f"{other} vs {base}: diff={b.mean() - a.mean():.17g} t={r.statistic:.17g} "
          f"df={df:.17g} p={r.pvalue:.17g} half={half:.17g}")
