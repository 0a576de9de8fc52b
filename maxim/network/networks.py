"""Networks: components over strong evidence, very large ones split by community detection,
each with an identifier that survives small changes. Key nominals within a network. Pure.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import igraph as ig  # type: ignore[import-untyped]
import numpy as np

from maxim.network.graph import EvidenceGraph, IntArray

MIN_PERSONS = 2  # a network has at least this many persons
MAX_PERSONS = 120  # components with more persons are split by Leiden communities
OVERLAP_TO_KEEP_ID = 0.5  # a network keeps a previous id when it holds over half of its persons
SAMPLE_ABOVE = 3000  # exact betweenness up to this many nodes in a network, sampled above
SAMPLES = 256


@dataclass(slots=True)
class Group:
    """A network before it has an id: its nodes (indices into the graph)."""

    members: IntArray
    component: int
    split: bool = False


@dataclass(slots=True)
class Network:
    id: str
    members: IntArray
    persons: list[str]
    anchor: str
    split: bool = False
    kept_from: str | None = None  # the previous id matched by overlap, if any
    extra: dict[str, object] = field(default_factory=dict)


def find_groups(
    graph: EvidenceGraph,
    *,
    min_persons: int = MIN_PERSONS,
    max_persons: int = MAX_PERSONS,
    seed: int = 1,
    labels: IntArray | None = None,
) -> list[Group]:
    """Components with at least `min_persons` persons; those above `max_persons` split by Leiden."""
    membership = graph.components() if labels is None else labels
    if graph.n == 0:
        return []
    persons = np.bincount(membership, weights=graph.is_person.astype(np.float64))
    wanted = np.flatnonzero(persons >= min_persons)
    if len(wanted) == 0:
        return []
    order = np.argsort(membership, kind="stable")
    starts = np.searchsorted(membership[order], wanted, side="left")
    ends = np.searchsorted(membership[order], wanted, side="right")
    groups: list[Group] = []
    for label, lo, hi in zip(wanted.tolist(), starts.tolist(), ends.tolist(), strict=True):
        members = order[lo:hi]
        if persons[label] <= max_persons:
            groups.append(Group(members, label))
            continue
        groups.extend(split(graph, members, label, min_persons=min_persons, seed=seed))
    return groups


def split(graph: EvidenceGraph, members: IntArray, label: int, *, min_persons: int, seed: int) -> list[Group]:
    """Leiden communities (modularity) of one very large component, over its strong edges."""
    g, _ = graph.subgraph(members, strong_only=True)
    ig.set_random_number_generator(random.Random(seed))
    try:
        parts = g.community_leiden(objective_function="modularity", n_iterations=-1)
    finally:
        ig.set_random_number_generator(random)
    out = []
    for part in parts:
        nodes = members[np.asarray(part, dtype=np.int64)]
        if int(graph.is_person[nodes].sum()) >= min_persons:
            out.append(Group(nodes, label, split=True))
    return out


def _hash_id(anchor: str) -> str:
    return "N" + hashlib.sha1(anchor.encode("utf-8"), usedforsecurity=False).hexdigest()[:11].upper()


def assign_ids(
    graph: EvidenceGraph,
    groups: Sequence[Group],
    previous: Mapping[str, Collection[str]] | None = None,
) -> list[Network]:
    """Stable ids: a network holding most of a previous network's persons keeps its id; a new
    one is named after its anchor (the person with the most evidence), so the same data always
    gives the same ids."""
    weight = graph.node_reports()
    nets: list[Network] = []
    for group in groups:
        persons_idx = group.members[graph.is_person[group.members]]
        persons = sorted(graph.nodes[i] for i in persons_idx.tolist())
        best = max(persons_idx.tolist(), key=lambda i: (int(weight[i]), _neg(graph.nodes[i])))
        nets.append(Network("", group.members, persons, graph.nodes[best], group.split))
    taken: set[str] = set()
    if previous:
        owner: dict[str, str] = {}
        for pid, members in previous.items():
            for m in members:
                owner[m] = pid
        candidates: list[tuple[int, int, str]] = []
        for i, net in enumerate(nets):
            overlap = Counter(owner[p] for p in net.persons if p in owner)
            for pid, count in overlap.items():
                if count > OVERLAP_TO_KEEP_ID * len(previous[pid]):
                    candidates.append((count, i, pid))
        for _count, i, pid in sorted(candidates, key=lambda c: (-c[0], c[1], c[2])):
            if nets[i].id or pid in taken:
                continue
            nets[i].id = nets[i].kept_from = pid
            taken.add(pid)
    for net in nets:
        if net.id:
            continue
        nid, n = _hash_id(net.anchor), 1
        while nid in taken:
            n += 1
            nid = f"{_hash_id(net.anchor)}-{n}"
        net.id = nid
        taken.add(nid)
    return nets


def _neg(text: str) -> tuple[int, ...]:
    """Sort key making the smallest string the largest (ties of evidence go to the smallest id)."""
    return tuple(-ord(c) for c in text)


@dataclass(frozen=True, slots=True)
class KeyNominal:
    node: str
    caption: str
    degree: int
    person_links: int
    betweenness: float
    brokerage: float
    communities_bridged: int
    sampled: bool


def key_nominals(
    graph: EvidenceGraph,
    members: IntArray,
    *,
    sample_above: int = SAMPLE_ABOVE,
    samples: int = SAMPLES,
    seed: int = 1,
) -> list[KeyNominal]:
    """Degree, betweenness (sampled from `samples` sources above `sample_above` nodes) and
    brokerage (1 - Burt's constraint; sub-groups bridged) of every person in a network."""
    g, _ = graph.subgraph(members)
    n = g.vcount()
    sampled = n > sample_above
    if sampled:
        rng = np.random.default_rng(seed)
        sources = rng.choice(n, size=min(samples, n), replace=False).tolist()
        between = g.betweenness(sources=sources, directed=False)
        between = [b * n / len(sources) for b in between]
    else:
        between = g.betweenness(directed=False)
    constraint = g.constraint()
    ig.set_random_number_generator(random.Random(seed))
    try:
        groups = g.community_multilevel().membership if g.ecount() else list(range(n))
    finally:
        ig.set_random_number_generator(random)
    is_person = graph.is_person[members]
    out = []
    for local in np.flatnonzero(is_person).tolist():
        neighbours = g.neighbors(local)
        persons_near = set()
        for nb in neighbours:  # persons one hop away, or two through a shared phone/address/...
            if is_person[nb]:
                persons_near.add(nb)
            else:
                persons_near.update(x for x in g.neighbors(nb) if is_person[x] and x != local)
        c = constraint[local]
        bridged = len({groups[nb] for nb in neighbours} - {groups[local]})
        node = int(members[local])
        out.append(
            KeyNominal(
                graph.nodes[node],
                graph.captions[node],
                len(neighbours),
                len(persons_near),
                round(float(between[local]), 3),
                round(0.0 if c != c or not neighbours else max(0.0, 1.0 - float(c)), 3),
                bridged,
                sampled,
            )
        )
    out.sort(key=lambda k: (-k.betweenness, -k.degree, k.node))
    return out


def sampled_betweenness(graph: Any, samples: int, seed: int = 1) -> list[float]:
    """Betweenness over a whole graph estimated from `samples` random sources (scaled to n)."""
    n = graph.vcount()
    rng = np.random.default_rng(seed)
    sources = rng.choice(n, size=min(samples, n), replace=False).tolist()
    values: list[float] = graph.betweenness(sources=sources, directed=False)
    scale = n / max(1, len(sources))
    return [v * scale for v in values]


def update_components(
    graph: EvidenceGraph, labels: IntArray, touched: IntArray, new_src: IntArray, new_dst: IntArray
) -> tuple[IntArray, IntArray]:
    """Incremental: the components after adding strong edges `new_src`-`new_dst` among `touched`
    nodes, recomputed only over the components those nodes are in (not the whole graph).
    Returns the nodes of those components and their new labels (fresh, above every old label)."""
    affected = np.unique(labels[touched])
    members = np.flatnonzero(np.isin(labels, affected))
    g, _ = graph.subgraph(members, strong_only=True)
    local = np.full(graph.n, -1, dtype=np.int64)
    local[members] = np.arange(len(members))
    g.add_edges(np.column_stack((local[new_src], local[new_dst])).tolist())
    sub = np.asarray(g.connected_components().membership, dtype=np.int64)
    return members, sub + int(labels.max()) + 1
