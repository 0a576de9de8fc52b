"""Deterministic resolution of vehicles, addresses and organisations by their identifiers. Pure.

People need a probabilistic model because names are spelt every way; a vehicle, a premises or
a company usually carries something that says what it is. So these mentions are linked by rules
over normalised identifiers, and only where an identifier allows it:

- a Vehicle by its registration mark (the identifier registry's VRM, so `ab12 cde` is `AB12CDE`);
- an Address by postcode, flat and house number, with streets that are spellings of one street
  (`maxim.resolve.addresses`);
- a Company or Organization by registration number within its jurisdiction (a number given
  without one joins them only when no other jurisdiction claims it), or by normalised name and
  postcode (its own, or its address entity's).

The outputs are those of Person resolution: one `Assignment` per mention, canonical ids stable
while the lowest member stays, the rule that linked each mention in its note, and mentions with
no identifier kept apart as `unresolved` with the reason. Analysts' judgements win as they do
for people: a current "same" joins its pair whatever the rules say, a "not same" forbids its pair
ever ending in one cluster, whatever chain of shared identifiers would join them. Two clusters
whose organisations carry different registration numbers, or name different jurisdictions, are
never joined by a rule. Deterministic for the same input, whatever its order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from maxim.domain.identifiers import normalise
from maxim.extract.text import find_identifiers
from maxim.resolve.addresses import FirstLine, first_line, same_street
from maxim.resolve.cluster import Assignment, canonical_id, find_root, forbidden_pairs

#: Schema -> the family its mentions are resolved within.
FAMILIES: Mapping[str, str] = {
    "Vehicle": "vehicle",
    "Address": "address",
    "Company": "organisation",
    "Organization": "organisation",
}
SCHEMATA = tuple(FAMILIES)
PROPS = frozenset(
    {"registrationNumber", "jurisdiction", "name", "postalCode", "full", "street", "address", "addressEntity"}
)

IDENTIFIER_PROPS = frozenset({"registrationNumber", "postalCode"})

_ORG_SUFFIX = re.compile(r"\b(?:ltd|limited|plc|llp|llc|lp|co|company|inc|incorporated|corp|corporation)\b")
_NOT_WORD = re.compile(r"[^\w\s]")
_NOT_ALNUM = re.compile(r"[^0-9A-Z]")


@dataclass(frozen=True, slots=True)
class Rule:
    """Mentions sharing `key` are candidates; `reason` is the sentence their link carries."""

    key: str
    reason: str


@dataclass(frozen=True, slots=True)
class Identified:
    """What deterministic resolution compares about one mention."""

    mention_id: str
    family: str
    rules: tuple[Rule, ...] = ()
    line: FirstLine | None = None  # addresses: compared street by street within a rule's block
    exclusive: Mapping[str, frozenset[str]] = field(default_factory=dict)  # must not differ in a cluster
    why_unresolved: str | None = None


def org_name_key(name: str) -> str:
    """A company name without case, punctuation or legal form: `A.B.C. Ltd` -> `a b c`."""
    text = _NOT_WORD.sub(" ", name.casefold().replace("&", " and "))
    words = _ORG_SUFFIX.sub(" ", text).split()
    if words and words[0] == "the":
        words = words[1:]
    return " ".join(words)


def registration_key(number: str) -> str:
    """A registration number without spaces or punctuation; leading zeros of a number dropped."""
    compact = _NOT_ALNUM.sub("", number.upper())
    return (compact.lstrip("0") or "0") if compact.isdigit() else compact


def _postcode(text: str) -> str | None:
    found = normalise("postcode", text)
    if found.value:
        return found.value
    return next((f.value for f in find_identifiers(text) if f.kind == "postcode" and f.value), None)


def vehicle(mention_id: str, props: Mapping[str, Sequence[str]]) -> Identified:
    """A vehicle's rule is its registration mark, through the registry so every spelling is one.

    A mark the registry refuses (a foreign plate, a typo) links nothing: the mention stays
    unresolved with the registry's reason, since a wrong mark joined would join two vehicles.
    """
    marks, invalid = [], []
    for value in props.get("registrationNumber", ()):
        found = normalise("vrm", value)
        if found.value:
            marks.append(found.value)
        else:
            invalid.append(f"{value!r} ({found.reason})")
    rules = tuple(Rule(f"vrm:{m}", f"same registration mark {m}") for m in sorted(set(marks)))
    why = None
    if not rules:
        why = f"registration mark not valid: {', '.join(invalid)}" if invalid else "no registration mark"
    return Identified(mention_id, "vehicle", rules, why_unresolved=why)


def address_postcode(props: Mapping[str, Sequence[str]]) -> str | None:
    """The address's postcode: its own property first, else one in its full text."""
    for value in (*props.get("postalCode", ()), *props.get("full", ())):
        found = _postcode(value)
        if found:
            return found
    return None


def address(mention_id: str, props: Mapping[str, Sequence[str]]) -> Identified:
    """An address's rule blocks on postcode, flat and house number; streets are compared in `link`."""
    postcode = address_postcode(props)
    # The full address first: a street line leaves out the flat.
    lines = (first_line(text, postcode) for text in (*props.get("full", ()), *props.get("street", ())))
    line = next((x for x in lines if x is not None), None)
    if postcode is None or line is None:
        missing = [
            what
            for what, absent in (("valid postcode", postcode is None), ("house number and street", line is None))
            if absent
        ]
        return Identified(mention_id, "address", why_unresolved="no " + " and no ".join(missing))
    flat = f"flat {line.flat}, " if line.flat else ""
    rule = Rule(
        f"address:{postcode}|{line.flat}|{line.number}", f"same postcode {postcode}, {flat}number {line.number}"
    )
    return Identified(mention_id, "address", (rule,), line=line)


def org_numbers(props: Mapping[str, Sequence[str]]) -> set[str]:
    return {registration_key(v) for v in props.get("registrationNumber", ())} - {""}


def org_jurisdictions(props: Mapping[str, Sequence[str]]) -> set[str]:
    return {v.strip().casefold() for v in props.get("jurisdiction", ())} - {""}


def organisation(
    mention_id: str,
    props: Mapping[str, Sequence[str]],
    address_postcodes: Mapping[str, str | None],
    number_jurisdictions: Mapping[str, set[str]],
) -> Identified:
    """An organisation's rules: registration number within its jurisdiction, and name at a postcode.

    A number given without a jurisdiction joins the mentions that give one only when every
    mention naming that number agrees on the jurisdiction; when they differ it is ambiguous,
    and links only to other mentions that give no jurisdiction either.
    """
    numbers, jurisdictions = org_numbers(props), org_jurisdictions(props)
    postcodes = {address_postcodes.get(a) for a in props.get("addressEntity", ())}
    postcodes |= {_postcode(v) for v in props.get("address", ())}
    names = {org_name_key(v) for v in props.get("name", ())} - {""}
    rules = []
    for n in sorted(numbers):
        seen = number_jurisdictions.get(n, set())
        places = sorted(jurisdictions) or (sorted(seen) if len(seen) == 1 else [""])
        rules += [Rule(f"org-number:{n}|{j}", f"same registration number {n}") for j in places]
    rules += [
        Rule(f"org-name:{n}|{p}", f"same name {n!r} at postcode {p}")
        for n in sorted(names)
        for p in sorted(x for x in postcodes if x)
    ]
    why = None if rules else "no registration number, and no name with a postcode"
    exclusive = {"registration numbers": frozenset(numbers), "jurisdictions": frozenset(jurisdictions)}
    return Identified(mention_id, "organisation", tuple(rules), exclusive=exclusive, why_unresolved=why)


def identified_mentions(rows: Iterable[tuple[str, str, str, str, bool]]) -> dict[str, dict[str, Identified]]:
    """family -> mention id -> what is compared, from (entity_id, schema, prop, value, valid) statements.

    Every mention of a resolved schema is kept, even with nothing to compare, so it can be
    reported unresolved. Identifiers are normalised again here, so an invalid one only ever
    explains why a mention stayed alone; other invalid values (a jurisdiction that is not a
    country) are left out rather than compared as typed.
    """
    schema_of: dict[str, str] = {}
    props: dict[str, dict[str, list[str]]] = {}
    for entity_id, schema, prop, value, valid in rows:
        if schema not in FAMILIES:
            continue
        schema_of[entity_id] = schema
        values = props.setdefault(entity_id, {})
        if prop in PROPS and (valid or prop in IDENTIFIER_PROPS):
            values.setdefault(prop, []).append(value)
    for values in props.values():
        for v in values.values():
            v.sort()  # statement order is the database's: the rules must not depend on it
    postcodes = {eid: address_postcode(props[eid]) for eid, s in schema_of.items() if FAMILIES[s] == "address"}
    number_jurisdictions: dict[str, set[str]] = {}
    for eid, schema in schema_of.items():
        if FAMILIES[schema] == "organisation":
            for number in org_numbers(props[eid]):
                number_jurisdictions.setdefault(number, set()).update(org_jurisdictions(props[eid]))
    out: dict[str, dict[str, Identified]] = {family: {} for family in sorted(set(FAMILIES.values()))}
    for eid in sorted(schema_of):
        family = FAMILIES[schema_of[eid]]
        if family == "vehicle":
            found = vehicle(eid, props[eid])
        elif family == "address":
            found = address(eid, props[eid])
        else:
            found = organisation(eid, props[eid], postcodes, number_jurisdictions)
        out[family][eid] = found
    return out


class _Groups:
    """Union-find over mentions, refusing joins a judgement or an exclusive value forbids."""

    def __init__(self, mentions: Mapping[str, Identified]) -> None:
        self.parent = {m: m for m in mentions}
        self.members = {m: [m] for m in mentions}
        self.exclusive = {m: {k: set(v) for k, v in i.exclusive.items() if v} for m, i in mentions.items()}
        self.forbidden: dict[str, set[str]] = {}

    def find(self, x: str) -> str:
        return find_root(self.parent, x)

    def refusal(self, ra: str, rb: str, *, rules: bool) -> str | None:
        small, big = sorted((self.members[ra], self.members[rb]), key=len)
        big_set = set(big)
        for m in small:
            other = sorted(self.forbidden.get(m, set()) & big_set)
            if other:
                return f"judged not the same ({min(m, other[0])} ≠ {max(m, other[0])})"
        if rules:
            a, b = self.exclusive[ra], self.exclusive[rb]
            for what in sorted(a.keys() & b.keys()):
                if not a[what] & b[what]:
                    return f"{what} differ ({', '.join(sorted(a[what] | b[what]))})"
        return None

    def union(self, x: str, y: str, *, rules: bool) -> str | None:
        """Join the clusters of x and y; None when joined, else why not."""
        ra, rb = self.find(x), self.find(y)
        if ra == rb:
            return None
        why = self.refusal(ra, rb, rules=rules)
        if why is not None:
            return why
        if len(self.members[ra]) < len(self.members[rb]):
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.members[ra].extend(self.members.pop(rb))
        for what, values in self.exclusive.pop(rb).items():
            self.exclusive[ra].setdefault(what, set()).update(values)
        return None


def link(
    mentions: Mapping[str, Identified],
    *,
    same: Sequence[tuple[str, str]] = (),
    not_same: Sequence[tuple[str, str]] = (),
) -> list[Assignment]:
    """Every mention's cluster under the rules and the analysts' judgements."""
    groups = _Groups(mentions)
    groups.forbidden = forbidden_pairs(not_same, mentions)
    judged: set[str] = set()
    for a, b in sorted(same):
        if a in mentions and b in mentions and groups.union(a, b, rules=False) is None:
            judged.update((a, b))
    blocks: dict[str, tuple[str, list[str]]] = {}
    for mid in sorted(mentions):
        for rule in mentions[mid].rules:
            blocks.setdefault(rule.key, (rule.reason, []))[1].append(mid)
    linked: dict[str, str] = {}
    refused: dict[str, str] = {}
    for key in sorted(blocks):
        reason, members = blocks[key]
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if groups.find(a) == groups.find(b):
                    continue
                why = reason
                line_a, line_b = mentions[a].line, mentions[b].line
                if line_a is not None and line_b is not None:
                    if not same_street(line_a, line_b):
                        continue
                    streets = sorted({line_a.street, line_b.street})
                    why = f"{reason}, {' ~ '.join(streets)}"
                refusal = groups.union(a, b, rules=True)
                if refusal is None:
                    linked.setdefault(a, why)
                    linked.setdefault(b, why)
                else:
                    refused.setdefault(a, f"{reason} as {b}, kept apart: {refusal}")
                    refused.setdefault(b, f"{reason} as {a}, kept apart: {refusal}")
    out = []
    for members in groups.members.values():
        cid = canonical_id(members)
        alone = len(members) == 1
        for m in sorted(members):
            found = mentions[m]
            if alone and not found.rules:
                out.append(Assignment(m, cid, None, "unresolved", found.why_unresolved))
            elif m in judged:
                out.append(Assignment(m, cid, 1.0, "judgement"))
            elif alone:
                out.append(Assignment(m, cid, None, "model", refused.get(m)))
            else:
                out.append(Assignment(m, cid, 1.0, "model", linked.get(m)))
    out.sort(key=lambda x: x.mention_id)
    return out


def resolve_identified(
    rows: Iterable[tuple[str, str, str, str, bool]],
    *,
    same: Sequence[tuple[str, str]] = (),
    not_same: Sequence[tuple[str, str]] = (),
) -> dict[str, list[Assignment]]:
    """family -> assignments of its mentions, from (entity_id, schema, prop, value, valid) statements."""
    return {
        family: link(mentions, same=same, not_same=not_same) for family, mentions in identified_mentions(rows).items()
    }
