"""Parse and validate one report from its intake form (docs/intake-format.md).

Pure: a mapping in, a `ReportInput` out, or `ValidationFailed` listing every field that is
wrong and why. Nothing is stored here, so a refused report leaves no trace.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from followthemoney import model
from followthemoney.types import registry

from maxim.domain.errors import FieldError, ValidationFailed
from maxim.domain.grading import Grading, one_of, parse_grading
from maxim.reference import Reference
from maxim.reference.limits import load_limits

FIELDS = (
    "kind",
    "originator",
    "reference",
    "received_at",
    "intelligence_date",
    "source_evaluation",
    "intelligence_assessment",
    "handling_code",
    "handling_conditions",
    "action_code",
    "sanitisation_code",
    "share_with",
    "legacy_grading",
    "nim_level",
    "themes",
    "title",
    "text",
    "entities",
)
ENTITY_FIELDS = ("id", "schema", "role", "role_detail", "properties")
MAX_TEXT = 200_000
MAX_VALUE = 10_000


@dataclass(frozen=True, slots=True)
class EntityInput:
    local_id: str
    schema: str
    properties: dict[str, list[str]]
    role: str | None = None
    role_detail: str | None = None


@dataclass(frozen=True, slots=True)
class ReportInput:
    kind: str
    originator: str
    reference: str
    received_at: datetime
    intelligence_date: date | None
    grading: Grading
    nim_level: int | None
    themes: tuple[str, ...]
    title: str
    text: str
    entities: tuple[EntityInput, ...]
    share_with: tuple[str, ...] = ()

    @property
    def content_hash(self) -> str:
        """A hash of the validated content: formatting differences do not make a new version."""
        body = {
            "kind": self.kind,
            "received_at": self.received_at.isoformat(),
            "intelligence_date": self.intelligence_date.isoformat() if self.intelligence_date else None,
            "grading": [
                self.grading.source_evaluation,
                self.grading.intelligence_assessment,
                self.grading.handling_code,
                self.grading.handling_conditions,
                self.grading.action_code,
                self.grading.sanitisation_code,
                self.grading.legacy_grading,
            ],
            "nim_level": self.nim_level,
            "share_with": sorted(self.share_with),
            "themes": sorted(self.themes),
            "title": self.title,
            "text": self.text,
            "entities": [
                [e.local_id, e.schema, e.role, e.role_detail, sorted(e.properties.items())]
                for e in sorted(self.entities, key=lambda e: e.local_id)
            ],
        }
        raw = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def parse_datetime(value: Any) -> datetime | None:
    """An ISO 8601 date or date-time as an aware UTC datetime (naive means UTC); None if not one."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _parse_date(value: Any) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _text(raw: Mapping[str, Any], name: str, errors: list[FieldError], limit: int) -> str:
    value = raw.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        errors.append(FieldError(name, f"must be text, got {type(value).__name__}"))
        return ""
    if len(value) > limit:
        errors.append(FieldError(name, f"is longer than {limit} characters"))
    return value


def _values(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def _entity(raw: Any, i: int, ref: Reference, errors: list[FieldError]) -> EntityInput | None:
    where = f"entities[{i}]"
    if not isinstance(raw, Mapping):
        errors.append(FieldError(where, "must be an object"))
        return None
    failed = len(errors)
    for key in raw:
        if key not in ENTITY_FIELDS:
            errors.append(FieldError(f"{where}.{key}", f"unknown field; allowed: {', '.join(ENTITY_FIELDS)}"))
    local_id = raw.get("id")
    if not isinstance(local_id, str) or not local_id.strip():
        errors.append(FieldError(f"{where}.id", "is required (an id unique within the report)"))
        local_id = ""
    schema = model.get(str(raw.get("schema") or ""))
    if schema is None:
        errors.append(FieldError(f"{where}.schema", f"is not a FollowTheMoney schema: {raw.get('schema')!r}"))
        return None
    if schema.abstract:
        errors.append(FieldError(f"{where}.schema", f"{schema.name} is abstract; use a concrete schema"))
    role = raw.get("role")
    role_detail = raw.get("role_detail")
    if schema.is_a("Person"):
        if not isinstance(role, str) or role not in ref.data_subject_categories:
            errors.append(
                FieldError(
                    f"{where}.role",
                    f"a Person needs its data-subject category: {one_of(ref.data_subject_categories)}",
                )
            )
        elif role == "other" and not (isinstance(role_detail, str) and role_detail.strip()):
            errors.append(FieldError(f"{where}.role_detail", "role 'other' must say what the person is"))
    elif role is not None:
        errors.append(FieldError(f"{where}.role", "is only for Person entities"))
    props = raw.get("properties") or {}
    properties: dict[str, list[str]] = {}
    if not isinstance(props, Mapping):
        errors.append(FieldError(f"{where}.properties", "must be an object of property: [values]"))
        props = {}
    for name, value in props.items():
        prop = schema.properties.get(name)
        field = f"{where}.properties.{name}"
        if prop is None:
            errors.append(FieldError(field, f"is not a property of {schema.name}"))
            continue
        if prop.stub:
            errors.append(FieldError(field, "is a reverse property; set it on the other entity"))
            continue
        values = _values(value)
        if values is None:
            errors.append(FieldError(field, "must be a string or a list of strings"))
            continue
        if any(len(v) > MAX_VALUE for v in values):
            errors.append(FieldError(field, f"has a value longer than {MAX_VALUE} characters"))
            continue
        values = [v.strip() for v in values if v.strip()]
        if values:
            properties[name] = values
    if len(errors) > failed:
        return None
    return EntityInput(
        local_id=local_id.strip(),
        schema=schema.name,
        properties=properties,
        role=role if isinstance(role, str) else None,
        role_detail=role_detail.strip() if isinstance(role_detail, str) and role_detail.strip() else None,
    )


def _share_with(value: Any, handling: str | None, ref: Reference, errors: list[FieldError]) -> tuple[str, ...]:
    """Units and roles a handling-code C report's conditions name (besides the originator)."""
    if value in (None, "", []):
        return ()
    if isinstance(value, str):
        value = [v.strip() for v in value.split(";") if v.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors.append(FieldError("share_with", "must be a list of unit codes or roles"))
        return ()
    if handling == "P":
        errors.append(FieldError("share_with", "is only allowed under handling_code C (P material is shared already)"))
        return ()
    out = []
    for item in value:
        grantee = item.strip()
        if grantee.upper() in ref.units:
            out.append(grantee.upper())
        elif grantee.lower() in ref.roles:
            out.append(grantee.lower())
        else:
            errors.append(FieldError("share_with", f"{item!r} is neither a unit code nor a role"))
    return tuple(dict.fromkeys(out))


def _check_references(entities: list[EntityInput], errors: list[FieldError]) -> None:
    ids = {}
    for i, entity in enumerate(entities):
        if entity.local_id in ids:
            errors.append(FieldError(f"entities[{i}].id", f"{entity.local_id!r} is used twice"))
        ids[entity.local_id] = entity
    for i, entity in enumerate(entities):
        schema = model.get(entity.schema)
        assert schema is not None
        for name, values in entity.properties.items():
            prop = schema.properties[name]
            if prop.type != registry.entity:
                continue
            for value in values:
                target = ids.get(value)
                field = f"entities[{i}].properties.{name}"
                if target is None:
                    errors.append(FieldError(field, f"points at {value!r}, which is not an entity of this report"))
                elif prop.range is not None and not model.get(target.schema).is_a(prop.range):  # type: ignore[union-attr]
                    errors.append(
                        FieldError(
                            field,
                            f"must point at a {prop.range.name}, {value!r} is a {target.schema}",
                        )
                    )


_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def unstorable_text(raw: Mapping[str, Any]) -> list[FieldError]:
    """Each field whose text holds a lone surrogate or a control character other than tab,
    newline and carriage return. Neither is text a person wrote: a surrogate cannot be encoded
    (so the report could not be hashed or stored) and PostgreSQL refuses NUL where SQLite keeps
    it, so both engines refuse them here, before anything else looks at the report."""
    errors: list[FieldError] = []

    def walk(value: Any, field: str) -> None:
        if field == "entities" and isinstance(value, str):  # entities sent as a JSON string
            try:
                value = json.loads(value)
            except ValueError:
                return  # parse_report says why
        if isinstance(value, str):
            found = _UNSTORABLE.search(value)
            if found:
                errors.append(FieldError(field, _unstorable_reason(found.group(), found.start())))
        elif isinstance(value, Mapping):
            for key, item in value.items():
                name = _UNSTORABLE.sub(_escaped, str(key))  # the field is named in the answer
                where = f"{field}.{name}" if field else name
                walk(key, where)  # a key is text too
                walk(item, where)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, f"{field}[{i}]" if isinstance(item, Mapping) else field)

    walk(raw, "")
    return errors


def _escaped(found: re.Match[str]) -> str:
    return f"\\u{ord(found.group()):04x}"


def _unstorable_reason(char: str, at: int) -> str:
    code = f"U+{ord(char):04X}"
    if "\ud800" <= char <= "\udfff":
        return f"holds a lone surrogate ({code}) at character {at + 1}: it is not valid Unicode text"
    name = "a NUL character" if char == "\x00" else "a control character"
    return f"holds {name} ({code}) at character {at + 1}; only tab, newline and carriage return are allowed"


def _entities(entities_raw: list[Any], ref: Reference, errors: list[FieldError]) -> list[EntityInput]:
    """The report's entities, within the size limits (`maxim/reference/limits.yaml`): a report
    naming thousands is refused before any of them is read, as is one giving more values than
    the statements a report may hold, so no later stage works on its size."""
    limits = load_limits()
    if len(entities_raw) > limits.report_entities:
        errors.append(
            FieldError(
                "entities",
                f"names {len(entities_raw):,} entities; a report may name at most {limits.report_entities:,}: "
                "split it into several reports",
            )
        )
        return []
    entities = [e for i, r in enumerate(entities_raw) if (e := _entity(r, i, ref, errors)) is not None]
    given = sum(len(values) for e in entities for values in e.properties.values())
    if given > limits.report_statements:
        errors.append(
            FieldError(
                "entities",
                f"give {given:,} property values (one statement each); a report may give at most "
                f"{limits.report_statements:,}: split it into several reports",
            )
        )
    elif len(entities) == len(entities_raw):
        _check_references(entities, errors)
    return entities


def parse_report(raw: Any, ref: Reference) -> ReportInput:
    """Validate one report; raise `ValidationFailed` with every reason it is refused."""
    if not isinstance(raw, Mapping):
        raise ValidationFailed([FieldError("report", "must be a JSON object")])
    errors: list[FieldError] = []
    for key in raw:
        if key not in FIELDS:
            errors.append(FieldError(str(key), "unknown field; see docs/intake-format.md"))
    errors.extend(unstorable_text(raw))
    kind = raw.get("kind")
    if not isinstance(kind, str) or kind not in ref.report_kinds:
        errors.append(FieldError("kind", f"must be {one_of(ref.report_kinds)}, got {kind!r}"))
    originator = raw.get("originator")
    if not isinstance(originator, str) or ref.originator_name(originator) is None:
        errors.append(FieldError("originator", f"is not a known unit or partner code: {originator!r}"))
    reference = raw.get("reference")
    if not isinstance(reference, str) or not reference.strip():
        errors.append(FieldError("reference", "is required (the originator's own reference)"))
    elif len(reference) > 200:
        errors.append(FieldError("reference", "is longer than 200 characters"))
    received_at = parse_datetime(raw.get("received_at"))
    if raw.get("received_at") in (None, ""):
        errors.append(FieldError("received_at", "is required"))
    elif received_at is None:
        errors.append(FieldError("received_at", f"is not a date: {raw.get('received_at')!r}"))
    intelligence_date = None
    if raw.get("intelligence_date") not in (None, ""):
        intelligence_date = _parse_date(raw.get("intelligence_date"))
        if intelligence_date is None:
            errors.append(FieldError("intelligence_date", f"is not a date: {raw.get('intelligence_date')!r}"))
        elif received_at is not None and intelligence_date > received_at.date():
            errors.append(FieldError("intelligence_date", "is after received_at"))
    grading, grading_errors = parse_grading(raw, ref.grading)
    errors.extend(grading_errors)
    nim_level = raw.get("nim_level")
    if nim_level in (None, ""):
        nim_level = None
    else:
        try:
            nim_level = -1 if isinstance(nim_level, bool) else int(nim_level)
        except (TypeError, ValueError, OverflowError):
            nim_level = -1
        if nim_level not in ref.nim_levels:
            errors.append(FieldError("nim_level", f"must be {one_of(ref.nim_levels)}, got {raw.get('nim_level')!r}"))
    themes_raw = raw.get("themes") or []
    if isinstance(themes_raw, str):
        themes_raw = [t for t in (p.strip() for p in themes_raw.split(";")) if t]
    if not isinstance(themes_raw, list):
        errors.append(FieldError("themes", "must be a list of theme codes"))
        themes_raw = []
    themes = tuple(str(t).strip().upper() for t in themes_raw)
    for theme in themes:
        if theme not in ref.themes:
            errors.append(FieldError("themes", f"unknown theme {theme!r}; known: {', '.join(ref.themes)}"))
    share_with = _share_with(raw.get("share_with"), grading.handling_code if grading else None, ref, errors)
    title = _text(raw, "title", errors, 500)
    text = _text(raw, "text", errors, MAX_TEXT)
    entities_raw = raw.get("entities") or []
    if isinstance(entities_raw, str):
        try:
            entities_raw = json.loads(entities_raw)
        except json.JSONDecodeError as exc:
            errors.append(FieldError("entities", f"is not valid JSON: {exc.msg} at character {exc.pos}"))
            entities_raw = []
    if not isinstance(entities_raw, list):
        errors.append(FieldError("entities", "must be a list of entities"))
        entities_raw = []
    entities = _entities(entities_raw, ref, errors)
    if errors:
        raise ValidationFailed(errors)
    assert grading is not None and received_at is not None
    return ReportInput(
        kind=str(kind),
        originator=str(originator),
        reference=str(reference).strip(),
        received_at=received_at,
        intelligence_date=intelligence_date,
        grading=grading,
        nim_level=nim_level,
        themes=tuple(dict.fromkeys(themes)),
        title=title.strip(),
        text=text,
        entities=tuple(entities),
        share_with=share_with,
    )
