"""Real-time candidates at intake come back with a per-field explanation."""

from __future__ import annotations

from maxim.resolve.realtime import candidates_for
from maxim.resolve.run import resolve
from maxim.store.access import DataAccess
from maxim.store.resolution_access import ResolutionAccess
from tests.resolve.helpers import one, p, record


def test_candidates_come_back_with_explanations(access: DataAccess) -> None:
    known = one(access, "K/1", "ZHANG Wei", birthDate=["1984-03-02"], phone=["07700 900123"])
    one(access, "K/2", "Wei Zhang", birthDate=["1984-03-02"])
    one(access, "K/3", "Arben Hoxha", birthDate=["1979-11-23"])
    resolve(access)
    incoming = record("K/9", p("Chang Wei", birthDate=["1984-03-02"], phone=["+447700900123"]))
    found = candidates_for(access, incoming)
    assert found, "the known nominal is a candidate"
    best = found[0]
    assert best.canonical_id == ResolutionAccess(access).links([known])[known]["canonical_id"]
    assert best.match_probability > 0.9
    texts = [e.text() for e in best.explanation]
    assert any(t.startswith("date of birth agrees exactly: +") for t in texts)
    assert any(t.startswith("phone agrees exactly: +") for t in texts)
    assert any("transliteration" in t for t in texts)
    assert best.as_dict()["explanation"][0]["text"]


def test_a_first_name_alone_finds_nobody(access: DataAccess) -> None:
    one(access, "K/1", "ZHANG Wei", birthDate=["1984-03-02"])
    resolve(access)
    assert candidates_for(access, record("K/8", p("Wei"))) == []
