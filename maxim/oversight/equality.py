"""Equality monitoring (section C of the 2006 report). Pure.

OIC targets newer communities "both as victims and as a result of perpetrators in their midst"
(C.2). The committee must be able to see whether one group is recorded as suspects far more
often than it appears among victims or among everyone the reports name, because that is where
stereotyping in recording would show. The flags are for scrutiny by people: nothing here is, or
may become, an input to scoring or routing (routing refuses rules naming these fields,
`maxim.route.facts.PROTECTED_FIELDS`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

UNRECORDED = "not recorded"


@dataclass(frozen=True, slots=True)
class GroupRow:
    group: str
    suspects: int
    victims: int
    everyone: int
    suspects_previous: int
    victims_previous: int
    suspect_share: float
    victim_share: float
    everyone_share: float
    ratio_to_victims: float | None
    ratio_to_everyone: float | None
    flagged: bool
    reason: str | None


def counts_by(rows: Iterable[Mapping[str, Any]], category: str | None) -> Counter[str]:
    """Rows of (category, value, n) -> n per value, for one data-subject category (None: all)."""
    out: Counter[str] = Counter()
    for row in rows:
        if category is None or row["category"] == category:
            out[str(row["value"])] += int(row["n"])
    return out


def monitoring_counts(facts_rows: Iterable[Mapping[str, Any]], key: str) -> Counter[str]:
    """Victims' self-defined values from referral facts' `monitoring` (e.g. victim_nationalities)."""
    out: Counter[str] = Counter()
    for row in facts_rows:
        facts = row.get("facts") or {}
        for value in (facts.get("monitoring") or {}).get(key) or ():
            out[str(value)] += 1
    return out


def _share(n: int, total: int) -> float:
    return n / total if total else 0.0


def compare(
    suspects: Mapping[str, int],
    victims: Mapping[str, int],
    everyone: Mapping[str, int],
    suspects_previous: Mapping[str, int],
    victims_previous: Mapping[str, int],
    *,
    ratio: float,
    min_count: int,
) -> list[GroupRow]:
    """One row per group: counts, shares, change on the previous period, and a flag with its reason.

    A group is flagged when at least `min_count` suspects belong to it and its share of suspects
    is at least `ratio` times its share of victims, or of everyone named in reports.
    """
    s_total, v_total, e_total = sum(suspects.values()), sum(victims.values()), sum(everyone.values())
    groups = sorted(set(suspects) | set(victims) | set(everyone), key=lambda g: (-suspects.get(g, 0), g))
    rows = []
    for g in groups:
        s, v, e = suspects.get(g, 0), victims.get(g, 0), everyone.get(g, 0)
        ss, vs, es = _share(s, s_total), _share(v, v_total), _share(e, e_total)
        r_v = ss / vs if vs else None
        r_e = ss / es if es else None
        reasons = []
        if s >= min_count:
            if v_total and (vs == 0 or (r_v is not None and r_v >= ratio)):
                reasons.append(f"{ss:.0%} of suspects but {vs:.0%} of victims" + (f" ({r_v:.1f}\u00d7)" if r_v else ""))
            if r_e is not None and r_e >= ratio:
                reasons.append(f"{ss:.0%} of suspects but {es:.0%} of everyone named in reports ({r_e:.1f}\u00d7)")
        rows.append(
            GroupRow(
                group=g,
                suspects=s,
                victims=v,
                everyone=e,
                suspects_previous=suspects_previous.get(g, 0),
                victims_previous=victims_previous.get(g, 0),
                suspect_share=ss,
                victim_share=vs,
                everyone_share=es,
                ratio_to_victims=r_v,
                ratio_to_everyone=r_e,
                flagged=bool(reasons),
                reason="; ".join(reasons) or None,
            )
        )
    return rows
