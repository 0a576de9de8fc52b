"""From scored pairs and analyst judgements to clusters. Pure.

Judgements come first: every current "same" joins its pair, every current "not same" forbids
its pair ever ending in one cluster. Model pairs are then taken strongest first; two clusters
join only if no "not same" judgement and no hard contradiction spans them: dates of birth that
cannot be one person's (a partial date the other does not complete; two full dates that are
neither a claimed year nor a one-off slip: a date several reports give is not a slip) or
different genders. So a chain of plausible links cannot drag two people together.
Deterministic for the same input, whatever its order.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter

import jellyfish

from maxim.resolve.features import MentionFeatures


def canonical_id(members: Iterable[str]) -> str:
    """A cluster's id: stable while its lowest member id stays in it."""
    return "n" + hashlib.sha1(min(members).encode("utf-8"), usedforsecurity=False).hexdigest()[:32]


def dobs_compatible(x: str, y: str, *, slip: bool = True) -> bool:
    """Two dates of birth that could be the same person's: equal, a partial date the other
    completes, a claimed year (same birthday), or, when `slip` allows, a slip (one digit, or
    day and month swapped)."""
    if x == y:
        return True
    if len(x) < 10 or len(y) < 10:
        return x.startswith(y) or y.startswith(x)
    if x[5:] == y[5:]:
        return True  # age-disputed: the same birthday with a claimed year
    if not slip:
        return False
    if x[:4] == y[:4] and x[5:7] == y[8:10] and x[8:10] == y[5:7]:
        return True
    return jellyfish.levenshtein_distance(x, y) <= 1


def find_root(parent: dict[str, str], x: str) -> str:
    """Union-find's find with path compression, over a parent map both clusterers keep."""
    root = x
    while parent[root] != root:
        root = parent[root]
    while parent[x] != root:
        parent[x], x = root, parent[x]
    return root


@dataclass
class _Group:
    members: list[str]
    dobs: Counter[str] = field(default_factory=Counter)  # each date and how many mentions give it
    genders: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class Assignment:
    mention_id: str
    canonical_id: str
    match_probability: float | None  # strongest link into its cluster; None when alone
    origin: str  # "model", "judgement" or "unresolved"
    note: str | None = None


class Clusterer:
    def __init__(self, features: Mapping[str, MentionFeatures]) -> None:
        self.features = features
        self.parent: dict[str, str] = {}
        self.groups: dict[str, _Group] = {}
        for mid, f in features.items():
            self.parent[mid] = mid
            g = _Group([mid])
            if f.dob:
                g.dobs[f.dob] += 1
            if f.gender:
                g.genders.add(f.gender)
            self.groups[mid] = g
        self.forbidden: dict[str, set[str]] = {}

    def find(self, x: str) -> str:
        return find_root(self.parent, x)

    def _conflict(self, ra: str, rb: str, *, hard: bool) -> bool:
        a, b = self.groups[ra], self.groups[rb]
        if self.forbidden:
            small, big = (a, b) if len(a.members) < len(b.members) else (b, a)
            big_set = set(big.members)
            for m in small.members:
                if self.forbidden.get(m, set()) & big_set:
                    return True
        if not hard:
            return False
        if len(a.genders | b.genders) > 1 and a.genders and b.genders and a.genders != b.genders:
            return True
        # A slip is a one-off: a date that several reports give on both sides is not one.
        return any(
            not dobs_compatible(x, y, slip=min(nx, ny) == 1) for x, nx in a.dobs.items() for y, ny in b.dobs.items()
        )

    def union(self, x: str, y: str, *, hard: bool) -> bool:
        ra, rb = self.find(x), self.find(y)
        if ra == rb:
            return True
        if self._conflict(ra, rb, hard=hard):
            return False
        a, b = self.groups[ra], self.groups[rb]
        if len(a.members) < len(b.members):
            ra, rb, a, b = rb, ra, b, a
        self.parent[rb] = ra
        a.members.extend(b.members)
        a.dobs.update(b.dobs)
        a.genders |= b.genders
        del self.groups[rb]
        return True


def forbidden_pairs(not_same: Iterable[tuple[str, str]], known: Container[str]) -> dict[str, set[str]]:
    """Each known mention and the mentions a current "not same" judgement keeps it apart from."""
    forbidden: dict[str, set[str]] = {}
    for a, b in not_same:
        if a in known and b in known:
            forbidden.setdefault(a, set()).add(b)
            forbidden.setdefault(b, set()).add(a)
    return forbidden


def cluster(
    features: Mapping[str, MentionFeatures],
    edges: Sequence[tuple[str, str, float]],
    *,
    threshold: float,
    same: Sequence[tuple[str, str]] = (),
    not_same: Sequence[tuple[str, str]] = (),
) -> list[Assignment]:
    """Every mention's cluster. Mentions with too little to compare stay alone, said so."""
    c = Clusterer(features)
    c.forbidden = forbidden_pairs(not_same, features)
    judged: set[str] = set()
    for a, b in sorted(same):
        if a in features and b in features and c.union(a, b, hard=False):
            judged.update((a, b))
    best: dict[str, float] = {}  # each mention's strongest link: its first, as edges come strongest first
    comparable = {mid for mid, f in features.items() if f.comparable}
    strong = [e for e in edges if e[2] >= threshold and e[0] in comparable and e[1] in comparable]
    strong.sort(key=itemgetter(0, 1))
    strong.sort(key=itemgetter(2), reverse=True)  # stable: equal probabilities stay in id order
    find, union = c.find, c.union
    for a, b, p in strong:
        if find(a) == find(b):
            continue  # most strong pairs are inside a cluster already: nothing to join or record
        if union(a, b, hard=True):
            best.setdefault(a, p)
            best.setdefault(b, p)
    out = []
    for group in c.groups.values():
        cid = canonical_id(group.members)
        alone = len(group.members) == 1
        for m in group.members:
            f = features[m]
            if alone and not f.comparable:
                out.append(Assignment(m, cid, None, "unresolved", f.why_unresolved))
            elif m in judged:
                out.append(Assignment(m, cid, 1.0, "judgement"))
            else:
                out.append(Assignment(m, cid, None if alone else best.get(m), "model"))
    out.sort(key=lambda x: x.mention_id)
    return out
