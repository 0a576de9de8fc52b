"""Agreement of found networks with ground truth: adjusted Rand index over Person mentions. Pure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping


def _comb2(n: int) -> float:
    return n * (n - 1) / 2


def adjusted_rand_index(predicted: Mapping[str, str], truth: Mapping[str, str]) -> float:
    """ARI (Hubert and Arabie) of two labellings of the same items (the items both label)."""
    items = [i for i in predicted if i in truth]
    n = len(items)
    if n < 2:
        return 1.0
    joint = Counter((predicted[i], truth[i]) for i in items)
    a = Counter(predicted[i] for i in items)
    b = Counter(truth[i] for i in items)
    index = sum(_comb2(v) for v in joint.values())
    sum_a = sum(_comb2(v) for v in a.values())
    sum_b = sum(_comb2(v) for v in b.values())
    expected = sum_a * sum_b / _comb2(n)
    maximum = (sum_a + sum_b) / 2
    if maximum == expected:
        return 1.0
    return (index - expected) / (maximum - expected)
