"""Limits benchmark: no single upload or search holds the server (`maxim/reference/limits.yaml`).

For each engine (SQLite file, PostgreSQL schema), on a database of N scenario reports with its
networks stored (so every report submitted runs the incremental network update), through the
real app in process (`POST /api/reports`, `GET /search.json`), each timed end to end:

- a 20,000-person report (the size that once held the network update's lock for 15 minutes):
  refused by the body limit (413); and the same report as a batch row is (no body limit there)
  refused by the entity limit. Baseline: `json.loads` of the same body, the least any server
  does with it;
- a report at the limits (500 persons, five to a phone, each named in a sentence), twice: on
  phones new to the database, and on the scenario's own phones (so it joins most of its
  networks, and the update recomputes them): stored via the API, with candidates,
  deconfliction and the network update; then the update alone (`update_networks`) for a second
  report of the same shape, and the part of it that holds the scope's lock (the writes; the
  neighbourhood is read and recomputed before the lock is taken). Baseline: the same report
  stored with no network update (`DataAccess.submit` alone);
- search with `q = "a " * 5000` (refused, naming `q`) and `q = a*` (a whole-word search now).
  Baseline: a one-word search (`nail`) through the same endpoint.

Targets: each answered within seconds (< 5 s). Which persons each sentence of a report names
(read by the harm score and role inference in every update) is timed against asking every
sentence about every name, as before, on the same text. Then, once per engine, what the limits
now prevent: the 20,000-person report stored bypassing them and its network update (no target).

    .venv/bin/python bench/limits.py [--reports 3000] [--postgres URL] [--no-unlimited]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Figure, peak_rss_mib, write
from maxim.intake.batch import ingest_file
from maxim.intake.parse import ReportInput, parse_report
from maxim.intake.statements import build_record
from maxim.network.sentences import named_by_sentence, split_sentences
from maxim.reference import load_reference
from maxim.reference.limits import load_limits
from maxim.scenario import write_scenario
from maxim.security.auth import issue_token
from maxim.security.users import ensure_local_admin
from maxim.settings import Settings
from maxim.store.access import DataAccess
from maxim.store.engine import connect
from maxim.store.migrate import upgrade
from maxim.store.network_access import NetworkAccess, update_networks
from maxim.web.app import create_app

TARGET_S = 5.0
HUGE = 20_000
NOW = datetime(2026, 4, 1, tzinfo=UTC)


KNOWN = "07700 900"  # the scenario's mobiles: a report on these joins most of its networks
NEW = "0117 496 0"  # another Ofcom drama range, which the scenario never uses


def big_report(reference: str, persons: int, phones: str = KNOWN) -> dict[str, Any]:
    """`persons` people on shared phones (five to a phone), each named in a sentence of the text
    (as long as the text's limit allows) with words the harm score and role inference read."""
    people = [
        {
            "id": f"p{i}",
            "schema": "Person",
            "role": ("suspect", "victim", "witness", "suspect")[i % 4],
            "properties": {"name": [f"Benchperson N{i:05d}x"], "phone": [f"{phones}{(i // 5) % 1000:03d}"]},
        }
        for i in range(persons)
    ]
    sentences = (f"Benchperson N{i:05d}x controls the flat and carries a knife." for i in range(persons))
    return {
        "kind": "intelligence",
        "originator": "BOCU-LAMBETH",
        "reference": reference,
        "received_at": "2026-03-01T10:00:00Z",
        "source_evaluation": "2",
        "intelligence_assessment": "B",
        "handling_code": "P",
        "themes": ["TRAFFICKING"],
        "title": "Limits benchmark",
        "text": " ".join(sentences)[:200_000],
        "entities": people,
    }


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def within(name: str, value: float, baseline: float | None) -> Figure:
    ratio = round(value / baseline, 3) if baseline else None
    rounded = None if baseline is None else round(baseline, 4)
    return Figure(name, round(value, 3), "s", rounded, ratio, f"< {TARGET_S:g} s", value < TARGET_S)


@contextmanager
def app_client(url: str, data_dir: Path, access: DataAccess) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=url, data_dir=data_dir))
    token = issue_token(access.db, access.actor, name="bench", days=1, now=datetime.now(UTC), channel="bench")
    try:
        with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
            yield client
    finally:
        app.state.db.dispose()


def refusals(label: str, client: TestClient) -> list[Figure]:
    """The 20,000-person report through the API (body limit) and as a batch row (entity limit)."""
    body = json.dumps(big_report("LAM/2026/HUGE", HUGE)).encode()
    raw, _ = timed(lambda: json.loads(body))
    took, response = timed(
        lambda: client.post("/api/reports", content=body, headers={"Content-Type": "application/json"})
    )
    assert response.status_code == 413, response.text
    fields = [e["field"] for e in response.json()["error"]["errors"]]
    assert fields == ["body"], fields
    parsed, refused = timed(lambda: _refused(json.loads(body)))
    assert [e.field for e in refused] == ["entities"], refused
    print(f"{label}: {len(body):,} bytes refused in {took:.3f} s (413); as a batch row in {parsed:.3f} s")
    return [
        within(f"{label} 20,000-person report refused (API, 413)", took, raw),
        within(f"{label} 20,000-person report refused (batch row, entity limit)", parsed, raw),
    ]


def _refused(raw: dict[str, Any]) -> list[Any]:
    from maxim.domain.errors import ValidationFailed

    try:
        parse_report(raw, load_reference())
    except ValidationFailed as exc:
        return exc.errors
    raise AssertionError("the 20,000-person report was accepted")


@contextmanager
def lock_held() -> Iterator[list[float]]:
    """The time each network update spends writing, holding the scope's lock (its `_apply`)."""
    held: list[float] = []
    apply = NetworkAccess._apply

    def timed_apply(self: NetworkAccess, *args: Any) -> list[str]:
        start = time.perf_counter()
        try:
            return apply(self, *args)
        finally:
            held.append(time.perf_counter() - start)

    NetworkAccess._apply = timed_apply  # type: ignore[method-assign]
    try:
        yield held
    finally:
        NetworkAccess._apply = apply  # type: ignore[method-assign]


def at_the_limit(label: str, client: TestClient, access: DataAccess, phones: str, shape: str) -> list[Figure]:
    limits = load_limits()
    n = limits.report_entities
    took, response = timed(lambda: client.post("/api/reports", json=big_report(f"LIMIT/{phones[:4]}/1", n, phones)))
    assert response.status_code == 201, response.text
    ref = load_reference()
    second, third = (
        build_record(parse_report(big_report(f"LIMIT/{phones[:4]}/{k}", n, phones), ref), received_by="bench", now=NOW)
        for k in (2, 3)
    )
    [stored] = access.submit([second])
    with lock_held() as held:
        update, changed = timed(lambda: update_networks(access, [stored.report_id]))
    assert all(v is not None for v in changed.values()), changed  # no scope failed and was forgotten
    raw, _ = timed(lambda: access.submit([third]))
    print(
        f"{label}: report at the limit ({shape}) stored via the API in {took:.3f} s; its network update "
        f"{update:.3f} s, of which {sum(held):.3f} s holding the scope lock"
    )
    return [
        within(f"{label} report at the limit ({n} persons, {shape}) stored via the API", took, raw),
        within(f"{label} network update of a report at the limit ({shape})", update, raw),
        within(f"{label} network update of a report at the limit ({shape}): holding the scope lock", sum(held), raw),
    ]


def searches(label: str, client: TestClient) -> list[Figure]:
    def get(q: str) -> Any:
        return client.get("/search.json", params={"q": q})

    base, plain = timed(lambda: get("nail"))
    assert plain.status_code == 200, plain.text
    huge, refused = timed(lambda: get("a " * 5000))
    assert refused.status_code == 422 and refused.json()["error"]["errors"][0]["field"] == "q", refused.text
    star, short = timed(lambda: get("a*"))
    assert short.status_code == 200, short.text
    print(f"{label}: search 'a '*5000 refused in {huge:.3f} s, 'a*' answered in {star:.3f} s, 'nail' {base:.3f} s")
    return [
        within(f'{label} search q="a "*5000 refused (422, q)', huge, base),
        within(f"{label} search q=a* answered", star, base),
    ]


def unlimited(label: str, access: DataAccess) -> list[Figure]:
    """What the limits prevent: the 20,000-person report stored bypassing them, and its update."""
    ref = load_reference()
    small = parse_report(big_report("LAM/2026/UNLIMITED", 1), ref)
    people = [parse_report(big_report("X", 1) | {"entities": [e]}, ref).entities[0] for e in _people(HUGE)]
    report: ReportInput = replace(small, entities=tuple(people), text=big_report("X", HUGE)["text"])
    record = build_record(report, received_by="bench", now=NOW)
    stored_s, [stored] = timed(lambda: access.submit([record]))
    update, _ = timed(lambda: update_networks(access, [stored.report_id]))
    print(f"{label}: unlimited 20,000-person report stored in {stored_s:.1f} s, network update {update:.1f} s")
    return [
        Figure(f"{label} 20,000-person report bypassing the limits: network update", round(update, 3), "s"),
    ]


def matching(label: str, persons: int) -> Figure:
    """Which persons each sentence names, for one report of `persons` people: the one pass over
    the text the harm score and role inference now make, against asking every sentence about
    every name (what they did before, twice per update, under the lock)."""
    body = big_report("X", persons)
    names = [[n.casefold() for n in e["properties"]["name"]] for e in body["entities"]]
    sentences = split_sentences(body["text"])
    fast, found = timed(lambda: named_by_sentence(sentences, names))
    slow, naive = timed(lambda: [[i for i, ns in enumerate(names) if any(n in s for n in ns)] for s in sentences])
    assert found == naive
    print(f"{label}: sentences x names for {persons:,} persons: {fast:.3f} s, asking every sentence {slow:.3f} s")
    return within(f"{label} persons named per sentence, {persons:,} persons", fast, slow)


def _people(n: int) -> list[dict[str, Any]]:
    entities: list[dict[str, Any]] = big_report("X", n)["entities"]
    return entities


def run(label: str, url: str, scenario: Path, data_dir: Path, with_unlimited: bool) -> list[Figure]:
    db = connect(url)
    upgrade(db)
    access = DataAccess(db, ensure_local_admin(db), channel="bench")
    summary = ingest_file(scenario / "reports.jsonl", access, load_reference(), workers=os.cpu_count() or 1)
    assert summary.rejected == 0, summary.first_errors
    NetworkAccess(access).refresh()
    figures: list[Figure] = []
    with app_client(url, data_dir, access) as client:
        figures += refusals(label, client)
        figures += at_the_limit(label, client, access, NEW, "new phones")
        figures += at_the_limit(label, client, access, KNOWN, "phones the scenario knows")
        figures += searches(label, client)
    if with_unlimited:
        figures += unlimited(label, access)
    db.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=3000)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--no-unlimited", action="store_true", help="skip the 20,000-person report bypassing limits")
    args = parser.parse_args()
    load_start = os.getloadavg()
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as tmp:
        scenario = Path(tmp) / "scenario"
        write_scenario(scenario, seed=7, reports=args.reports)
        sqlite_url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        figures += run("sqlite", sqlite_url, scenario, Path(tmp), not args.no_unlimited)
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = connect(args.postgres)
        with admin.writer.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            url = f"{args.postgres}?options=-csearch_path%3D{schema}"
            figures += run("postgresql", url, scenario, Path(tmp), not args.no_unlimited)
        finally:
            with admin.writer.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    figures.append(matching("pure", load_limits().report_entities))
    if not args.no_unlimited:
        figures.append(matching("pure", HUGE))
    figures.append(Figure("peak memory", round(peak_rss_mib(), 2), "MiB"))
    write(
        "limits",
        figures,
        reports=args.reports,
        limits=load_limits().__repr__(),
        load_average={"start": load_start, "end": os.getloadavg()},
    )


if __name__ == "__main__":
    main()
