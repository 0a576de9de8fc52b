"""From scored pairs and analyst judgements to clusters. Pure.

Judgements come first: every current "same" joins its pair, every current "not same" forbids
its pair ever ending in one cluster. Model pairs are then taken strongest first; two clusters
join only if no "not same" judgement and no hard contradiction spans them: dates of birth that
cannot be one person's (a partial date the other does not complete; two full dates that are
neither a claimed year nor a one-off slip: a date several reports give is not a slip) or
different genders. So a chain of plausible links cannot drag two people together.
Deterministic for the same input, whatever its order.

Joins never cross a connected component of the strong pairs and "same" judgements, so each
component is settled on its own: one where no join can be refused (one date of birth or dates
that cannot clash, one gender, no judgement inside) is simply whole, found with numpy; only the
rest go through the sequential constrained merge, on their own pairs in the same order.
"""

from __future__ import annotations

import gc
import hashlib
import math
from collections import Counter
from collections.abc import Container, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import jellyfish
import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]

from maxim.resolve.features import MentionFeatures

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# Strong pairs sifted at once in the sequential merge: big enough for numpy to pay, small enough
# that few pairs get joined within the block they are sifted in.
_BLOCK = 512
_PAIRS = pa.struct([("left", pa.string()), ("right", pa.string()), ("p", pa.float64())])


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


def _components(n: int, u: IntArray, v: IntArray) -> IntArray:
    """Each of `n` vertices' connected component over the edges `u[i]`-`v[i]`, labelled by its
    lowest vertex. Numpy alone: igraph takes seconds just to build a graph of millions of pairs.

    Each round hooks every root under the lowest root it shares an edge with, then jumps pointers
    until every vertex points at a root; edges already inside one component drop out. Pointers
    only ever go down, so no cycle forms and a component's lowest vertex stays its root; a round
    with an edge left hooks at least one root, so the rounds end.
    """
    label = np.arange(n, dtype=np.int64)
    while len(u):
        lu, lv = label[u], label[v]
        apart = lu != lv
        u, v, lu, lv = u[apart], v[apart], lu[apart], lv[apart]
        np.minimum.at(label, np.maximum(lu, lv), np.minimum(lu, lv))
        jumped = label[label]
        while not np.array_equal(jumped, label):
            label, jumped = jumped, jumped[jumped]
    return label


def _strong_edges(
    edges: Sequence[tuple[str, str, float]], ids: Sequence[str], comparable: BoolArray, threshold: float
) -> tuple[IntArray, IntArray, FloatArray]:
    """The pairs at or above `threshold` between comparable mentions, as arrays of positions in
    `ids` and probabilities. Read in one pass by Arrow, looked up with its hashing: the pairs are
    millions of tuples scattered in memory, and each Python pass over them (even `map`, even a
    dict lookup) costs seconds."""
    pairs = pa.array(edges, type=_PAIRS)
    known = pa.array(ids, pa.string())
    prob = np.asarray(pairs.field("p").to_numpy(zero_copy_only=False), dtype=np.float64)
    u, v = _positions(pairs.field("left"), known), _positions(pairs.field("right"), known)
    both = np.append(comparable, False)  # the position past the end: a mention not in `ids`
    keep = (prob >= threshold) & both[u] & both[v]
    return u[keep], v[keep], prob[keep]


def _positions(values: Any, known: Any) -> IntArray:
    """Each of the Arrow strings `values`' position in `known`; one past its end if absent."""
    found = pc.index_in(values, value_set=known).fill_null(len(known))
    return np.asarray(found.to_numpy(zero_copy_only=False), dtype=np.int64)


def _values_by_component(label: IntArray, values: Sequence[str | None]) -> Iterable[tuple[int, list[tuple[str, int]]]]:
    """Each component in which mentions give two or more distinct values, with those values and
    how many of its mentions give each (a group inside the component never holds more)."""
    vocabulary: dict[str, int] = {}
    code = np.fromiter((vocabulary.setdefault(x, len(vocabulary)) if x else -1 for x in values), dtype=np.int64)
    given = code >= 0
    keys, counts = np.unique(label[given] * max(len(vocabulary), 1) + code[given], return_counts=True)
    comp, value = np.divmod(keys, max(len(vocabulary), 1))
    names = list(vocabulary)
    starts = np.flatnonzero(np.r_[True, comp[1:] != comp[:-1]]).tolist()
    for start, end in zip(starts, [*starts[1:], len(comp)], strict=True):
        if end - start > 1:
            yield int(comp[start]), [(names[value[j]], int(counts[j])) for j in range(start, end)]


def _dobs_may_clash(dobs: Sequence[tuple[str, int]]) -> bool:
    """Whether two groups of one component could ever hold clashing dates of birth. A pair of
    dates allowed as a slip only while one of them is given once in the component is safe: a
    group counts no more of a date than its component does."""
    return any(
        not dobs_compatible(x, y, slip=min(nx, ny) == 1) for i, (x, nx) in enumerate(dobs) for y, ny in dobs[i + 1 :]
    )


def _needs_merge(
    label: IntArray,
    ids: Sequence[str],
    features: Mapping[str, MentionFeatures],
    same: Sequence[tuple[str, str]],
    forbidden: Mapping[str, set[str]],
) -> BoolArray:
    """Which components (by root vertex) a judgement touches or some join could be refused in:
    only those need the sequential merge. Any other is one cluster, however its pairs come."""
    slow = np.zeros(len(ids), dtype=bool)
    comp = dict(zip(ids, label.tolist(), strict=True))
    for a, _ in same:
        slow[comp[a]] = True
    for a, others in forbidden.items():
        if any(comp[a] == comp[b] for b in others):
            slow[comp[a]] = True
    for root, _ in _values_by_component(label, [features[m].gender for m in ids]):
        slow[root] = True
    for root, dobs in _values_by_component(label, [features[m].dob for m in ids]):
        if not slow[root] and _dobs_may_clash(dobs):
            slow[root] = True
    return slow


def _merge(
    features: Mapping[str, MentionFeatures],
    ids: Sequence[str],
    index: Mapping[str, int],
    strong: tuple[IntArray, IntArray, FloatArray],
    *,
    same: Sequence[tuple[str, str]],
    forbidden: dict[str, set[str]],
) -> tuple[IntArray, set[str], dict[str, float]]:
    """The sequential constrained merge of `features`: `same` pairs first, then the `strong` pairs
    (positions in `ids`, strongest first), each join checked. Each position's group (its root's
    position; its own outside `features`), the judged mentions, each one's strongest link.

    Most strong pairs fall inside a group already, with nothing to join or record, so each block
    of pairs is first sifted with numpy against every position's group (its root's position) as
    the block starts: groups only grow, so a pair inside one then is inside one when its turn comes.
    """
    c = Clusterer(features)
    c.forbidden = forbidden
    judged: set[str] = set()
    for a, b in same:
        if c.union(a, b, hard=False):
            judged.update((a, b))
    group = np.arange(len(ids), dtype=np.int64)
    for root, g in c.groups.items():
        if len(g.members) > 1:  # joined by judgements; any other position is its own root
            group[[index[m] for m in g.members]] = index[root]
    best: dict[str, float] = {}  # each mention's strongest link: its first, as edges come strongest first
    find, union, groups = c.find, c.union, c.groups
    u, v, p = strong
    for start in range(0, len(u), _BLOCK):
        bu, bv, bp = u[start : start + _BLOCK], v[start : start + _BLOCK], p[start : start + _BLOCK]
        live = group[bu] != group[bv]
        for a, b, link in zip(
            map(ids.__getitem__, bu[live].tolist()),
            map(ids.__getitem__, bv[live].tolist()),
            bp[live].tolist(),
            strict=True,
        ):
            ra, rb = find(a), find(b)
            if ra == rb:
                continue  # joined earlier in this block
            ma, mb = groups[ra].members, groups[rb].members
            if union(a, b, hard=True):
                best.setdefault(a, link)
                best.setdefault(b, link)
                kept = find(a)
                group[[index[m] for m in (mb if kept == ra else ma)]] = index[kept]
    return group, judged, best


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off for a while. Clustering makes hundreds of thousands of objects
    (groups, assignments) while millions more are live (features, pairs), and every collection
    they trigger walks the lot: a third of clustering's time at 300k mentions. None of them forms
    a cycle, so none waits for the collector."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


@_collector_paused()
def cluster(
    features: Mapping[str, MentionFeatures],
    edges: Sequence[tuple[str, str, float]],
    *,
    threshold: float,
    same: Sequence[tuple[str, str]] = (),
    not_same: Sequence[tuple[str, str]] = (),
) -> list[Assignment]:
    """Every mention's cluster, by mention id. Mentions with too little to compare stay alone, said so.

    A component no join can be refused in is whole, and each mention's strongest link is simply
    its strongest strong pair: the first that touches it, strongest first, always joins.
    """
    ids = sorted(features)
    index = {m: i for i, m in enumerate(ids)}
    comparable = np.fromiter((features[m].comparable for m in ids), dtype=bool, count=len(ids))
    u, v, p = _strong_edges(edges, ids, comparable, threshold)
    judged_pairs = sorted((a, b) for a, b in same if a in features and b in features)
    forbidden = forbidden_pairs(not_same, features)
    su = np.array([index[a] for a, _ in judged_pairs], dtype=np.int64)
    sv = np.array([index[b] for _, b in judged_pairs], dtype=np.int64)
    label = _components(len(ids), np.concatenate((u, su)), np.concatenate((v, sv)))
    slow = _needs_merge(label, ids, features, judged_pairs, forbidden)
    best = np.full(len(ids), np.nan)
    whole = ~slow[label[u]] & (u != v)
    np.fmax.at(best, np.concatenate((u[whole], v[whole])), np.concatenate((p[whole], p[whole])))
    inside = slow[label[u]]
    order = np.lexsort((v[inside], u[inside], -p[inside]))  # strongest first, equal ones in id order
    merged = np.flatnonzero(slow[label])
    group, judged, links = _merge(
        {ids[i]: features[ids[i]] for i in merged.tolist()},
        ids,
        index,
        (u[inside][order], v[inside][order], p[inside][order]),
        same=judged_pairs,
        forbidden=forbidden,
    )
    for m, link in links.items():
        best[index[m]] = link
    root = label.copy()  # each position's cluster, by its lowest member's position
    lowest = np.full(len(ids), len(ids), dtype=np.int64)
    np.minimum.at(lowest, group[merged], merged)
    root[merged] = lowest[group[merged]]
    return _assignments(features, ids, root, best, judged)


def _assignments(
    features: Mapping[str, MentionFeatures], ids: Sequence[str], root: IntArray, best: FloatArray, judged: set[str]
) -> list[Assignment]:
    """Each mention's assignment, in the order of `ids`, from its cluster (`root`: its lowest
    member's position) and its strongest link (`best`, NaN for none)."""
    roots = root.tolist()
    sizes = np.bincount(root, minlength=len(ids)).tolist()
    cids = {r: canonical_id((ids[r],)) for r in set(roots)}
    out = []
    for m, r, link in zip(ids, roots, best.tolist(), strict=True):
        f = features[m]
        alone = sizes[r] == 1
        if alone and not f.comparable:
            out.append(Assignment(m, cids[r], None, "unresolved", f.why_unresolved))
        elif m in judged:
            out.append(Assignment(m, cids[r], 1.0, "judgement"))
        else:
            out.append(Assignment(m, cids[r], None if alone or math.isnan(link) else link, "model"))
    return out
