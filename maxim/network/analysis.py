"""From visible evidence to networks ranked by harm, every score with its breakdown. Pure.

`analyse` folds the facts, builds the graph, finds networks (keeping previous ids where they
still fit), infers roles, and scores every network and every nominal together over arrays
(`maxim.network.harm`, the one scorer: a walk per subject took minutes on a large graph). The
tests hold it to a plain per-subject reference, breakdown for breakdown.

`around` limits the analysis to the components holding some nodes: an incremental update reads
only the reports around what one report touched (`maxim.network.incremental`), and the other
components in those reports are fragments it must not store.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from maxim.network.fold import Folded, fold
from maxim.network.graph import EvidenceGraph, IntArray
from maxim.network.harm import HarmFacts, score_groups, score_nominals
from maxim.network.model import Fact, ReportInfo, Subject
from maxim.network.networks import MAX_PERSONS, MIN_PERSONS, Network, _hash_id, assign_ids, find_groups
from maxim.network.roles import infer_roles
from maxim.network.score import Score
from maxim.prioritise.config import HarmConfig, load_harm_config
from maxim.prioritise.evidence import EvidenceIndex


@dataclass
class Ranked:
    """A network with its score and, when nominals were scored, each person's score and roles."""

    network: Network
    score: Score
    nominals: dict[str, Score] = field(default_factory=dict)
    roles: dict[str, list[dict[str, str]]] = field(default_factory=dict)


@dataclass
class Analysis:
    """One analysis, kept whole: the store writes its networks and node index from the fold and
    the graph, and callers read members and edges back from the graph."""

    folded: Folded
    graph: EvidenceGraph
    ranked: list[Ranked]
    index: EvidenceIndex

    def network(self, network_id: str) -> Ranked | None:
        return next((r for r in self.ranked if r.network.id == network_id), None)


def analyse(
    facts: Iterable[Fact],
    reports: Sequence[ReportInfo],
    subjects: Iterable[Subject] = (),
    *,
    canonical: Callable[[str], str] = lambda entity_id: entity_id,
    previous: Mapping[str, Collection[str]] | None = None,
    as_of: date,
    config: HarmConfig | None = None,
    min_persons: int = MIN_PERSONS,
    max_persons: int = MAX_PERSONS,
    nominals: bool = True,
    around: Collection[str] | None = None,
    taken: Collection[str] = (),
) -> Analysis:
    """Networks of the visible evidence, scored and ranked.

    `previous` (network id -> persons) keeps ids where a network still holds most of one;
    `around` keeps only the components holding one of these nodes; `taken` are ids in use by
    networks outside this analysis, which a new network must not reuse.
    """
    cfg = config or load_harm_config()
    folded = fold(facts, subjects, canonical=canonical, protected=cfg.protected)
    graph = EvidenceGraph.from_folded(folded, reports, cfg.weak_sources, cfg.weak_assessments)
    labels = graph.components() if graph.n else np.zeros(0, dtype=np.int64)
    if around is not None:
        labels = only_components(graph, labels, around)
    groups = find_groups(graph, labels=labels, min_persons=min_persons, max_persons=max_persons)
    networks = avoid_ids(assign_ids(graph, groups, previous), taken)
    index = EvidenceIndex(folded, reports, cfg)
    roles = infer_roles(folded, index.reports, cfg.roles) if nominals else {}
    ranked = rank(graph, index, networks, cfg, as_of, nominals=nominals, roles=roles)
    return Analysis(folded, graph, ranked, index)


def rank(
    graph: EvidenceGraph,
    index: EvidenceIndex,
    networks: Sequence[Network],
    config: HarmConfig,
    as_of: date,
    *,
    nominals: bool = True,
    roles: Mapping[str, list[dict[str, str]]] | None = None,
) -> list[Ranked]:
    """Score every network (and, with `nominals`, every person in one) and rank them by harm."""
    facts = HarmFacts.from_index(index, graph, config)
    group_of = np.full(graph.n, -1, dtype=np.int64)
    for i, net in enumerate(networks):
        group_of[net.members] = i
    table = score_groups(facts, group_of, [n.id for n in networks], config, as_of)
    ranked = [Ranked(net, table.score(i)) for i, net in enumerate(networks)]
    if nominals:
        people = [(i, p) for i, net in enumerate(networks) for p in net.persons]
        nodes = np.array([graph.index[p] for _, p in people], dtype=np.int64)
        persons = score_nominals(facts, nodes, [p for _, p in people], config, as_of)
        for j, (i, p) in enumerate(people):
            ranked[i].nominals[p] = persons.score(j)
            ranked[i].roles[p] = (roles or {}).get(p, [])
    ranked.sort(key=lambda r: (-r.score.priority, r.network.id))
    return ranked


def only_components(graph: EvidenceGraph, labels: IntArray, around: Collection[str]) -> IntArray:
    """Component labels with every component not holding a node of `around` broken into single
    nodes, so no network is found there."""
    index = graph.index
    wanted = np.unique(labels[[index[n] for n in around if n in index]])
    out = labels.copy()
    other = ~np.isin(labels, wanted)
    out[other] = int(labels.max(initial=-1)) + 1 + np.arange(int(other.sum()), dtype=np.int64)
    return out


def avoid_ids(networks: list[Network], taken: Collection[str]) -> list[Network]:
    """Give a new network whose id is held by a network outside this analysis the next free
    suffix, as `assign_ids` does among the networks it sees."""
    if not taken:
        return networks
    used = set(taken) | {n.id for n in networks if n.kept_from}
    for net in networks:
        if net.kept_from:
            continue
        base = _hash_id(net.anchor)
        nid, k = base, 1
        while nid in used:
            k += 1
            nid = f"{base}-{k}"
        net.id = nid
        used.add(nid)
    return networks
