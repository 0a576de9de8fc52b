"""The incremental network update of a report at the size limits, on SQLite and PostgreSQL: the
report is stored, the update (intake's hook) completes and stores what a full rebuild gives; the
update reads and computes before it takes the scope's lock, so another writer is not held
meanwhile, and it computes again when that writer stored first; and the sentence matching it
relies on (`maxim.network.sentences`, one pass over the text instead
of asking every sentence about every name, which made a large report take minutes under the
update's lock) answers exactly what asking every sentence answers."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from maxim.domain.ids import mention_id
from maxim.network.deconflict import check_deconfliction
from maxim.network.sentences import named_by_sentence, split_sentences
from maxim.reference.limits import load_limits
from maxim.store import network_access
from maxim.store.access import DataAccess
from maxim.store.engine import Database
from maxim.store.network_access import NetworkAccess, update_networks
from tests.factories import person, report
from tests.network.helpers import AS_OF, records
from tests.network.test_incremental import _content, _expected, _stored

LIMITS = load_limits()
ROLES = ("suspect", "victim", "witness", "suspect")


def _naive(sentences: list[str], names: list[list[str]]) -> list[list[int]]:
    """The definition: every sentence asked about every name."""
    return [[i for i, listed in enumerate(names) if any(n in s for n in listed)] for s in sentences]


TEXT = st.text(alphabet="ab c.\x00", max_size=40)


@settings(max_examples=300, deadline=None)
@given(text=TEXT, names=st.lists(st.lists(st.text(alphabet="ab c\x00", max_size=4), max_size=3), max_size=6))
def test_sentences_name_exactly_whom_asking_every_sentence_would(text: str, names: list[list[str]]) -> None:
    sentences = split_sentences(text)
    assert named_by_sentence(sentences, names) == _naive(sentences, names)


def test_a_name_repeated_across_sentences_and_lists_is_found_in_each() -> None:
    sentences = split_sentences("Ann drove. Bob and ann met! Nobody here? ANN again.")
    assert named_by_sentence(sentences, [["ann"], ["bob", "ann"], ["zed"]]) == [[0, 1], [0, 1], [], [0, 1]]


def _name(i: int) -> str:
    return f"Testperson N{i:03d}x"  # no name holds another: each sentence names exactly one


def _at_the_limit() -> dict[str, Any]:
    """A report naming as many people as one may, in groups of five on a shared phone, each
    named in a sentence of its own with words the harm score and role inference read."""
    n = LIMITS.report_entities
    people = [
        person(f"p{i}", _name(i), role=ROLES[i % 4], phone=[f"07700 900{i // 5:03d}"], birthDate=["1990-01-01"])
        for i in range(n)
    ]
    text = " ".join(f"{_name(i)} controls the flat and carries a knife." for i in range(n))
    return report(reference="LAM/2026/LIMIT", text=text, entities=people)


def test_a_report_at_the_limit_is_stored_and_its_network_update_completes(db: Database, access: DataAccess) -> None:
    base = [
        report(reference=f"LAM/2026/{i:06d}", entities=[person("p1", f"Testperson Base{i}", phone=["07700 900000"])])
        for i in range(3)
    ]
    access.submit(records(base))
    store = NetworkAccess(access)
    store.refresh(as_of=AS_OF)
    previous = store.previous()

    [stored] = access.submit(records([_at_the_limit()]))
    check_deconfliction(access, stored.report_id)  # intake's hook: the incremental update
    after = _stored(db, store.scope)
    assert _content(after) == _expected(store.analyse(AS_OF, previous=previous))
    assert len(after) == LIMITS.report_entities // 5  # one network per shared phone
    # the sentence naming a suspect gave them their role, with the sentence as the reason
    suspect = mention_id("BOCU-LAMBETH", "LAM/2026/LIMIT", "p3")
    [net] = [s for s in after.values() if ("nominal", suspect) in s["scores"]]
    assert net["scores"][("nominal", suspect)]["roles"] == [
        {
            "role": "controller",
            "report_id": stored.report_id,
            "reason": f'"{_name(3)} controls the flat and carries a knife."',
        }
    ]


def _bump_elsewhere(database_url: str, scope: str) -> bool:
    """From a connection of its own, as another request would: take the scope's row and bump its
    generation, waiting a fraction of a second at most. Whether the lock was free."""
    bump = "UPDATE network_scopes SET generation = generation + 1 WHERE scope = "
    if database_url.startswith("sqlite"):
        conn = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=0.3, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(bump + "?", (scope,))
            conn.execute("COMMIT")
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            conn.close()
    engine = create_engine(database_url)
    try:
        with engine.begin() as pg:
            pg.execute(text("SET LOCAL lock_timeout = '300ms'"))
            pg.execute(text(bump + ":scope"), {"scope": scope})
        return True
    except OperationalError:
        return False
    finally:
        engine.dispose()


def test_the_update_computes_before_it_takes_the_lock_and_again_when_raced(
    db: Database, access: DataAccess, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = [
        report(reference=f"LAM/2026/{i:06d}", entities=[person("p1", f"Testperson Base{i}", phone=["07700 900001"])])
        for i in range(3)
    ]
    access.submit(records(base))
    store = NetworkAccess(access)
    store.refresh(as_of=AS_OF)
    previous = store.previous()
    free: list[bool] = []
    walk = network_access.gather

    def raced(*args: Any, **kwargs: Any) -> Any:
        if not free:  # another request writes while the first computation reads the neighbourhood
            free.append(_bump_elsewhere(database_url, store.scope))
        return walk(*args, **kwargs)

    monkeypatch.setattr(network_access, "gather", raced)
    newcomer = report(reference="LAM/2026/NEW", entities=[person("p1", "Testperson New", phone=["07700 900001"])])
    [stored] = access.submit(records([newcomer]))
    changed = update_networks(access, [stored.report_id])[store.scope]
    assert free == [True]  # the other writer was not held by the computation
    assert changed  # computed again after the race, and written
    assert _content(_stored(db, store.scope)) == _expected(store.analyse(AS_OF, previous=previous))
