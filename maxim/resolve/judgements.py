"""Analyst judgements: same / not same / unsure, checked for contradictions. Pure core.

A judgement is about two mentions. Current "same" judgements join mentions transitively;
a new judgement that would put a "not same" pair into one group is refused, naming every
judgement that makes the contradiction (the chain of "same" and the "not same").
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from maxim.domain.errors import FieldError, ValidationFailed
from maxim.store.resolution_access import JudgementRow, ResolutionAccess

JUDGEMENTS = ("same", "not_same", "unsure")


@dataclass(frozen=True, slots=True)
class Conflict(Exception):
    """A judgement contradicts others; `judgements` are the ids of those it contradicts."""

    message: str
    judgements: tuple[int, ...]

    def __str__(self) -> str:
        return self.message


def pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def _same_path(same: Sequence[JudgementRow], start: str, goal: str) -> list[JudgementRow] | None:
    """The chain of "same" judgements linking start to goal, if any (breadth-first)."""
    graph: dict[str, list[tuple[str, JudgementRow]]] = {}
    for j in same:
        graph.setdefault(j.left_id, []).append((j.right_id, j))
        graph.setdefault(j.right_id, []).append((j.left_id, j))
    previous: dict[str, tuple[str, JudgementRow] | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            path: list[JudgementRow] = []
            step = previous[node]
            while step is not None:
                path.append(step[1])
                step = previous[step[0]]
            return list(reversed(path))
        for nxt, j in graph.get(node, []):
            if nxt not in previous:
                previous[nxt] = (node, j)
                queue.append(nxt)
    return None


def _describe(j: JudgementRow) -> str:
    word = {"same": "=", "not_same": "≠"}.get(j.judgement, "?")
    return f"#{j.id} {j.left_id} {word} {j.right_id} by {j.username}"


def check(current: Sequence[JudgementRow], left: str, right: str, judgement: str) -> None:
    """Raise `ValidationFailed` for bad input, `Conflict` if the judgement contradicts others."""
    errors = []
    if judgement not in JUDGEMENTS:
        errors.append(FieldError("judgement", f"must be one of {', '.join(JUDGEMENTS)}"))
    if left == right:
        errors.append(FieldError("right_id", "must differ from left_id"))
    if errors:
        raise ValidationFailed(errors)
    key = pair(left, right)
    # The pair's own current judgement is being revisited: it does not count against itself.
    others = [j for j in current if pair(j.left_id, j.right_id) != key]
    same = [j for j in others if j.judgement == "same"]
    not_same = [j for j in others if j.judgement == "not_same"]
    if judgement == "not_same":
        path = _same_path(same, left, right)
        if path:
            raise Conflict(
                f"{left} and {right} are already judged the same person through "
                + "; ".join(_describe(j) for j in path)
                + ". Supersede one of those judgements first.",
                tuple(j.id for j in path),
            )
    if judgement == "same":
        for ns in not_same:
            a, b = ns.left_id, ns.right_id
            for x, y in ((a, b), (b, a)):
                to_left = [] if x == left else _same_path(same, x, left)
                to_right = [] if y == right else _same_path(same, y, right)
                if to_left is not None and to_right is not None:
                    chain = [*to_left, *to_right]
                    raise Conflict(
                        f"judging {left} and {right} the same would join {a} and {b}, judged not the "
                        f"same person in {_describe(ns)}"
                        + (" (linked by " + "; ".join(_describe(j) for j in chain) + ")" if chain else "")
                        + ". Supersede one of those judgements first.",
                        (ns.id, *(j.id for j in chain)),
                    )


@dataclass(frozen=True, slots=True)
class Recorded:
    judgement_id: int
    left_canonical: str | None
    right_canonical: str | None


def record_judgement(access: Any, left_id: str, right_id: str, judgement: str, reason: str | None = None) -> Recorded:
    """Check, append and apply a judgement: the affected clusters are re-formed at once.

    Both ids must be Person mentions the actor may see (a canonical id stands for its first
    member). The model's stored pairs are re-clustered with every current judgement, so the
    judgement takes effect now and again in every later run.
    """
    from maxim.resolve.cluster import cluster
    from maxim.resolve.run import DEFAULT_THRESHOLD, link_row, load_features, merged_canonicals

    res = ResolutionAccess(access)
    left_id, right_id = _mention(res, left_id, "left_id"), _mention(res, right_id, "right_id")
    current = res.current_judgements()
    check(current, left_id, right_id, judgement)
    a, b = pair(left_id, right_id)
    new_id = res.append_judgement(a, b, judgement, reason)
    links = res.links([a, b])
    canon = {links[m]["canonical_id"] for m in (a, b) if m in links}
    members = set(res.members(canon)) | {a, b}
    mentions = load_features(res, sorted(members))
    latest = res.latest_run()
    threshold = float(latest["settings"].get("threshold", DEFAULT_THRESHOLD)) if latest else DEFAULT_THRESHOLD
    run_id = latest["id"] if latest else None
    now_current = res.current_judgements()
    same = [(j.left_id, j.right_id) for j in now_current if j.judgement == "same"]
    not_same = [(j.left_id, j.right_id) for j in now_current if j.judgement == "not_same"]
    assignments = cluster(mentions, res.edges_among(mentions), threshold=threshold, same=same, not_same=not_same)
    if run_id is not None:
        res.replace_links(
            [link_row(x, run_id) for x in assignments],
            merged_canonicals(assignments) if judgement == "same" else [],
            f"re-clustered after judgement {new_id}",
        )
    after = {x.mention_id: x.canonical_id for x in assignments}
    return Recorded(new_id, after.get(a), after.get(b))


def _mention(res: ResolutionAccess, entity_id: str, field: str) -> str:
    if entity_id not in res.visible_entities([entity_id]):
        members = sorted(res.members([entity_id]))
        visible = sorted(res.visible_entities(members))
        if not visible:
            raise ValidationFailed([FieldError(field, "is not a Person mention or canonical entity you can see")])
        return visible[0]
    return entity_id
