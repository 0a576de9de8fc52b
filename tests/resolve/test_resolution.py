"""Batch resolution on the store (SQLite and PostgreSQL): variants resolve, homonyms do not."""

from __future__ import annotations

from sqlalchemy import select

from maxim.resolve.run import resolve
from maxim.store.access import DataAccess
from maxim.store.resolution_access import ResolutionAccess
from maxim.store.tables import audit_log
from tests.resolve.helpers import one, p, submit


def canon(access: DataAccess, *ids: str) -> list[str]:
    links = ResolutionAccess(access).links(ids)
    return [links[i]["canonical_id"] for i in ids]


def test_transliteration_and_name_order_variants_resolve(access: DataAccess) -> None:
    zhang = [
        one(access, "R/1", "ZHANG Wei", birthDate=["1984-03-02"], phone=["07700 900123"]),
        one(access, "R/2", "Wei Chang", birthDate=["1984-03-02"]),
        one(access, "R/3", "Cheung Wei", birthDate=["1984-03-02"], nationality=["cn"]),
    ]
    nguyen = [
        one(access, "R/4", "Nguyễn Văn Minh", birthDate=["1990-05-01"], phone=["07700 900456"]),
        one(access, "R/5", "Ngyuen Van Minh", birthDate=["1990-05-01"]),
        one(access, "R/6", "Van Minh NGUYEN", birthDate=["1990-05"], phone=["07700900456"]),
    ]
    hoxha = [
        one(access, "R/7", "Arben Hoxha", birthDate=["1979-11-23"]),
        one(access, "R/8", "HODJA Arben", birthDate=["1979-11-23"]),
        one(access, "R/9", "Arben Hoxhaj", birthDate=["1979-11-23"]),
    ]
    other = one(access, "R/10", "Ardit Leka", birthDate=["1991-01-09"])
    summary = resolve(access)
    assert summary.model_source == "bundled"
    for group in (zhang, nguyen, hoxha):
        assert len(set(canon(access, *group))) == 1, group
    assert (
        len(
            {
                canon(access, zhang[0])[0],
                canon(access, nguyen[0])[0],
                canon(access, hoxha[0])[0],
                canon(access, other)[0],
            }
        )
        == 4
    )
    with access.db.reader.connect() as conn:
        ops = [r.operation for r in conn.execute(select(audit_log))]
    assert "COMBINATION" in ops


def test_two_people_sharing_a_common_name_and_a_flat_do_not_merge(access: DataAccess) -> None:
    flat = {
        "id": "a1",
        "schema": "Address",
        "properties": {"full": ["Flat 3, 12 Example Road, London SE1 7XX"], "postalCode": ["SE1 7XX"]},
    }

    def lan(reference: str, name: str, **props: list[str]) -> str:
        return submit(access, reference, p(name, addressEntity=["a1"], **props), flat)[0]

    first = lan("F/1", "Nguyen Thi Lan", birthDate=["1995-02-14"], phone=["07700 900001"])
    first_again = lan("F/2", "NGUYEN Thi Lan", birthDate=["1995-02-14"])
    second = lan("F/3", "Nguyen Thi Lan", birthDate=["1988-09-30"], phone=["07700 900002"])
    second_again = lan("F/4", "Thi Lan Nguyen", birthDate=["1988-09-30"])
    resolve(access)
    a, a2, b, b2 = canon(access, first, first_again, second, second_again)
    assert a == a2
    assert b == b2
    assert a != b


def test_first_name_only_stays_unresolved_and_says_so(access: DataAccess) -> None:
    lone = one(access, "U/1", "Wei")
    one(access, "U/2", "Zhang Wei", birthDate=["1984-03-02"])
    one(access, "U/3", "Wei Zhang", birthDate=["1984-03-02"])
    resolve(access)
    link = ResolutionAccess(access).links([lone])[lone]
    assert link["origin"] == "unresolved"
    assert "too little to compare" in link["note"]
    others = [r["canonical_id"] for r in ResolutionAccess(access).iter_links() if r["entity_id"] != lone]
    assert link["canonical_id"] not in others
