"""Quality of a clustering against ground truth: pairwise and B-cubed. Pure."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def scores(predicted: Mapping[str, str], truth: Mapping[str, str]) -> dict[str, float]:
    """Pairwise precision/recall/F1 and B-cubed precision/recall/F1 over the mentions in both."""
    ids = [m for m in predicted if m in truth]
    joint = Counter((predicted[m], truth[m]) for m in ids)
    pred_sizes = Counter(predicted[m] for m in ids)
    true_sizes = Counter(truth[m] for m in ids)
    tp = sum(_pairs(n) for n in joint.values())
    pred_pairs = sum(_pairs(n) for n in pred_sizes.values())
    true_pairs = sum(_pairs(n) for n in true_sizes.values())
    precision = tp / pred_pairs if pred_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    by_pred: dict[str, Counter[str]] = defaultdict(Counter)
    for (p, t), n in joint.items():
        by_pred[p][t] += n
    bp = br = 0.0
    for (p, t), n in joint.items():
        bp += n * n / pred_sizes[p]
        br += n * n / true_sizes[t]
    total = len(ids) or 1
    bp, br = bp / total, br / total
    bf1 = 2 * bp * br / (bp + br) if bp + br else 0.0
    return {
        "pairwise_precision": precision,
        "pairwise_recall": recall,
        "pairwise_f1": f1,
        "bcubed_precision": bp,
        "bcubed_recall": br,
        "bcubed_f1": bf1,
        "mentions": float(len(ids)),
        "predicted_clusters": float(len(pred_sizes)),
        "true_clusters": float(len(true_sizes)),
    }
