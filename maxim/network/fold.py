"""Fold visible statements into graph nodes and evidence records. Pure.

Nodes are canonical entities:
- a Person is its canonical id (entity resolution), or its mention id until resolution has run;
- a Vehicle is its VRM, a BankAccount its IBAN (or sort code and account), a Passport its
  number, an Address its normalised full text (never a postcode alone: too weak), a Company its
  normalised name; any of these without such a key stays its own mention;
- a strong identifier value a person or company holds (phone, email, passport number, ...;
  whatever the identifier registry calls strong) is a node of its own, so two people who share a
  phone meet at that phone, and the evidence path shows it.

Every record is one hop with the report behind it: `(node_a, node_b, relation, report_id)`.
FollowTheMoney link schemata (Associate, Family, Employment, Ownership, UnknownLink, Payment,
Membership, ...) give their edge's two ends; `addressEntity` links an entity to its address.
Properties named in `protected` (nationality, ethnicity, religion, sex ...) are never read.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from followthemoney import model

from maxim.domain.identifiers.registry import REGISTRY
from maxim.network.model import Fact, Subject

# Node kinds (a short code each, also the prefix of keyed node ids).
PERSON = "person"
KIND_OF_PREFIX = {"vrm": "vehicle", "iban": "account", "account": "account", "sortcode_account": "account"}
SKIPPED_SCHEMATA = frozenset({"PlainText", "Document", "Pages", "Page", "Article"})
PAYMENT_ACCOUNTS = (("payer", "payerAccount"), ("beneficiary", "beneficiaryAccount"))
COMENTION = "co-mentioned"
_PUNCT = re.compile(r"[^\w\s]")
_SPACE = re.compile(r"\s+")
_COMPANY_SUFFIX = re.compile(r"\b(ltd|limited|plc|llp|llc|co|company)\b")


def normal_text(value: str) -> str:
    return _SPACE.sub(" ", _PUNCT.sub(" ", value.casefold())).strip()


def company_key(name: str) -> str:
    return _SPACE.sub(" ", _COMPANY_SUFFIX.sub(" ", normal_text(name))).strip()


@dataclass(slots=True)
class Mention:
    """A Person mention: the node it belongs to and what the report says about it."""

    entity_id: str
    node: str
    report_id: str
    names: list[str] = field(default_factory=list)
    birth_dates: list[str] = field(default_factory=list)
    categories: set[str] = field(default_factory=set)


@dataclass(slots=True)
class Folded:
    kinds: dict[str, str]  # node id -> kind
    captions: dict[str, str]  # node id -> a caption from the evidence
    records: list[tuple[str, str, str, str]]  # (node_a, node_b, relation, report_id)
    node_of: dict[str, str]  # entity (mention) id -> node id
    mentions: list[Mention]
    amounts: list[tuple[str, str, float, str]]  # (payer node, beneficiary node, GBP amount, report_id)
    countries: list[tuple[str, str, str]]  # (node, ISO country, report_id): accounts and addresses abroad


@dataclass(slots=True)
class _Entity:
    schema: str
    report_id: str
    props: dict[str, list[Fact]] = field(default_factory=lambda: defaultdict(list))

    def values(self, prop: str) -> list[str]:
        return [f.value for f in self.props.get(prop, ()) if f.valid]


def _strong(kind: str | None) -> bool:
    return kind is not None and kind in REGISTRY and REGISTRY[kind].strong


def node_kind(node: str) -> str:
    """The kind of a keyed node from its prefix (`vrm:` is a vehicle, `iban:` an account)."""
    prefix, sep, _ = node.partition(":")
    return KIND_OF_PREFIX.get(prefix, prefix) if sep else "entity"


def _key(entity_id: str, ent: _Entity, canonical: Callable[[str], str]) -> tuple[str, str, str]:
    """(node id, kind, caption) of a non-link entity."""
    schema = model.get(ent.schema)
    if schema is not None and schema.is_a("Person"):
        names = ent.values("name") or ent.values("alias") or ["person"]
        return canonical(entity_id), PERSON, names[0]
    node, caption = entity_id, ent.schema
    if ent.schema == "Vehicle" and (vrm := ent.values("registrationNumber")):
        node, caption = f"vrm:{vrm[0]}", vrm[0]
    elif ent.schema == "BankAccount" and (iban := ent.values("iban")):
        node, caption = f"iban:{iban[0]}", iban[0]
    elif ent.schema == "BankAccount" and ent.values("bankCode") and ent.values("accountNumber"):
        sort, acct = ent.values("bankCode")[0], ent.values("accountNumber")[0]
        node, caption = f"account:{sort}/{acct}", f"{sort} {acct}"
    elif ent.schema == "Passport" and (numbers := ent.values("number") or ent.values("passportNumber")):
        node, caption = f"passport:{numbers[0]}", numbers[0]
    elif ent.schema == "Address" and (full := ent.values("full")):
        node, caption = f"address:{normal_text(full[0])}", full[0]
    elif schema is not None and schema.is_a("Organization") and (name := ent.values("name")):
        node, caption = f"company:{company_key(name[0])}", name[0]
    else:
        caption = next((v for p in ("name", "full", "number", "registrationNumber") for v in ent.values(p)), caption)
        return node, ent.schema.lower(), caption
    return node, node_kind(node), caption


def _gbp(ent: _Entity) -> float | None:
    currency = (ent.values("currency") or ["GBP"])[0].upper()
    if currency != "GBP":
        return None
    for raw in ent.values("amount"):
        try:
            return float(raw.replace(",", ""))
        except ValueError:
            continue
    return None


def fold(
    facts: Iterable[Fact],
    subjects: Iterable[Subject] = (),
    *,
    canonical: Callable[[str], str] = lambda entity_id: entity_id,
    protected: Iterable[str] = (),
    comention: frozenset[str] = frozenset(),
) -> Folded:
    """Nodes and evidence records from visible facts.

    `canonical` maps a Person mention id to its canonical id (resolution). `comention` names the
    data-subject categories whose persons, named together in one report, are linked by it
    (empty: no co-mention links).
    """
    skip = frozenset(protected)
    entities: dict[str, _Entity] = {}
    for fact in facts:
        if fact.prop in skip or fact.schema in SKIPPED_SCHEMATA:
            continue
        ent = entities.get(fact.entity_id)
        if ent is None:
            ent = entities[fact.entity_id] = _Entity(fact.schema, fact.report_id)
        ent.props[fact.prop].append(fact)
    categories: dict[tuple[str, str], set[str]] = defaultdict(set)
    for s in subjects:
        categories[(s.entity_id, s.report_id)].add(s.category)

    # One order whatever order the facts came in (report, then entity), so a fold of some reports
    # gives every node they hold the same caption, records and payments, in the same order, as a
    # fold of all of them: an incremental update then agrees with a full rebuild.
    entities = dict(sorted(entities.items(), key=lambda item: (item[1].report_id, item[0])))
    kinds: dict[str, str] = {}
    captions: dict[str, str] = {}
    node_of: dict[str, str] = {}
    links: dict[str, _Entity] = {}
    for entity_id, ent in entities.items():
        schema = model.get(ent.schema)
        if schema is not None and schema.edge:
            links[entity_id] = ent
            continue
        node, kind, caption = _key(entity_id, ent, canonical)
        node_of[entity_id] = node
        kinds.setdefault(node, kind)
        captions.setdefault(node, caption)

    records: list[tuple[str, str, str, str]] = []
    mentions: list[Mention] = []
    amounts: list[tuple[str, str, float, str]] = []
    countries: list[tuple[str, str, str]] = []
    by_report: dict[str, list[Mention]] = defaultdict(list)
    for entity_id, ent in entities.items():
        if entity_id in links:
            continue
        node, rid = node_of[entity_id], ent.report_id
        if kinds[node] == PERSON:
            m = Mention(entity_id, node, rid, ent.values("name") + ent.values("alias"), ent.values("birthDate"))
            m.categories = categories.get((entity_id, rid), set())
            mentions.append(m)
            by_report[rid].append(m)
        for prop, values in ent.props.items():
            for f in values:
                if not f.valid:
                    continue
                if _strong(f.identifier_kind):
                    target = f"{f.identifier_kind}:{f.value}"
                    if target != node:
                        kinds.setdefault(target, node_kind(target))
                        captions.setdefault(target, f.value)
                        records.append((node, target, prop, rid))
                elif prop in ("addressEntity", "holder") and f.value in node_of:
                    records.append((node, node_of[f.value], prop, rid))
                elif prop == "country" and kinds[node] in ("address", "account", "company"):
                    countries.append((node, f.value.upper(), rid))
        if node.startswith("iban:"):
            countries.append((node, node[5:7].upper(), rid))

    for entity_id, ent in links.items():
        schema = model.get(ent.schema)
        assert schema is not None
        rid = ent.report_id
        source, target = schema.edge_source or "", schema.edge_target or ""
        label = ent.schema
        detail = ent.values("relationship") or ent.values("role")
        if detail:
            label = f"{ent.schema}: {detail[0]}"
        for a in ent.values(source):
            for b in ent.values(target):
                if a in node_of and b in node_of and node_of[a] != node_of[b]:
                    records.append((node_of[a], node_of[b], label, rid))
        if ent.schema == "Payment":
            for party, account in PAYMENT_ACCOUNTS:
                for a in ent.values(party):
                    for b in ent.values(account):
                        if a in node_of and b in node_of:
                            records.append((node_of[a], node_of[b], "Payment account", rid))
            amount = _gbp(ent)
            if amount is not None:
                for a in ent.values("payer"):
                    for b in ent.values("beneficiary"):
                        if a in node_of and b in node_of:
                            amounts.append((node_of[a], node_of[b], amount, rid))
        node_of[entity_id] = f"link:{entity_id}"

    if comention:
        for rid, group in by_report.items():
            named = sorted({m.node for m in group if m.categories & comention})
            for i, a in enumerate(named):
                for b in named[i + 1 :]:
                    records.append((a, b, COMENTION, rid))
    return Folded(kinds, captions, records, node_of, mentions, amounts, countries)


def canonical_lookup(mapping: Mapping[str, str]) -> Callable[[str], str]:
    """A Person mention id -> canonical id function: the mention itself when unmapped."""
    return lambda entity_id: mapping.get(entity_id, entity_id)
