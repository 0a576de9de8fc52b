"""Networks found on top of the real entity resolution (not truth-filled links) recover ground truth."""

from __future__ import annotations

from typing import Any

from maxim.network.evaluate import adjusted_rand_index
from maxim.resolve.run import resolve
from maxim.store.access import DataAccess
from maxim.store.engine import Database
from maxim.store.network_access import NetworkAccess
from tests.network.helpers import AS_OF, records, scenario, truth_labels


def test_networks_over_the_real_resolver_recover_ground_truth(
    db: Database, access: DataAccess, make_user: Any, capsys: Any
) -> None:
    raws, truth, _nets = scenario()
    recs = records(raws)
    for start in range(0, len(recs), 200):
        access.submit(recs[start : start + 200])
    lead, _ = make_user("sam", "SCD6-MAXIM", "safeguarding_lead", "analyst")
    as_lead = DataAccess(db, lead, channel="test")
    summary = resolve(as_lead)
    analysis = NetworkAccess(as_lead).refresh(as_of=AS_OF)
    label = {p: r.network.id for r in analysis.ranked for p in r.network.persons}
    predicted = {m.entity_id: label.get(m.node, f"solo:{m.node}") for m in analysis.folded.mentions}
    ari = adjusted_rand_index(predicted, truth_labels(truth))
    with capsys.disabled():
        print(f"\nARI vs ground truth with Maxim's resolver ({summary.model_source} model): {ari:.3f}")
    assert ari >= 0.9
