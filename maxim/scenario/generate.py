"""Play the scenario out as a stream of reports, deterministic from the seed."""

from __future__ import annotations

import heapq
import random
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from maxim.scenario.compose import Composer
from maxim.scenario.model import TruthRow
from maxim.scenario.population import Population, build_population

CORRECTION_RATE = 0.02  # reports later resubmitted as a corrected version (same key)
DUPLICATE_RATE = 0.01  # reports later resubmitted unchanged
RESUBMIT_WITHIN = 50  # a resubmission follows within this many reports

_CORRECTIONS = (
    "Update: subject's details confirmed by the originating officer.",
    "Correction: previous version recorded the wrong date of the sighting.",
    "Amended: further enquiries made; no change to the assessment.",
    "Correction: premises description updated following a visit.",
)

NEW, CORRECTION, DUPLICATE = "new", "correction", "duplicate"


class Scenario:
    """The generator with its counters; `iter_scenario` is the public face of it."""

    def __init__(self, seed: int, reports: int) -> None:
        if reports < 1:
            raise ValueError("reports must be at least 1")
        self.seed = seed
        self.reports = reports
        self.rng = random.Random(seed)
        self.population: Population = build_population(self.rng, reports)
        self.composer = Composer(self.rng, self.population)
        self.counts: Counter[str] = Counter()

    @property
    def stats(self) -> Counter[str]:
        merged = Counter(self.composer.stats)
        merged.update(self.population.factory.stats)
        return merged

    def stream(self) -> Iterator[tuple[dict[str, Any], list[TruthRow], str]]:
        rng = self.rng
        pending: list[tuple[int, int, dict[str, Any], list[TruthRow], str]] = []
        order = 0
        for i in range(self.reports):
            if pending and pending[0][0] <= i:
                _, _, report, truth, flag = heapq.heappop(pending)
            else:
                report, truth = self.composer.compose()
                flag = NEW
                x = rng.random()
                if x < CORRECTION_RATE:
                    order += 1
                    due = i + rng.randint(1, RESUBMIT_WITHIN)
                    heapq.heappush(pending, (due, order, _corrected(rng, report), truth, CORRECTION))
                elif x < CORRECTION_RATE + DUPLICATE_RATE:
                    order += 1
                    due = i + rng.randint(1, RESUBMIT_WITHIN)
                    heapq.heappush(pending, (due, order, report, truth, DUPLICATE))
            self.counts[flag] += 1
            yield report, truth, flag


def _corrected(rng: random.Random, report: dict[str, Any]) -> dict[str, Any]:
    new = dict(report)
    received = datetime.strptime(report["received_at"], "%Y-%m-%dT%H:%M:%SZ")
    later = received + timedelta(days=rng.randint(1, 10), seconds=rng.randrange(86400))
    new["received_at"] = later.strftime("%Y-%m-%dT%H:%M:%SZ")
    new["text"] = f"{report['text']} {rng.choice(_CORRECTIONS)}"
    return new


def iter_scenario(seed: int, reports: int) -> Iterator[tuple[dict[str, Any], list[TruthRow]]]:
    """Yield `reports` reports (intake format) with the truth rows of their Person mentions.

    Corrected versions and exact duplicates carry the same Person local ids, and so the
    same truth rows, as the report they resubmit.
    """
    for report, truth, _flag in Scenario(seed, reports).stream():
        yield report, truth
