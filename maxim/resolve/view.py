"""The canonical view: a merged entity with every value, where each came from, and its spellings.

Read only through `DataAccess`: values, mentions and judgements the reader may not see are left out.
"""

from __future__ import annotations

from typing import Any

from maxim.store.access import DataAccess
from maxim.store.resolution_access import ResolutionAccess


def canonical_view(access: DataAccess, entity_id: str) -> dict[str, Any] | None:
    """`entity_id` may be a mention or a canonical id; None if unknown or not visible.

    A mention the reader may not see gets None even when other members of its nominal are
    visible: answering would tell the reader which nominal a hidden mention belongs to. The
    judgement history keeps only judgements whose both mentions the reader may see.
    """
    res = ResolutionAccess(access)
    link = res.links([entity_id]).get(entity_id)
    if link is not None and not res.visible_entities([entity_id]):
        return None
    canonical = link["canonical_id"] if link else entity_id
    members = res.members([canonical])
    visible = sorted(res.visible_entities(members))
    if not visible:
        return None
    mentions = []
    values: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for mid in visible:
        found = access.entity(mid)  # audited consultation, with grading per statement
        if found is None:
            continue
        mentions.append(
            {
                "id": mid,
                "caption": found["caption"],
                "schema": found["schema"],
                "origin": members[mid]["origin"],
                "match_probability": members[mid]["match_probability"],
                "note": members[mid]["note"],
            }
        )
        for s in found["statements"]:
            values.setdefault(s["prop"], {}).setdefault(s["value"], []).append(
                {
                    "mention_id": mid,
                    "report_id": s["report_id"],
                    "originator": s["originator"],
                    "reference": s["reference"],
                    "original_value": s["original_value"],
                    "grading": f"{s['source_evaluation']}{s['intelligence_assessment']}{s['handling_code']}",
                }
            )
    names = sorted(values.get("name", {}))
    return {
        "canonical_id": canonical,
        "caption": names[0] if names else (mentions[0]["caption"] if mentions else canonical),
        "mentions": mentions,
        "alternative_spellings": names,
        "values": {
            prop: [{"value": v, "sources": src} for v, src in sorted(vals.items())]
            for prop, vals in sorted(values.items())
        },
        "judgements": [
            {k: (str(v) if k.endswith("_at") and v is not None else v) for k, v in j.items()}
            for j in res.judgement_history(visible)
        ],
    }
