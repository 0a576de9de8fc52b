"""Read-side queries of the analyst pages: search, an entity's neighbourhood, reports by id.

Everything goes through the data-access layer's seams — `DataAccess.visible_statements()` and
the access policy's report filter — so what a user may not see is never matched, counted or
listed. Full text uses SQLite FTS5 or PostgreSQL text search over the index that migration
`0007_search` keeps (`maxim/store/tables_search.py`); similar-name search ranks candidate
spellings (pg_trgm's trigram index on PostgreSQL, a prefix search on SQLite) by Jaro-Winkler
similarity.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from jellyfish import jaro_winkler_similarity
from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    String,
    TextClause,
    cast,
    func,
    literal_column,
    select,
    text,
    tuple_,
)

from maxim.domain.errors import FieldError, ValidationFailed
from maxim.reference.limits import load_limits
from maxim.store.access import DataAccess
from maxim.store.audit import Operation
from maxim.store.tables import reports, statements
from maxim.store.tables_search import (
    FOLD,
    NAME_PROPS,
    PG_NAME_PREDICATE,
    PG_NAME_VECTOR,
    PG_REPORT_VECTOR,
    trigram_schema,
)

FUZZY_THRESHOLD = 0.86
#: Distinct candidate spellings scored per search, at most (a common two-letter stem has thousands).
SPELLING_CANDIDATES = 20_000
_GRADING = re.compile(r"^\s*([123])?\s*([A-Ea-e])?\s*([PCpc])?\s*$")
_TOKEN = re.compile(r"\w+", re.UNICODE)


class BadSearch(ValidationFailed):
    """A filter that cannot be understood; the message names the field and the fix. A
    `ValidationFailed`, so whoever answers those (the web app: 422) answers this with the field."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__([FieldError(field, reason)])
        self.field = field
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Filters:
    theme: str | None = None
    grading: str | None = None
    unit: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    def where(self) -> list[ColumnElement[bool]]:
        """Conditions on `reports` for these filters."""
        out: list[ColumnElement[bool]] = []
        if self.theme:
            # themes is a JSON list of codes; its text holds each code in double quotes on both engines.
            out.append(cast(reports.c.themes, String).like(f'%"{self.theme}"%'))
        if self.grading:
            match = _GRADING.match(self.grading)
            if match is None or not any(match.groups()):
                raise BadSearch("grading", "use a 3x5x2 grading such as 1B, 2C C or C")
            source, assessment, handling = match.groups()
            if source:
                out.append(reports.c.source_evaluation == source)
            if assessment:
                out.append(reports.c.intelligence_assessment == assessment.upper())
            if handling:
                out.append(reports.c.handling_code == handling.upper())
        if self.unit:
            out.append(reports.c.originator == self.unit)
        if self.date_from:
            out.append(reports.c.received_at >= datetime.combine(self.date_from, time(), UTC))
        if self.date_to:
            out.append(reports.c.received_at < datetime.combine(self.date_to + timedelta(days=1), time(), UTC))
        return out


def tokens(query: str) -> list[str]:
    return [t.lower() for t in _TOKEN.findall(query)]


def search_words(query: str) -> list[str]:
    """The words of a search (`q`), refused when longer than `maxim/reference/limits.yaml` allows:
    every word is one more lookup in the index (5,000 of them once took 37 s)."""
    limits = load_limits()
    if len(query) > limits.search_characters:
        raise BadSearch(
            "q", f"is {len(query):,} characters long; a search may be at most {limits.search_characters} characters"
        )
    words = tokens(query)
    if len(words) > limits.search_words:
        raise BadSearch(
            "q",
            f"has {len(words):,} words; a search may have at most {limits.search_words} "
            "(every word must match, so fewer words find more)",
        )
    return list(dict.fromkeys(words))  # a word twice asks nothing more


def _prefix(word: str) -> bool:
    """Whether a word also matches as a prefix: not below `limits.yaml`'s `prefix_characters`,
    where a prefix (`a*`) would match most of the index; shorter words match whole words."""
    return len(word) >= load_limits().prefix_characters


def _fts5(words: Iterable[str], prefix: bool = True) -> str:
    """An FTS5 query that ANDs the words as quoted terms: no user input is read as FTS syntax."""
    return " ".join(f'"{w}"' + ("*" if prefix and _prefix(w) else "") for w in words)


def _tsquery(words: Iterable[str]) -> str:
    """The PostgreSQL `to_tsquery` of the words, ANDed, prefixes as `_fts5` (tokens are `\\w+`)."""
    return " & ".join(w + (":*" if _prefix(w) else "") for w in words)


def _is_sqlite(data: DataAccess) -> bool:
    return data.db.is_sqlite


def _report_match(data: DataAccess, words: list[str]) -> ColumnElement[bool] | TextClause:
    if _is_sqlite(data):
        return literal_column("reports.rowid").in_(
            text("SELECT rowid FROM search_reports WHERE search_reports MATCH :report_q").bindparams(
                report_q=_fts5(words)
            )
        )
    return text(f"{PG_REPORT_VECTOR} @@ plainto_tsquery('english', :report_q)").bindparams(report_q=" ".join(words))


def _name_match(data: DataAccess, fts_query: str, pg_query: str) -> ColumnElement[bool] | TextClause:
    if _is_sqlite(data):
        return _fts5_name_match(fts_query)
    return text(f"{PG_NAME_PREDICATE} AND {PG_NAME_VECTOR} @@ to_tsquery('simple', :name_q)").bindparams(
        name_q=pg_query
    )


def _fts5_name_match(fts_query: str) -> ColumnElement[bool]:
    return literal_column("statements.rowid").in_(
        text("SELECT rowid FROM search_names WHERE search_names MATCH :name_q").bindparams(name_q=fts_query)
    )


def search_reports(
    data: DataAccess, query: str, filters: Filters, *, limit: int = 20, offset: int = 0
) -> tuple[int, list[dict[str, Any]]]:
    """Current reports the actor may see that match every word (and the filters), newest first."""
    words = search_words(query)
    conditions: list[Any] = [reports.c.is_current, data.policy.report_filter(data.actor), *filters.where()]
    if words:
        conditions.append(_report_match(data, words))
    base = select(reports.c.id).where(*conditions)
    listing = (
        select(
            reports.c.id,
            reports.c.originator,
            reports.c.reference,
            reports.c.kind,
            reports.c.title,
            reports.c.text,
            reports.c.received_at,
            reports.c.source_evaluation,
            reports.c.intelligence_assessment,
            reports.c.handling_code,
            reports.c.migrated,
            reports.c.themes,
        )
        .where(*conditions)
        .order_by(reports.c.received_at.desc(), reports.c.id)
        .limit(limit)
        .offset(offset)
    )
    with data.db.reader.connect() as conn:
        total = int(conn.execute(select(func.count()).select_from(base.subquery())).scalar_one())
        rows = [dict(r._mapping) for r in conn.execute(listing)]
    for row in rows:
        row["snippet"] = snippet(row.pop("text"), words)
    if rows:
        data.audit(Operation.CONSULTATION, "report", [r["id"] for r in rows], justification="search")
    return total, rows


def snippet(body: str, words: Sequence[str], width: int = 180) -> str:
    """The part of a report's text around the first word found, for the result list."""
    lower = body.lower()
    hits = [i for i in (lower.find(w) for w in words) if i >= 0]
    start = max(0, min(hits) - width // 3) if hits else 0
    part = body[start : start + width].strip()
    return ("…" if start else "") + part + ("…" if start + width < len(body) else "")


def normalise_name(name: str) -> str:
    """Lower case, no accents, words sorted: 'ZHANG  Wei' and 'Wei Zhang' compare equal."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return " ".join(sorted(tokens(plain)))


def search_names(
    data: DataAccess, query: str, filters: Filters, *, limit: int = 20, fuzzy: bool = True
) -> list[dict[str, Any]]:
    """Entities whose names match every word exactly (prefixes count), then similar names.

    Each result: the entity, its names as given, the schema, how many visible reports name it,
    and `match` (`exact`, or `similar` with its Jaro-Winkler `score`).
    """
    words = search_words(query)
    if not words:
        return []
    columns = (statements.c.entity_id, statements.c.schema, statements.c.value, statements.c.report_id)
    scope = [statements.c.prop.in_(NAME_PROPS), *filters.where()]
    exact_q = data.visible_statements(*columns).where(*scope, _name_match(data, _fts5(words), _tsquery(words)))
    found: dict[str, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []
    with data.db.reader.connect() as conn:
        for row in conn.execute(exact_q.limit(2000)):
            _collect(found, row, "exact", 1.0)
        # Exact matches sort before similar ones, so with `limit` of them no similar name could be
        # shown: skip the similar-name step (most of a search's cost).
        if fuzzy and len(found) < limit:
            similar = _similar_spellings(data, conn, query, words)
            if similar:
                # Only now the access filter, on the few statements that give a similar spelling:
                # joining every candidate row to its report cost ten times the rest of a search.
                candidates = data.visible_statements(*columns).where(
                    *scope, statements.c.identifier_kind.is_(None), statements.c.value.in_(list(similar))
                )
                for row in conn.execute(candidates):
                    if row.entity_id not in found or found[row.entity_id]["match"] != "exact":
                        _collect(found, row, "similar", similar[row.value])
        # Ranked by the names as given, so that only the page's entities need their captions (a
        # common name has hundreds of exact matches).
        ranked = sorted(found.values(), key=lambda r: (r["match"] != "exact", -r["score"], min(r["names"])))
        results = ranked[:limit]
    if results:  # captions through need-to-know, as every page shows them
        headers = data.headers([r["entity_id"] for r in results])
        for item in results:
            item["caption"] = headers.get(item["entity_id"], {}).get("caption", item["names"][0])
    for item in results:
        item["reports"] = len(item.pop("report_ids"))
    if results:
        data.audit(Operation.CONSULTATION, "entity", [r["entity_id"] for r in results], justification="search")
    return results


def _similar_spellings(data: DataAccess, conn: Connection, query: str, words: list[str]) -> dict[str, float]:
    """Name spellings similar to the query, each with its Jaro-Winkler similarity.

    Candidates come from an index, whoever's statements give them: on PostgreSQL the distinct
    spellings (`name_spellings`) whose trigrams, in lower case with accents folded, are close to
    the query's (pg_trgm's `%`, at its default threshold of 0.3); on SQLite the spellings that
    share the first two letters of some word with it. Similarity decides. No spelling leaves
    Maxim unless a visible statement gives it (the caller's query applies the access filter).
    """
    if _is_sqlite(data):
        stems = sorted({w[:2] for w in words if len(w) >= 2})
        if not stems:
            return {}
        match = _fts5_name_match(" OR ".join(f'"{s}"*' for s in stems))
        spellings = select(statements.c.value).where(statements.c.prop.in_(NAME_PROPS), match).distinct()
    else:
        operator = f'OPERATOR("{_trigram_schema(data, conn)}".%)'
        spellings = (
            select(literal_column("value", String))
            .select_from(text("name_spellings"))
            .where(text(f"folded {operator} :folded").bindparams(folded=query.lower().translate(FOLD)))
        )
    target = normalise_name(query)
    scores = (
        (value, jaro_winkler_similarity(target, normalise_name(value)))
        for value in conn.execute(spellings.limit(SPELLING_CANDIDATES)).scalars()
    )
    return {value: round(score, 3) for value, score in scores if score >= FUZZY_THRESHOLD}


_TRIGRAM_SCHEMAS: dict[str, str] = {}


def _trigram_schema(data: DataAccess, conn: Connection) -> str:
    """Where migration 0012_name_spellings found or put pg_trgm, looked up once per database."""
    schema = _TRIGRAM_SCHEMAS.get(data.db.url)
    if schema is None:
        found = trigram_schema(conn)
        if found is None:
            raise RuntimeError("PostgreSQL has no pg_trgm extension: run `maxim init` to migrate")
        schema = _TRIGRAM_SCHEMAS[data.db.url] = found
    return schema


def _collect(found: dict[str, dict[str, Any]], row: Any, match: str, score: float) -> None:
    item = found.setdefault(
        row.entity_id,
        {"entity_id": row.entity_id, "schema": row.schema, "names": [], "report_ids": set(), "match": match},
    )
    item["score"] = round(max(score, item.get("score", 0.0)), 3)
    if row.value not in item["names"]:
        item["names"].append(row.value)
    item["report_ids"].add(row.report_id)


# -- neighbourhood and timeline -------------------------------------------------------------

STATEMENT_COLUMNS = (
    statements.c.entity_id,
    statements.c.schema,
    statements.c.prop,
    statements.c.value,
    statements.c.identifier_kind,
    statements.c.valid,
    statements.c.report_id,
)


def statements_of(data: DataAccess, entity_ids: Sequence[str]) -> list[dict[str, Any]]:
    """Visible statements whose subject is one of `entity_ids`."""
    if not entity_ids:
        return []
    query = data.visible_statements(*STATEMENT_COLUMNS).where(statements.c.entity_id.in_(list(entity_ids)))
    with data.db.reader.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def statements_pointing_at(data: DataAccess, entity_id: str, props: Sequence[str]) -> list[dict[str, Any]]:
    """Visible statements of the given entity-valued properties whose value is `entity_id`."""
    query = data.visible_statements(*STATEMENT_COLUMNS).where(
        # Entity references never carry an identifier kind (`maxim.intake.statements`), and saying
        # so lets the (identifier_kind, value) index find them instead of scanning all of it.
        statements.c.identifier_kind.is_(None),
        statements.c.value == entity_id,
        statements.c.prop.in_(list(props)),
    )
    with data.db.reader.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def statements_sharing(
    data: DataAccess, keys: Sequence[tuple[str, str]], exclude: str, limit: int
) -> list[dict[str, Any]]:
    """Visible statements of other entities carrying one of the (identifier kind, value) pairs."""
    if not keys:
        return []
    query = (
        data.visible_statements(*STATEMENT_COLUMNS)
        .where(
            tuple_(statements.c.identifier_kind, statements.c.value).in_(list(keys)),
            statements.c.valid,
            statements.c.entity_id != exclude,
        )
        .order_by(statements.c.identifier_kind, statements.c.value, statements.c.entity_id)
        .limit(limit)
    )
    with data.db.reader.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def entity_headers(data: DataAccess, entity_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Schema and caption of entities the caller reached through visible statements (`DataAccess.headers`)."""
    return data.headers(entity_ids)


def reports_by_id(data: DataAccess, report_ids: Sequence[str]) -> list[dict[str, Any]]:
    """The visible reports among `report_ids`, oldest intelligence first."""
    if not report_ids:
        return []
    query: Select[Any] = (
        select(
            reports.c.id,
            reports.c.originator,
            reports.c.reference,
            reports.c.kind,
            reports.c.title,
            reports.c.received_at,
            reports.c.intelligence_date,
            reports.c.source_evaluation,
            reports.c.intelligence_assessment,
            reports.c.handling_code,
            reports.c.migrated,
            reports.c.themes,
        )
        .where(reports.c.id.in_(list(report_ids)), data.policy.report_filter(data.actor))
        .order_by(reports.c.received_at, reports.c.id)
    )
    with data.db.reader.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def rebuild_index(data: DataAccess) -> None:
    """Rebuild the SQLite FTS5 index from its tables (after a VACUUM); PostgreSQL needs nothing."""
    if not _is_sqlite(data):
        return
    names = ", ".join(f"'{p}'" for p in NAME_PROPS)
    with data.db.writer.begin() as conn:
        conn.exec_driver_sql("INSERT INTO search_reports(search_reports) VALUES ('rebuild')")
        conn.exec_driver_sql("INSERT INTO search_names(search_names) VALUES ('delete-all')")
        conn.exec_driver_sql(
            f"INSERT INTO search_names(rowid, value) SELECT rowid, value FROM statements WHERE prop IN ({names})"
        )
