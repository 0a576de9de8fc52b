"""A harm score, MoRiLE-style, with its breakdown: what `maxim.network.harm` computes for every
network and nominal, what the store keeps and what every view shows.

Sections (DOMAIN §4.2): **harm** (physical, psychological, financial, community and environment,
victim vulnerability; times a geographic-scope multiplier), **likelihood** (recency and
frequency, 1..5), **confidence** (from the 3x5x2 grading of the reports behind it) and
**organisational position** (opportunity: actionable leads). Weights are in
`maxim/reference/harm.yaml`. Every factor says what it counted, the points it gave, why, and the
reports behind it, so a tasking group can check a score against the intelligence.

    priority = harm x geographic scope x likelihood / 5 x confidence factor x opportunity
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

MAX_CITED = 20  # reports cited per factor (the first in id order), so a breakdown stays readable


@dataclass(frozen=True, slots=True)
class Factor:
    section: str
    code: str
    count: float
    points: float
    reason: str
    reports: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Score:
    subject: str
    priority: float
    harm: float
    geographic_scope: str
    scope_multiplier: float
    likelihood: float
    confidence: str
    confidence_factor: float
    opportunity: float
    method: str
    factors: tuple[Factor, ...]

    def breakdown(self) -> dict[str, Any]:
        out = asdict(self)
        out["factors"] = [asdict(f) for f in self.factors]
        return out
