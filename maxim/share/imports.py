"""Partner material in: FollowTheMoney JSONL and Maxim packages become intake-format reports.

Every import goes the way of any other report (`parse_report`, `build_record`,
`DataAccess.submit`, then the deconfliction check and network update of any new report), so it
is validated, idempotent and deconflicted like the rest. Imports are all or nothing: every row
is converted and validated first, every problem is collected with the file, the line or row,
and the property, and only a file with none is submitted, in one transaction.

References are derived from the file and the entity ids (FtM) or from the originator's own
reference (packages), so the same file twice adds nothing and a corrected item arrives as a
new version of the report it corrects.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from followthemoney import model
from followthemoney.types import registry

from maxim.domain.errors import FieldError, ValidationFailed
from maxim.intake.parse import ReportInput, parse_report
from maxim.intake.statements import build_record
from maxim.network.deconflict import check_deconfliction_batch
from maxim.reference import Reference
from maxim.share.manifest import PackageRefused, read_zip
from maxim.share.package import CONTEXT
from maxim.share.service import trusted_keys
from maxim.store.access import DataAccess, Outcome, Submitted
from maxim.store.share_access import ShareAccess

GRADING_FIELDS = (
    "source_evaluation",
    "intelligence_assessment",
    "handling_code",
    "handling_conditions",
    "action_code",
    "sanitisation_code",
)
UNKNOWN_ROLE_DETAIL = "named in partner data; data-subject category not supplied"


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason an import is refused: the file, where in it, the field or property, and why."""

    source: str
    where: str
    field: str
    reason: str

    def __str__(self) -> str:
        place = " ".join(p for p in (self.source, self.where) if p)
        return f"{place}: {self.field}: {self.reason}" if self.field else f"{place}: {self.reason}"


class ImportRefused(ValueError):
    """Nothing was imported; `problems` lists every reason."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        shown = "; ".join(str(p) for p in self.problems[:20])
        more = f" (and {len(self.problems) - 20} more)" if len(self.problems) > 20 else ""
        super().__init__(f"import refused, nothing was imported: {shown}{more}")


@dataclass(frozen=True, slots=True)
class Defaults:
    """Report fields the command line supplies where the file does not (grading, handling, dates)."""

    source_evaluation: str | None = None
    intelligence_assessment: str | None = None
    handling_code: str | None = None
    handling_conditions: str | None = None
    action_code: str | None = None
    sanitisation_code: str | None = None
    share_with: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    received_at: datetime | None = None

    def grading(self) -> dict[str, str]:
        return {k: v for k in GRADING_FIELDS if (v := getattr(self, k))}

    @property
    def has_grading(self) -> bool:
        return bool(self.source_evaluation and self.intelligence_assessment and self.handling_code)


GRADING_HELP = (
    "no grading or handling code supplied; give --source-evaluation (1-3), --intelligence-assessment (A-E) "
    "and --handling-code (P/C), and for C also --handling-conditions, --action-code and --sanitisation-code"
)


@dataclass(slots=True)
class Candidate:
    """One report built from a file, where it came from, and how to name its fields back to the file."""

    where: str
    raw: dict[str, Any]
    locate: Callable[[FieldError], tuple[str, str]] | None = None


@dataclass(slots=True)
class Prepared:
    inputs: list[ReportInput] = field(default_factory=list)
    notices: list[dict[str, Any]] = field(default_factory=list)


def validate(candidates: Sequence[Candidate], ref: Reference, source: str) -> list[ReportInput]:
    """Parse every candidate; refuse the whole file with every problem if any is wrong."""
    problems: list[Problem] = []
    inputs: list[ReportInput] = []
    for candidate in candidates:
        try:
            inputs.append(parse_report(candidate.raw, ref))
        except ValidationFailed as exc:
            for error in exc.errors:
                where, name = candidate.locate(error) if candidate.locate else (candidate.where, error.field)
                problems.append(Problem(source, where, name, error.reason))
    if problems:
        raise ImportRefused(problems)
    return inputs


def submit(access: DataAccess, inputs: Sequence[ReportInput]) -> list[Submitted]:
    """Store validated reports in one transaction (all or none), then run what follows any new
    report (`maxim.network.deconflict.check_deconfliction_batch`, once for the import): partner
    material touching another unit's live operation alerts like any report, and the stored
    networks take it in. Every import (FtM, packages, mapped tables, HTCDS, SARs) stores here."""
    now = access.clock()
    submitted = access.submit([build_record(i, received_by=access.actor.username, now=now) for i in inputs])
    check_deconfliction_batch(access, [s.report_id for s in submitted if s.outcome != Outcome.UNCHANGED])
    return submitted


def _stable(text: str, limit: int = 200) -> str:
    """A reference of at most `limit` characters; long ones keep their start and a hash of the whole."""
    if len(text) <= limit:
        return text
    digest = hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()[:16]
    return f"{text[: limit - 17]}~{digest}"


# -- FollowTheMoney entities ----------------------------------------------------------------


@dataclass(slots=True)
class FtmEntity:
    line: int
    data: dict[str, Any]


def _context_ok(context: Any) -> bool:
    """Maxim's entity context, if any, has the shape the import reads (reports, role, invalid values)."""
    if context is None:
        return True
    if not isinstance(context, dict):
        return False
    reports, invalid = context.get("reports") or [], context.get("invalid") or {}
    return (
        isinstance(reports, list)
        and all(isinstance(r, dict) for r in reports)
        and isinstance(invalid, dict)
        and all(isinstance(v, list) for v in invalid.values())
    )


def read_ftm(lines: Iterable[str], source: str) -> list[FtmEntity]:
    """Parse and check FtM JSONL: schema, properties, value types, references. Refuse with every problem."""
    problems: list[Problem] = []
    entities: list[FtmEntity] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"line {number}"
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem(source, where, "", f"is not valid JSON: {exc.msg} at column {exc.colno}"))
            continue
        except RecursionError:
            problems.append(Problem(source, where, "", "is nested too deeply to be an entity"))
            continue
        if not isinstance(data, dict):
            problems.append(Problem(source, where, "", "must be a JSON object (one entity a line)"))
            continue
        entity_id = data.get("id")
        if not isinstance(entity_id, str) or not entity_id.strip() or len(entity_id) > 180:
            problems.append(Problem(source, where, "id", "is required: a text id of at most 180 characters"))
            continue
        if entity_id in seen:
            problems.append(Problem(source, where, "id", f"{entity_id!r} is also on line {seen[entity_id]}"))
            continue
        seen[entity_id] = number
        schema = model.get(str(data.get("schema") or ""))
        if schema is None:
            problems.append(Problem(source, where, "schema", f"is not a FollowTheMoney schema: {data.get('schema')!r}"))
            continue
        if schema.abstract:
            problems.append(Problem(source, where, "schema", f"{schema.name} is abstract; use a concrete schema"))
            continue
        if not _context_ok(data.get(CONTEXT)):
            problems.append(Problem(source, where, CONTEXT, "must be an object; its reports objects, invalid lists"))
            continue
        props = data.get("properties") or {}
        if not isinstance(props, dict):
            problems.append(Problem(source, where, "properties", "must be an object of property: [values]"))
            continue
        clean: dict[str, list[str]] = {}
        for name, values in props.items():
            prop = schema.get(name)
            if prop is None:
                problems.append(Problem(source, where, f"properties.{name}", f"is not a property of {schema.name}"))
                continue
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                problems.append(Problem(source, where, f"properties.{name}", "must be a list of strings"))
                continue
            if prop.stub:
                continue  # reverse properties are implied by the other entity's forward one
            for value in values:
                if prop.type != registry.entity and not prop.type.validate(value):
                    problems.append(
                        Problem(source, where, f"properties.{name}", f"{value!r} is not a valid {prop.type.name}")
                    )
            clean[name] = [v for v in values if v.strip()]
        entities.append(FtmEntity(number, {**data, "schema": schema.name, "properties": clean}))
    for entity in entities:
        schema = model.get(entity.data["schema"])
        assert schema is not None
        for name, values in entity.data["properties"].items():
            prop = schema.properties[name]
            if prop.type != registry.entity:
                continue
            for value in values:
                if value not in seen:
                    problems.append(
                        Problem(
                            source,
                            f"line {entity.line}",
                            f"properties.{name}",
                            f"points at {value!r}, which is not an entity in this file",
                        )
                    )
    if problems:
        raise ImportRefused(problems)
    return entities


def _components(entities: Sequence[FtmEntity]) -> list[list[FtmEntity]]:
    """Entities joined by references, so each report holds everything its references need."""
    parent = {e.data["id"]: e.data["id"] for e in entities}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for entity in entities:
        schema = model.get(entity.data["schema"])
        assert schema is not None
        for name, values in entity.data["properties"].items():
            if schema.properties[name].type == registry.entity:
                for value in values:
                    a, b = find(entity.data["id"]), find(value)
                    if a != b:
                        parent[max(a, b)] = min(a, b)
    groups: dict[str, list[FtmEntity]] = defaultdict(list)
    for entity in entities:
        groups[find(entity.data["id"])].append(entity)
    return [groups[k] for k in sorted(groups)]


def _intake_entity(data: Mapping[str, Any]) -> dict[str, Any]:
    """An FtM entity as an intake-format entity: its id as the local id, values FtM refused restored."""
    context = data.get(CONTEXT) or {}
    props: dict[str, list[str]] = {k: list(v) for k, v in (data.get("properties") or {}).items() if v}
    for name, values in (context.get("invalid") or {}).items():
        props.setdefault(name, []).extend(str(v) for v in values)
    out: dict[str, Any] = {"id": data["id"], "schema": data["schema"], "properties": props}
    schema = model.get(str(data["schema"]))
    if schema is not None and schema.is_a("Person"):
        out["role"] = context.get("role") or "other"
        if out["role"] == "other":
            out["role_detail"] = context.get("role_detail") or UNKNOWN_ROLE_DETAIL
    return out


def _context_grading(context: Mapping[str, Any]) -> dict[str, str]:
    return {k: str(v) for k in GRADING_FIELDS if (v := context.get(k))}


def ftm_candidates(
    entities: Sequence[FtmEntity],
    *,
    source: str,
    partner: str,
    defaults: Defaults,
    ref: Reference,
) -> list[Candidate]:
    """One report per connected group of entities, graded from the entities' context or the defaults."""
    problems: list[Problem] = []
    candidates: list[Candidate] = []
    received = defaults.received_at
    for group in _components(entities):
        anchor = min(group, key=lambda e: e.data["id"])
        contexts = [((e.data.get(CONTEXT) or {}).get("reports") or [{}])[0] for e in group]
        grading = next((g for c in contexts if (g := _context_grading(c))), None) or defaults.grading()
        lines = ", ".join(str(e.line) for e in sorted(group, key=lambda e: e.line)[:5])
        where = f"line {lines}" if len(group) == 1 else f"lines {lines}{'…' if len(group) > 5 else ''}"
        if not {"source_evaluation", "intelligence_assessment", "handling_code"} <= set(grading):
            problems.append(Problem(source, where, "grading", GRADING_HELP))
            continue
        raw: dict[str, Any] = {
            "kind": "partner",
            "originator": partner,
            "reference": _stable(f"ftm:{source}:{anchor.data['id']}"),
            "received_at": received.isoformat() if received else None,
            **grading,
            "themes": list(defaults.themes),
            "title": f"{ref.originator_name(partner) or partner}: {anchor.data['schema']} {anchor.data['id']}"[:500],
            "text": "",
            "entities": [_intake_entity(e.data) for e in sorted(group, key=lambda e: e.data["id"])],
        }
        if grading.get("handling_code") == "C":
            raw["share_with"] = list(defaults.share_with)
        by_index = {i: e.line for i, e in enumerate(sorted(group, key=lambda e: e.data["id"]))}
        candidates.append(Candidate(where, raw, _ftm_locator(where, by_index)))
    if problems:
        raise ImportRefused(problems)
    return candidates


def _ftm_locator(where: str, lines: Mapping[int, int]) -> Callable[[FieldError], tuple[str, str]]:
    def locate(error: FieldError) -> tuple[str, str]:
        if error.field.startswith("entities["):
            index, _, rest = error.field[len("entities[") :].partition("]")
            if index.isdigit() and int(index) in lines:
                return f"line {lines[int(index)]}", rest.lstrip(".") or "entity"
        return where, error.field

    return locate


def import_ftm(
    access: DataAccess,
    lines: Iterable[str],
    *,
    source: str,
    partner: str,
    defaults: Defaults,
    ref: Reference,
) -> list[Submitted]:
    if partner not in ref.partners:
        raise ImportRefused(
            [Problem(source, "--from", "partner", f"{partner!r} is not a partner code (partners.yaml)")]
        )
    if defaults.received_at is None:  # "now" would make every re-import a new version
        raise ImportRefused([Problem(source, "", "received_at", "FtM carries no reception date; give --received-at")])
    entities = read_ftm(lines, source)
    inputs = validate(ftm_candidates(entities, source=source, partner=partner, defaults=defaults, ref=ref), ref, source)
    return submit(access, inputs)


# -- Maxim packages --------------------------------------------------------------------------


def _json_list(data: bytes, source: str, name: str) -> list[dict[str, Any]]:
    """A package's JSON file that must be a list of objects, or `ImportRefused` naming the file."""
    try:
        value = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ImportRefused([Problem(source, name, "", f"is not valid JSON ({exc})")]) from exc
    except RecursionError as exc:
        raise ImportRefused([Problem(source, name, "", "is nested too deeply")]) from exc
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ImportRefused([Problem(source, name, "", "must be a JSON list of objects")])
    return value


def package_candidates(
    head: Mapping[str, Any],
    files: Mapping[str, bytes],
    *,
    source: str,
    partner: str,
    defaults: Defaults,
    ref: Reference,
) -> tuple[list[Candidate], list[dict[str, Any]]]:
    """One report per package item, with the originator's grading and handling kept; and the notices."""
    problems: list[Problem] = []
    for required in ("entities.ftm.jsonl", "items.json"):
        if required not in files:
            problems.append(Problem(source, required, "", "is missing from the package"))
    if problems:
        raise ImportRefused(problems)
    try:
        text = files["entities.ftm.jsonl"].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ImportRefused([Problem(source, "entities.ftm.jsonl", "", f"is not UTF-8 text ({exc.reason})")]) from exc
    entities = read_ftm(text.splitlines(), f"{source}!entities.ftm.jsonl")
    items = _json_list(files["items.json"], source, "items.json")
    notices = _json_list(files.get("notices.json", b"[]"), source, "notices.json")
    by_report: dict[str, list[FtmEntity]] = defaultdict(list)
    for entity in entities:
        reports = (entity.data.get(CONTEXT) or {}).get("reports") or []
        if not reports:
            problems.append(Problem(source, f"entities.ftm.jsonl line {entity.line}", CONTEXT, "names no report"))
            continue
        by_report[str(reports[0].get("report_id"))].append(entity)
    candidates: list[Candidate] = []
    sender = head.get("created_by") or "unknown sender"
    for number, item in enumerate(items, start=1):
        where = f"items.json item {number}"
        grading = _context_grading(item)
        group = sorted(by_report.get(str(item.get("report_id")), []), key=lambda e: e.data["id"])
        raw: dict[str, Any] = {
            "kind": "partner",
            "originator": partner,
            "reference": _stable(f"{item.get('originator')}/{item.get('reference')}"),
            "received_at": item.get("received_at"),
            "intelligence_date": item.get("intelligence_date"),
            **grading,
            "nim_level": item.get("nim_level"),
            "themes": list(item.get("themes") or []),
            "title": str(item.get("title") or "")[:500],
            "text": "",
            "entities": [_intake_entity(e.data) for e in group],
        }
        if grading.get("handling_code") == "C":
            raw["share_with"] = list(defaults.share_with)
        lines = {i: e.line for i, e in enumerate(group)}
        candidates.append(Candidate(f"{where} (from {sender})", raw, _package_locator(where, lines)))
    if problems:
        raise ImportRefused(problems)
    return candidates, notices


def _package_locator(where: str, lines: Mapping[int, int]) -> Callable[[FieldError], tuple[str, str]]:
    def locate(error: FieldError) -> tuple[str, str]:
        if error.field.startswith("entities["):
            index, _, rest = error.field[len("entities[") :].partition("]")
            if index.isdigit() and int(index) in lines:
                return f"entities.ftm.jsonl line {lines[int(index)]}", rest.lstrip(".") or "entity"
        return where, error.field

    return locate


@dataclass(slots=True)
class PackageImport:
    package_id: str
    submitted: list[Submitted]
    notices: list[dict[str, Any]]


def import_package(
    access: DataAccess,
    data: bytes,
    *,
    source: str,
    partner: str | None,
    defaults: Defaults,
    ref: Reference,
) -> PackageImport:
    """Verify the signature and the manifest, then import every item as a report of the sender.

    The sender is the partner whose registered key signed the package; `partner` (`--from`),
    when given, must be that partner. Any fault refuses the whole package.
    """
    package = read_zip(data, source, trusted_keys(ShareAccess(access)))
    if partner is not None and partner != package.sender:
        raise PackageRefused(
            source, [f"signed with the key of {package.sender} ({package.key_id}), not of {partner} (--from)"]
        )
    if package.sender not in ref.partners:
        raise ImportRefused(
            [Problem(source, "manifest.json", "sender", f"{package.sender!r} is no longer a partner (partners.yaml)")]
        )
    candidates, notices = package_candidates(
        package.head, package.files, source=source, partner=package.sender, defaults=defaults, ref=ref
    )
    inputs = validate(candidates, ref, source)
    return PackageImport(str(package.head.get("package_id")), submit(access, inputs), notices)
