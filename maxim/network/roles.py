"""Roles of nominals, inferred only where the evidence says so. Pure.

- `victim`: named as a victim (data-subject category) in a report;
- `controller`: the subject of an `UnknownLink` whose role is "controls", or named with
  controlling words in a sentence;
- `money_handler`: payer or beneficiary of a payment, owner of a bank account, or named with
  money words; `transporter`: owner or user of a vehicle, or named with driving words;
- `recruiter`, `document_forger`, `enforcer`: named with their words (harm.yaml `roles`).

Offender roles need the person to be reported as something other than a victim. Each role
carries the report and the reason, so an analyst can check it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from maxim.network.fold import PERSON, Folded
from maxim.network.model import ReportInfo
from maxim.network.sentences import SENTENCE, named_by_sentence


def infer_roles(
    folded: Folded, reports: Mapping[str, ReportInfo], keywords: Mapping[str, tuple[str, ...]]
) -> dict[str, list[dict[str, str]]]:
    found: dict[str, dict[str, dict[str, str]]] = defaultdict(dict)  # node -> role -> first evidence
    offender: set[str] = set()
    by_report = defaultdict(list)
    for m in folded.mentions:
        by_report[m.report_id].append(m)
        if "victim" in m.categories:
            found[m.node].setdefault("victim", {"report_id": m.report_id, "reason": "named as a victim"})
        elif m.categories:
            offender.add(m.node)

    def add(node: str, role: str, rid: str, reason: str) -> None:
        found[node].setdefault(role, {"report_id": rid, "reason": reason})

    kinds = folded.kinds
    for a, b, relation, rid in folded.records:
        if kinds.get(a) != PERSON:
            continue
        if relation.startswith("UnknownLink") and "control" in relation:
            add(a, "controller", rid, f"{relation} link to another person")
        elif relation.startswith("Payment"):
            add(a, "money_handler", rid, "party to a payment")
            if kinds.get(b) == PERSON:
                add(b, "money_handler", rid, "party to a payment")
        elif relation.startswith("Ownership") and kinds.get(b) == "account":
            add(a, "money_handler", rid, "owns a bank account")
        elif relation.startswith("Ownership") and kinds.get(b) == "vehicle":
            add(a, "transporter", rid, "owns or uses a vehicle")
    for rid, mentions in by_report.items():
        report = reports.get(rid)
        if report is None:
            continue
        names = [
            (m.node, [n.casefold() for n in m.names if len(n) > 2]) for m in mentions if "victim" not in m.categories
        ]
        given = SENTENCE.split(report.text)
        lows = [sentence.casefold() for sentence in given]
        for sentence, low, named_at in zip(given, lows, named_by_sentence(lows, [ns for _n, ns in names]), strict=True):
            named = [names[i][0] for i in named_at]
            if len(named) != 1:  # attribute only when the sentence names exactly one person
                continue
            for role, words in keywords.items():
                hit = next((w for w in words if w in low), None)
                if hit:
                    add(named[0], role, rid, f'"{sentence.strip()[:160]}"')
    out: dict[str, list[dict[str, str]]] = {}
    for node, roles in found.items():
        keep = [{"role": r, **e} for r, e in sorted(roles.items()) if r == "victim" or node in offender]
        if keep:
            out[node] = keep
    return out
