"""Judgements: they beat the model, survive re-runs, are stamped when superseded, never contradict."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from maxim.domain.errors import ValidationFailed
from maxim.resolve.judgements import Conflict, record_judgement
from maxim.resolve.run import resolve
from maxim.store.access import DataAccess
from maxim.store.resolution_access import ResolutionAccess
from maxim.store.tables import audit_log
from maxim.store.tables_resolution import judgements
from tests.resolve.helpers import one


def canon(access: DataAccess, *ids: str) -> list[str]:
    links = ResolutionAccess(access).links(ids)
    return [links[i]["canonical_id"] for i in ids]


def test_judgements_beat_the_model_and_survive_reruns(access: DataAccess) -> None:
    a = one(access, "J/1", "Zhang Wei", birthDate=["1984-03-02"], phone=["07700 900123"])
    b = one(access, "J/2", "Wei Zhang", birthDate=["1984-03-02"], phone=["07700 900123"])
    c = one(access, "J/3", "Arben Hoxha", birthDate=["1979-11-23"])
    d = one(access, "J/4", "Ben Hodja")  # the model cannot tell; the analyst can
    resolve(access)
    ca, cb, cc, cd = canon(access, a, b, c, d)
    assert ca == cb and cc != cd

    split = record_judgement(access, a, b, "not_same", "different fathers' names on file")
    assert split.left_canonical != split.right_canonical
    joined = record_judgement(access, c, d, "same", "custody photograph")
    assert joined.left_canonical == joined.right_canonical
    ca, cb, cc, cd = canon(access, a, b, c, d)
    assert ca != cb and cc == cd
    assert ResolutionAccess(access).links([d])[d]["origin"] == "judgement"

    resolve(access)  # a re-run keeps both
    ca, cb, cc, cd = canon(access, a, b, c, d)
    assert ca != cb and cc == cd
    with access.db.reader.connect() as conn:
        combos = [r for r in conn.execute(select(audit_log).where(audit_log.c.operation == "COMBINATION"))]
    assert any(set(r.object_ids) == {c, d} for r in combos)


def test_contradictory_judgements_are_refused_naming_them(access: DataAccess) -> None:
    a = one(access, "C/1", "Arben Hoxha")
    b = one(access, "C/2", "Arben Hodja")
    c = one(access, "C/3", "Arben Hoxhaj")
    first = record_judgement(access, a, b, "same").judgement_id
    second = record_judgement(access, b, c, "same").judgement_id
    with pytest.raises(Conflict) as refused:
        record_judgement(access, a, c, "not_same")
    assert set(refused.value.judgements) == {first, second}
    assert f"#{first}" in str(refused.value) and f"#{second}" in str(refused.value)
    # and the other way round: A≠C first, then A=B, B=C
    d = one(access, "C/4", "Gjergj Leka")
    e = one(access, "C/5", "Gjergji Lekaj")
    f = one(access, "C/6", "Gjergi Leka")
    apart = record_judgement(access, d, f, "not_same").judgement_id
    record_judgement(access, d, e, "same")
    with pytest.raises(Conflict) as again:
        record_judgement(access, e, f, "same")
    assert apart in again.value.judgements


def test_a_revisited_judgement_is_stamped_never_edited(access: DataAccess) -> None:
    a = one(access, "S/1", "Arben Hoxha")
    b = one(access, "S/2", "Arben Hodja")
    first = record_judgement(access, a, b, "same").judgement_id
    second = record_judgement(access, b, a, "unsure", "second look").judgement_id
    with access.db.reader.connect() as conn:
        rows = {r.id: r for r in conn.execute(select(judgements))}
    assert rows[first].judgement == "same" and rows[first].superseded_by == second
    assert rows[first].superseded_at is not None
    assert rows[second].superseded_at is None


def test_bad_judgements_name_the_field(access: DataAccess) -> None:
    a = one(access, "B/1", "Arben Hoxha")
    with pytest.raises(ValidationFailed) as bad:
        record_judgement(access, a, a, "maybe")
    fields = {e.field for e in bad.value.errors}
    assert fields == {"judgement", "right_id"}
    with pytest.raises(ValidationFailed):
        record_judgement(access, a, "m" + "0" * 32, "same")
