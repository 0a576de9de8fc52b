"""Write a scenario to a directory: reports, truth, true networks and a summary."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from maxim.scenario import compose, names
from maxim.scenario.data import world
from maxim.scenario.generate import CORRECTION, DUPLICATE, NEW, Scenario
from maxim.scenario.model import ScenarioSummary
from maxim.scenario.population import Network, Person

PROGRESS_EVERY = 1000


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _member(p: Person) -> dict[str, Any]:
    out: dict[str, Any] = {
        "person_id": p.pid,
        "role": p.role,
        "name": names.canonical_name(p.culture, p.family, p.given),
        "birthDate": p.birth_date,
        "gender": p.gender,
        "nationality": p.culture.nationality,
        "is_child": p.is_child,
    }
    if p.age_disputed:
        out["age_disputed"] = True
        out["claimed_birthDate"] = p.claimed_birth_date
    if p.alias:
        out["alias"] = p.alias
    if p.phone:
        out["phone"] = p.phone
    if p.passport:
        out["passportNumber"] = p.passport
    if p.address:
        out["address"] = p.address.full
    return out


def network_record(net: Network) -> dict[str, Any]:
    """A true network with its planted harm facts."""
    return {
        "id": net.nid,
        "kind": net.kind,
        "planted_most_harmful": net.planted,
        "nim_level": net.nim_level,
        "home_borough": f"BOCU-{world().boroughs[net.borough_index].code}",
        "harm": {
            "members": len(net.members),
            "suspects": len(net.suspects),
            "victims": sum(1 for p in net.exploited if p.role == "victim"),
            "exploited": len(net.exploited),
            "child_victims": net.child_victims,
            "violence": net.violence,
            "weapons": net.weapons,
        },
        "shared_phone": net.shared_phone,
        "family_pairs": [[a.pid, b.pid, rel] for a, b, rel in net.family_pairs],
        "premises": [{"full": a.full, "use": a.use} for a in net.premises],
        "vehicles": [{"vrm": v.vrm, "model": v.model, "owner": v.owner.pid} for v in net.vehicles],
        "accounts": [
            {
                "iban": a.iban,
                "sort_code": a.sort_code,
                "accountNumber": a.number,
                "bankName": a.bank,
                "holder": a.holder.pid,
            }
            for a in net.accounts
        ],
        "companies": [{"name": c.name, "owner": c.owner.pid} for c in net.companies],
        "members": [_member(p) for p in net.members],
    }


def _rate(stats: Counter[str], hit: str, base: str) -> float:
    return round(stats[hit] / stats[base], 4) if stats[base] else 0.0


def variant_rates(stats: Counter[str]) -> dict[str, float]:
    """Realised rates, each over the mentions where the variation was possible."""
    return {
        "translit": _rate(stats, "translit", "translit_eligible"),
        "diacritics_dropped": _rate(stats, "diacritics_dropped", "diacritics_eligible"),
        "nickname": _rate(stats, "nickname", "nickname_eligible"),
        "swapped_order": _rate(stats, "swapped_order", "person_mentions"),
        "typo": _rate(stats, "typo", "person_mentions"),
        "alias": _rate(stats, "alias", "alias_eligible"),
        "dob_missing": _rate(stats, "dob_missing", "person_mentions"),
        "dob_partial": _rate(stats, "dob_partial", "person_mentions"),
        "dob_full": _rate(stats, "dob_full", "person_mentions"),
    }


def intended_rates() -> dict[str, float]:
    """The module constants the realised rates should approach."""
    return {
        "translit": names.TRANSLIT_RATE,
        "diacritics_dropped": names.DIACRITIC_DROP_RATE,
        "nickname": names.NICKNAME_RATE,
        "swapped_order": names.SWAP_ORDER_RATE,
        "typo": names.TYPO_RATE,
        "alias": compose.ALIAS_MENTION_RATE,
        "dob_missing": compose.DOB_MISSING_RATE,
        "dob_partial": round(compose.DOB_YEAR_RATE + compose.DOB_YEAR_MONTH_RATE, 4),
        "dob_full": round(1 - compose.DOB_MISSING_RATE - compose.DOB_YEAR_RATE - compose.DOB_YEAR_MONTH_RATE, 4),
    }


def write_scenario(
    out_dir: Path,
    *,
    seed: int = 1,
    reports: int = 1000,
    progress: Callable[[int], None] | None = None,
) -> ScenarioSummary:
    """Write reports.jsonl, truth.jsonl, networks.json and summary.json into `out_dir`.

    `progress` is called with the number of reports written since its last call (as ingest's is).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    sc = Scenario(seed, reports)
    by_kind: Counter[str] = Counter()
    by_originator: Counter[str] = Counter()
    statements = mentions = truth_rows = 0
    with (
        (out_dir / "reports.jsonl").open("w", encoding="utf-8", newline="\n") as rf,
        (out_dir / "truth.jsonl").open("w", encoding="utf-8", newline="\n") as tf,
    ):
        for n, (report, truth, flag) in enumerate(sc.stream(), start=1):
            rf.write(_dumps(report))
            rf.write("\n")
            by_kind[report["kind"]] += 1
            by_originator[report["originator"]] += 1
            for ent in report["entities"]:
                for values in ent["properties"].values():
                    statements += len(values)
            mentions += len(truth)
            if flag == NEW:
                for row in truth:
                    tf.write(_dumps(row.as_dict()))
                    tf.write("\n")
                truth_rows += len(truth)
            if progress is not None and n % PROGRESS_EVERY == 0:
                progress(PROGRESS_EVERY)
    if progress is not None and reports % PROGRESS_EVERY:
        progress(reports % PROGRESS_EVERY)
    pop = sc.population
    with (out_dir / "networks.json").open("w", encoding="utf-8", newline="\n") as nf:
        json.dump([network_record(x) for x in pop.networks], nf, ensure_ascii=False, indent=1)
        nf.write("\n")
    stats = sc.stats
    counts = {k: stats[k] for k in sorted(stats)}
    counts["phone_pool_reused"] = pop.factory.phone_reused
    counts["networks_with_child_victims"] = sum(1 for x in pop.networks if x.child_victims)
    summary = ScenarioSummary(
        seed=seed,
        reports=reports,
        unique_reports=sc.counts[NEW],
        corrections=sc.counts[CORRECTION],
        duplicates=sc.counts[DUPLICATE],
        statements=statements,
        person_mentions=mentions,
        truth_rows=truth_rows,
        persons=len(sc.composer.mentioned) + stats["bystanders"],
        networks=len(pop.networks),
        by_kind=dict(sorted(by_kind.items())),
        by_originator=dict(sorted(by_originator.items())),
        rates=variant_rates(stats),
        counts=counts,
    )
    with (out_dir / "summary.json").open("w", encoding="utf-8", newline="\n") as sf:
        out = summary.as_dict()
        out["intended_rates"] = intended_rates()
        json.dump(out, sf, ensure_ascii=False, indent=1, sort_keys=True)
        sf.write("\n")
    return summary
