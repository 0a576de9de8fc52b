"""Clustering by components gives exactly what the one-pass sequential merge gave.

`cluster()` settles each connected component of the strong pairs and "same" judgements on its
own: a component no join can be refused in is whole at once, and only the rest go through the
sequential constrained merge, its pairs sifted a block at a time. `_sequential_cluster` below is
the algorithm as it was before (every strong pair, strongest first, through `Clusterer`), kept as
the oracle: every `Assignment` must be identical, on random graphs built to hit every rule and on
the scenario's mentions scored by Splink.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from operator import itemgetter
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import maxim.resolve.cluster as cluster_module
from maxim.resolve.bundle import scenario_mentions
from maxim.resolve.cluster import Assignment, Clusterer, canonical_id, cluster, forbidden_pairs
from maxim.resolve.features import MentionFeatures
from maxim.resolve.run import DEFAULT_THRESHOLD, EDGE_FLOOR, bundled_model, without_term_frequencies
from maxim.resolve.splink_engine import train_and_predict


def _sequential_cluster(
    features: Mapping[str, MentionFeatures],
    edges: Sequence[tuple[str, str, float]],
    *,
    threshold: float,
    same: Sequence[tuple[str, str]] = (),
    not_same: Sequence[tuple[str, str]] = (),
) -> list[Assignment]:
    """`cluster()` as it was before components: the oracle (copied unchanged)."""
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


# Dates of birth a graph draws its mentions' from: one date (no clash possible), a date and a slip
# of it (one digit, day and month swapped: a clash once each is given twice), a claimed year,
# partial dates a full one completes or contradicts, unrelated dates.
DOB_POOLS = (
    ("1980-05-03",),
    ("1980-05-03", "1980-05-04"),
    ("1980-05-03", "1980-05-04"),
    ("1980-05-03", "1980-03-05"),
    ("1980-05-03", "1980-03-05"),
    ("1980-05-03", "1981-05-03"),
    ("1980", "1980-05", "1980-05-03"),
    ("1980-05", "1980-06", "1980-05-03"),
    ("1979-11-30", "1980-05-03"),
)
GENDER_POOLS = (("male",), ("female",), ("male", "female"))
# Few distinct probabilities, so ties (broken by id order) are common; two sit below the threshold.
# Pairs within one person draw from the top ones, others from the bottom: 0.9 can be either.
PROBABILITIES = (0.5, 0.79, 0.8, 0.8, 0.85, 0.9, 0.97, 0.999, 1.0)


def _mention(mid: str, *, names: int = 2, dob: str | None = None, gender: str | None = None) -> MentionFeatures:
    tokens = ["jn", "smt", "pr"][:names]  # fewer than two name parts and no identifier: not comparable
    return MentionFeatures(
        unique_id=mid,
        caption=mid,
        name_key=" ".join(tokens) or None,
        name_skel=" ".join(tokens) or None,
        name_tokens=tokens,
        skel_a=tokens[0] if tokens else None,
        skel_b=tokens[-1] if tokens else None,
        dob=dob,
        dob_year=dob[:4] if dob else None,
        phone=None,
        passport=None,
        email=None,
        gender=gender,
        nationality=None,
    )


Graph = tuple[dict[str, MentionFeatures], list[tuple[str, str, float]], dict[str, list[tuple[str, str]]]]


@st.composite
def graphs(draw: st.DrawFn) -> Graph:
    """A few people, each named by several mentions (ids of mixed length, so id order is not length
    order) that mostly give that person's date and gender, sometimes another from the graph's pool
    or none; pairs within one person mostly stronger than others (ties, self-pairs, repeats, a few
    naming unknown mentions); random judgements. Groups thus form before meeting each other,
    which is when repeated dates, slips and genders decide."""
    count = draw(st.integers(2, 18))
    ids = draw(st.lists(st.text(alphabet="ab019", min_size=1, max_size=3), min_size=count, max_size=count, unique=True))
    dobs = (None, *draw(st.sampled_from(DOB_POOLS)))
    genders = (None, *draw(st.sampled_from(GENDER_POOLS)))
    people = [(draw(st.sampled_from(dobs)), draw(st.sampled_from(genders))) for _ in range(draw(st.integers(2, 4)))]
    owner = {mid: draw(st.sampled_from(people)) for mid in ids}
    features = {
        mid: _mention(
            mid,
            names=draw(st.sampled_from((2, 2, 2, 2, 3, 1, 0))),
            dob=draw(st.sampled_from((dob, dob, dob, *dobs))),
            gender=draw(st.sampled_from((gender, gender, *genders))),
        )
        for mid, (dob, gender) in owner.items()
    }
    named = st.sampled_from([*ids, "unknown"])
    edges = []
    for _ in range(draw(st.integers(count, 3 * count))):
        a, b = draw(named), draw(named)
        alike = a in owner and b in owner and owner[a] is owner[b]
        edges.append((a, b, draw(st.sampled_from(PROBABILITIES[5:] if alike else PROBABILITIES[:6]) | st.floats(0, 1))))
    pairs = st.lists(st.tuples(named, named), max_size=2)
    return features, edges, {"same": draw(pairs), "not_same": draw(pairs)}


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graph=graphs(), threshold=st.sampled_from((DEFAULT_THRESHOLD, EDGE_FLOOR)), block=st.sampled_from((1, 3, 512)))
def test_components_give_what_the_sequential_merge_gave(graph: Graph, threshold: float, block: int) -> None:
    features, edges, judgements = graph
    expected = _sequential_cluster(features, edges, threshold=threshold, **judgements)
    # A small block sifts pairs joined earlier in the merge, a large one leaves them to the loop.
    with patch.object(cluster_module, "_BLOCK", block):
        assert cluster(features, edges, threshold=threshold, **judgements) == expected


def test_a_component_without_clashes_is_whole_with_each_strongest_link() -> None:
    """The fast path's own claim: one date, one gender, no judgement: one cluster, each mention's
    link its strongest pair even when that pair is not the first to join its component."""
    features = {m: _mention(m, dob="1980-05-03", gender="male") for m in ("a", "b", "c", "d")}
    edges = [("a", "b", 0.99), ("c", "d", 0.95), ("b", "c", 0.9), ("a", "c", 0.85), ("a", "a", 1.0)]
    got = cluster(features, edges, threshold=DEFAULT_THRESHOLD)
    assert got == _sequential_cluster(features, edges, threshold=DEFAULT_THRESHOLD)
    assert len({a.canonical_id for a in got}) == 1
    assert [a.match_probability for a in got] == [0.99, 0.99, 0.95, 0.95]


# Two pairs formed first (a-b, c-d), then the pair between them: each case and its clusters.
RULES = {
    "one date, given twice on each side": (("1980-05-03",) * 4, (None,) * 4, (), 1),
    "a slip given once": (("1980-05-03", "1980-05-03", "1980-05-04", None), (None,) * 4, (), 1),
    "a slip given twice on each side": (("1980-05-03", "1980-05-03", "1980-05-04", "1980-05-04"), (None,) * 4, (), 2),
    "a partial date completed": (("1980-05", None, "1980-05-03", None), (None,) * 4, (), 1),
    "a partial date contradicted": (("1980-06", None, "1980-05-03", None), (None,) * 4, (), 2),
    "two genders": ((None,) * 4, ("male", None, "female", None), (), 2),
    "not the same": ((None,) * 4, (None,) * 4, (("a", "d"),), 2),
}


@pytest.mark.parametrize(("dobs", "genders", "not_same", "clusters"), RULES.values(), ids=RULES.keys())
def test_each_rule_splits_as_the_sequential_merge_does(
    dobs: tuple[str | None, ...], genders: tuple[str | None, ...], not_same: tuple[tuple[str, str], ...], clusters: int
) -> None:
    features = {m: _mention(m, dob=d, gender=g) for m, d, g in zip("abcd", dobs, genders, strict=True)}
    edges = [("a", "b", 0.99), ("c", "d", 0.98), ("b", "c", 0.9)]
    got = cluster(features, edges, threshold=DEFAULT_THRESHOLD, not_same=not_same)
    assert got == _sequential_cluster(features, edges, threshold=DEFAULT_THRESHOLD, not_same=not_same)
    assert len({a.canonical_id for a in got}) == clusters


@pytest.fixture(scope="module")
def scored() -> tuple[dict[str, MentionFeatures], list[tuple[str, str, float]]]:
    """The scenario's mentions as a run resolves them, scored by Splink with the bundled model."""
    features, _truth, _raw = scenario_mentions(11, 3000)
    rows = [f for f in features.values() if f.comparable]
    trained = train_and_predict(rows, threshold=EDGE_FLOOR, model=without_term_frequencies(bundled_model()))
    return features, trained.edges


def test_scored_scenario_mentions_cluster_as_before(
    scored: tuple[dict[str, MentionFeatures], list[tuple[str, str, float]]],
) -> None:
    features, edges = scored
    with patch.object(cluster_module, "_merge", wraps=cluster_module._merge) as merge:
        got = cluster(features, edges, threshold=DEFAULT_THRESHOLD)
    assert got == _sequential_cluster(features, edges, threshold=DEFAULT_THRESHOLD)
    # Both paths taken: hundreds of mentions merged (dates that could clash), thousands more
    # linked in components settled whole.
    merged = len(merge.call_args.args[0])
    assert merged > 200
    assert sum(1 for a in got if a.match_probability is not None) > merged + 2000
    assert any(a.origin == "unresolved" for a in got)


def test_scored_scenario_mentions_cluster_as_before_under_judgements(
    scored: tuple[dict[str, MentionFeatures], list[tuple[str, str, float]]],
) -> None:
    """Analysts' judgements on scored pairs, chosen at random: "same" on weak pairs, "not same"
    on strong ones, and some between mentions no pair links."""
    features, edges = scored
    rng = random.Random(7)
    ids = sorted(features)
    weak = [(a, b) for a, b, p in edges if p < DEFAULT_THRESHOLD]
    strong = [(a, b) for a, b, p in edges if p >= DEFAULT_THRESHOLD]
    same = rng.sample(weak, 40) + [tuple(rng.sample(ids, 2)) for _ in range(10)]
    not_same = rng.sample(strong, 60) + [tuple(rng.sample(ids, 2)) for _ in range(10)]
    got = cluster(features, edges, threshold=DEFAULT_THRESHOLD, same=same, not_same=not_same)
    assert got == _sequential_cluster(features, edges, threshold=DEFAULT_THRESHOLD, same=same, not_same=not_same)
    assert sum(1 for a in got if a.origin == "judgement") >= 40
