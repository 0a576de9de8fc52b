"""From visible evidence to networks ranked by harm, every score with its breakdown. Pure.

`analyse` folds the facts, builds the graph, finds networks (keeping previous ids where they
still fit), scores each network and its nominals, and ranks them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from maxim.network.fold import Folded, fold
from maxim.network.graph import EvidenceGraph
from maxim.network.model import Fact, ReportInfo, Subject
from maxim.network.networks import MAX_PERSONS, MIN_PERSONS, Network, assign_ids, find_groups
from maxim.network.roles import infer_roles
from maxim.prioritise.config import HarmConfig, load_harm_config
from maxim.prioritise.evidence import EvidenceIndex
from maxim.prioritise.score import Score, score


@dataclass
class Ranked:
    network: Network
    score: Score
    nominals: dict[str, Score] = field(default_factory=dict)
    roles: dict[str, list[dict[str, str]]] = field(default_factory=dict)


@dataclass
class Analysis:
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
) -> Analysis:
    cfg = config or load_harm_config()
    folded = fold(facts, subjects, canonical=canonical, protected=cfg.protected)
    graph = EvidenceGraph.from_folded(folded, reports, cfg.weak_sources, cfg.weak_assessments)
    networks = assign_ids(graph, find_groups(graph, min_persons=min_persons, max_persons=max_persons), previous)
    index = EvidenceIndex(folded, reports, cfg)
    roles = infer_roles(folded, index.reports, cfg.roles) if nominals else {}
    ranked = []
    for net in networks:
        nodes = [graph.nodes[i] for i in net.members.tolist()]
        item = Ranked(net, score(index.evidence(net.id, nodes), cfg, as_of))
        if nominals:
            for person in net.persons:
                item.nominals[person] = score(index.evidence(person, nodes, nominal=person), cfg, as_of)
                item.roles[person] = roles.get(person, [])
        ranked.append(item)
    ranked.sort(key=lambda r: (-r.score.priority, r.network.id))
    return Analysis(folded, graph, ranked, index)
