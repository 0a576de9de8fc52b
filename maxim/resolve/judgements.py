"""Analyst judgements: same / not same / unsure, checked for contradictions, applied at once.

A judgement is about two mentions of one kind: two people, two vehicles, two addresses or two
organisations (a Company and an Organization may be one). Current "same" judgements join mentions
transitively; a new judgement that would put a "not same" pair into one group is refused, naming
every judgement that makes the contradiction (the chain of "same" and the "not same") that the
reader may see whole. The others are still counted, as "a judgement you cannot see": the refusal
must hold, but a judgement on a mention outside the reader's need-to-know must not name it, nor
who judged it.

A recorded judgement re-forms the clusters of its two mentions straight away with the same
clustering the batch run uses for their kind (Splink's pairs for people, the identifier rules of
`maxim.resolve.identified` for the rest), so the analyst sees its effect now, not after the
next `maxim resolve`; the stored networks around those mentions' reports are updated with it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Sequence, Set
from dataclasses import dataclass

from maxim.domain.errors import FieldError, ValidationFailed
from maxim.resolve.cluster import Assignment
from maxim.resolve.identified import FAMILIES, identified_mentions, link
from maxim.store.access import DataAccess
from maxim.store.network_access import update_networks_for_mentions
from maxim.store.resolution_access import JudgementRow, ResolutionAccess

JUDGEMENTS = ("same", "not_same", "unsure")
PERSON = "Person"
#: Schema -> the kind of thing its mentions are, as messages say it; one kind is judged together.
KINDS = {PERSON: "person", **FAMILIES}
RESOLVED_SCHEMATA = tuple(KINDS)
HIDDEN = "a judgement you cannot see"

#: Which of some mention ids the reader may see (`ResolutionAccess.visible_entities`).
Visibility = Callable[[Iterable[str]], Set[str]]


@dataclass(frozen=True, slots=True)
class Conflict(Exception):
    """A judgement contradicts others.

    `judgements` are the ids of the contradicted judgements the reader may see whole; `hidden`
    counts the others, which the message mentions without naming.
    """

    message: str
    judgements: tuple[int, ...]
    hidden: int = 0

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


def _everything(ids: Iterable[str]) -> Set[str]:
    return set(ids)


class _Named:
    """Describes judgements for one reader: in full if both mentions are visible, else unnamed."""

    def __init__(self, rows: Iterable[JudgementRow], visible: Visibility) -> None:
        self.seen = visible({m for j in rows for m in (j.left_id, j.right_id)})
        self.hidden = 0

    def shown(self, j: JudgementRow) -> bool:
        return j.left_id in self.seen and j.right_id in self.seen

    def chain(self, rows: Sequence[JudgementRow]) -> str:
        """The visible judgements described, then how many others there are (counted in `hidden`)."""
        parts = [_describe(j) for j in rows if self.shown(j)]
        unseen = sum(1 for j in rows if not self.shown(j))
        self.hidden += unseen
        if unseen:
            parts.append(HIDDEN if unseen == 1 else f"{unseen} judgements you cannot see")
        return "; ".join(parts)

    def ids(self, rows: Iterable[JudgementRow]) -> tuple[int, ...]:
        return tuple(j.id for j in rows if self.shown(j))

    def fix(self) -> str:
        """What the reader can do about it: supersede, or ask someone who may see the rest."""
        text = "Supersede one of those judgements first."
        if self.hidden:
            text += " A judgement you cannot see can be superseded only by someone who may see both its mentions."
        return text


def check(
    current: Sequence[JudgementRow],
    left: str,
    right: str,
    judgement: str,
    *,
    kind: str = "person",
    visible: Visibility = _everything,
) -> None:
    """Raise `ValidationFailed` for bad input, `Conflict` if the judgement contradicts others.

    `visible` says which mentions the reader may see: a contradicting judgement on any other
    still refuses, but is not named (`left` and `right` are the reader's own).
    """
    errors = []
    if judgement not in JUDGEMENTS:
        errors.append(_bad_verdict())
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
            named = _Named(path, visible)
            message = f"{left} and {right} are already judged the same {kind} through {named.chain(path)}. "
            raise Conflict(message + named.fix(), named.ids(path), named.hidden)
    if judgement == "same":
        for ns in not_same:
            a, b = ns.left_id, ns.right_id
            for x, y in ((a, b), (b, a)):
                to_left = [] if x == left else _same_path(same, x, left)
                to_right = [] if y == right else _same_path(same, y, right)
                if to_left is not None and to_right is not None:
                    chain = [*to_left, *to_right]
                    named = _Named([ns, *chain], visible)
                    if named.shown(ns):
                        apart = f"{a} and {b}, judged not the same {kind} in {_describe(ns)}"
                    else:
                        named.hidden += 1
                        apart = f"two mentions judged not the same {kind} in {HIDDEN}"
                    linked = f" (linked by {named.chain(chain)})" if chain else ""
                    raise Conflict(
                        f"judging {left} and {right} the same would join {apart}{linked}. {named.fix()}",
                        named.ids([ns, *chain]),
                        named.hidden,
                    )


def _bad_verdict() -> FieldError:
    return FieldError("judgement", f"must be one of {', '.join(JUDGEMENTS)}")


@dataclass(frozen=True, slots=True)
class Recorded:
    judgement_id: int
    left_canonical: str | None
    right_canonical: str | None
    schema: str


def record_judgement(
    access: DataAccess, left_id: str, right_id: str, judgement: str, reason: str | None = None
) -> Recorded:
    """Check, append and apply a judgement: the affected clusters are re-formed at once.

    Both ids must be mentions of one kind the actor may see (a canonical id stands for its first
    visible member). Who may judge at all is `maxim.resolve.permissions.require_judge`, which
    every route that records judgements calls first. The two mentions' clusters are formed again
    with every current judgement, by the clustering of their kind, so the judgement takes effect
    now and again in every later run. Only those clusters are re-formed: anything else the
    judgement makes possible (a mention a split cluster no longer keeps out) waits for the next run.
    """
    from maxim.resolve.run import DEFAULT_THRESHOLD, link_row, merged_canonicals

    res = ResolutionAccess(access)
    left, right = _mention(res, left_id, "left_id"), _mention(res, right_id, "right_id")
    errors = [found for found in (left, right) if isinstance(found, FieldError)]
    if isinstance(left, tuple) and isinstance(right, tuple) and KINDS[left[1]] != KINDS[right[1]]:
        errors.append(
            FieldError(
                "right_id",
                f"is a {right[1]} mention and left_id a {left[1]} mention: judge mentions of one kind together",
            )
        )
    if errors or not isinstance(left, tuple) or not isinstance(right, tuple):
        if judgement not in JUDGEMENTS:
            errors.append(_bad_verdict())
        raise ValidationFailed(errors)
    (left_id, schema), (right_id, _) = left, right
    kind = KINDS[schema]
    check(res.current_judgements(), left_id, right_id, judgement, kind=kind, visible=res.visible_entities)
    a, b = pair(left_id, right_id)
    new_id = res.append_judgement(a, b, judgement, reason)
    links = res.links([a, b])
    canon = {links[m]["canonical_id"] for m in (a, b) if m in links}
    members = sorted(set(res.members(canon)) | {a, b})
    latest = res.latest_run()
    threshold = float(latest["settings"].get("threshold", DEFAULT_THRESHOLD)) if latest else DEFAULT_THRESHOLD
    now_current = res.current_judgements()
    same = [(j.left_id, j.right_id) for j in now_current if j.judgement == "same"]
    not_same = [(j.left_id, j.right_id) for j in now_current if j.judgement == "not_same"]
    if schema == PERSON:
        assignments = _people(res, members, threshold, same, not_same)
    else:
        assignments = _identified(res, kind, members, same, not_same)
    if latest is not None:
        res.replace_links(
            [link_row(x, latest["id"]) for x in assignments],
            merged_canonicals(assignments) if judgement == "same" else [],
            f"re-clustered after judgement {new_id}",
        )
        # The re-formed clusters' mentions may have new canonical ids, so the networks around the
        # reports stating them are updated now (never raises: the judgement is recorded).
        update_networks_for_mentions(access, [x.mention_id for x in assignments])
    after = {x.mention_id: x.canonical_id for x in assignments}
    return Recorded(new_id, after.get(a), after.get(b), schema)


def _people(
    res: ResolutionAccess,
    members: Sequence[str],
    threshold: float,
    same: Sequence[tuple[str, str]],
    not_same: Sequence[tuple[str, str]],
) -> list[Assignment]:
    """People: the model's stored pairs among the members, clustered under the judgements."""
    from maxim.resolve.cluster import cluster
    from maxim.resolve.run import load_features

    mentions = load_features(res, members)
    return cluster(mentions, res.edges_among(mentions), threshold=threshold, same=same, not_same=not_same)


def _identified(
    res: ResolutionAccess,
    family: str,
    members: Sequence[str],
    same: Sequence[tuple[str, str]],
    not_same: Sequence[tuple[str, str]],
) -> list[Assignment]:
    """Vehicles, addresses, organisations: the run's identifier rules, over the members only.

    A vehicle's or an address's rules read only its own statements. An organisation's also read
    the postcodes of its address entities, and whether every organisation giving its registration
    number agrees on the jurisdiction, so those are read as the run reads them: otherwise a
    judgement could link by a number the run holds ambiguous.
    """
    rows = res.entity_statements(members)
    if family == "organisation":
        addresses = {value for _, _, prop, value, _ in rows if prop == "addressEntity"}
        schemata = sorted(s for s, f in FAMILIES.items() if f == family)
        rows = [*res.schema_statements(schemata), *res.entity_statements(addresses)]
    found = identified_mentions(rows)[family]
    return link({m: found[m] for m in members if m in found}, same=same, not_same=not_same)


def _mention(res: ResolutionAccess, entity_id: str, field: str) -> tuple[str, str] | FieldError:
    """The mention an id stands for and its schema, or why it cannot be judged.

    A canonical id stands for its first member the actor may see. Unknown and hidden ids get
    the same answer, so the refusal never says that a hidden mention exists.
    """
    schemata = res.schemata([entity_id])
    if entity_id not in schemata:
        members = sorted(res.members([entity_id]))
        schemata = res.schemata(members)
        if not schemata:
            return FieldError(field, "is not a mention or canonical entity you can see")
        entity_id = min(schemata)
    schema = schemata[entity_id]
    if schema not in KINDS:
        return FieldError(
            field, f"is a {schema} mention: only {', '.join(RESOLVED_SCHEMATA)} mentions are resolved and judged"
        )
    return entity_id, schema
