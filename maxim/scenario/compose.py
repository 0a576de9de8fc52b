"""Write one report about the world: originator, grading, entities and police-register text."""

from __future__ import annotations

import random
from collections import Counter, deque
from datetime import datetime, timedelta
from typing import Any

from maxim.scenario import identifiers as ids
from maxim.scenario.data import name_book, world
from maxim.scenario.model import TruthRow
from maxim.scenario.names import render
from maxim.scenario.population import (
    EPOCH_START,
    Account,
    Address,
    Company,
    Network,
    Person,
    Population,
    Vehicle,
    _borough_cum,
    pick_borough,
)

LOCAL_INCIDENT_RATE = 0.08  # reports about people outside any network
WITNESS_RATE = 0.15  # network reports that also name a bystander
BYSTANDER_RECUR_RATE = 0.2  # a bystander mention reuses a recent bystander
BYSTANDER_POOL = 500  # recent bystanders kept for recurrence (bounded memory)
LEGACY_RATE = 0.03  # non-SAR reports graded only in legacy 5x5x5
HANDLING_C_RATE = 0.15  # non-SAR reports with handling C (SARs always C): ~25% overall
DOB_MISSING_RATE = 0.45
DOB_YEAR_RATE = 0.08
DOB_YEAR_MONTH_RATE = 0.07
CLAIMED_DOB_RATE = 0.4  # age-disputed children: mentions giving the claimed adult DOB
FIRST_LAST_RATE = 0.3  # mentions that also carry firstName/lastName
ALIAS_MENTION_RATE = 0.4  # mentions of a person with a street name that give it
PHONE_FORMAT_RATE = 0.2  # phones written +44 / unspaced instead of 07700 900123
EXTRA_TEXT_IDENTIFIER_RATE = 0.05  # a phone or VRM named only in the text
CONVICTED_RATE = 0.05

SUSPECT_ROLES = {
    "controller": "the controlling figure in the group",
    "recruiter": "recruiting people for the group",
    "transporter": "a driver moving people for the group",
    "money_handler": "collecting and moving cash for the group",
    "document_forger": "supplying forged identity documents",
    "enforcer": "used to intimidate and punish workers",
    "associate": "an associate of the group",
}
_VISIBILITY = {
    "controller": 1.0,
    "recruiter": 2.0,
    "transporter": 2.5,
    "money_handler": 1.5,
    "document_forger": 1.5,
    "enforcer": 1.5,
    "associate": 2.5,
}
_CONDITIONS = (
    "Contact originator before any executive action",
    "Not to be disseminated outside the MPS without originator consent",
    "Do not disclose the source or technique to the subject",
    "Intelligence only: not for evidential use without originator consent",
)
_SAR_CONDITIONS = "SAR material: do not disclose the reporter's identity; not for evidential use"
_THEMES = {
    "sexual": ["TRAFFICKING", "VICE"],
    "labour": ["TRAFFICKING"],
    "criminal": ["TRAFFICKING"],
    "smuggling": ["PEOPLE_SMUGGLING", "IMMIGRATION_ABUSE"],
    "document": ["DOCUMENT_FRAUD"],
    "money": ["MONEY_LAUNDERING"],
}
_EXPLOITATION = {
    "sexual": "sexual exploitation",
    "labour": "labour exploitation",
    "criminal": "criminal exploitation (cannabis cultivation)",
    "smuggling": "facilitation of illegal entry",
}


def _fmt_phone(rng: random.Random, phone: str) -> str:
    if rng.random() >= PHONE_FORMAT_RATE:
        return phone
    digits = phone.replace(" ", "")
    return "+44" + digits[1:] if rng.random() < 0.5 else digits


class _Doc:
    """The report being written: entities with local ids, sentences, truth rows."""

    def __init__(self, composer: Composer) -> None:
        self.c = composer
        self.rng = composer.rng
        self.entities: list[dict[str, Any]] = []
        self.by_id: dict[str, dict[str, Any]] = {}
        self.sentences: list[str] = []
        self.people: list[tuple[str, Person]] = []
        self.names: dict[str, str] = {}
        self.phones: dict[str, str] = {}
        self.ids: dict[int, str] = {}
        self.n: Counter[str] = Counter()
        self.children = False

    def _id(self, prefix: str) -> str:
        self.n[prefix] += 1
        return f"{prefix}{self.n[prefix]}"

    def add(self, schema: str, prefix: str, props: dict[str, list[str]], **extra: str) -> str:
        lid = self._id(prefix)
        ent: dict[str, Any] = {"id": lid, "schema": schema}
        ent.update(extra)
        ent["properties"] = props
        self.entities.append(ent)
        self.by_id[lid] = ent
        return lid

    def link(self, schema: str, props: dict[str, list[str]]) -> str:
        return self.add(schema, "l", props)

    def person(self, p: Person, dpa: str, detail: str | None = None) -> str:
        key = id(p)
        if key in self.ids:
            return self.ids[key]
        rng, stats = self.rng, self.c.stats
        r = render(rng, p.culture, p.family, p.given, self.c.book.nicknames, stats)
        props: dict[str, list[str]] = {"name": [r.name]}
        stats["person_mentions"] += 1
        if rng.random() < FIRST_LAST_RATE:
            props["firstName"] = [r.first]
            props["lastName"] = [r.last]
        if p.alias:
            stats["alias_eligible"] += 1
            if rng.random() < ALIAS_MENTION_RATE:
                stats["alias"] += 1
                props["alias"] = [p.alias]
        x = rng.random()
        if x < DOB_MISSING_RATE:
            stats["dob_missing"] += 1
        else:
            dob = p.birth_date
            if p.claimed_birth_date and rng.random() < CLAIMED_DOB_RATE:
                dob = p.claimed_birth_date
                stats["dob_claimed_adult"] += 1
            if x < DOB_MISSING_RATE + DOB_YEAR_RATE:
                dob = dob[:4]
                stats["dob_partial"] += 1
            elif x < DOB_MISSING_RATE + DOB_YEAR_RATE + DOB_YEAR_MONTH_RATE:
                dob = dob[:7]
                stats["dob_partial"] += 1
            else:
                stats["dob_full"] += 1
            props["birthDate"] = [dob]
        if p.phone and rng.random() < 0.7:
            props["phone"] = [_fmt_phone(rng, p.phone)]
        if p.email and rng.random() < 0.5:
            props["email"] = [p.email]
        if p.passport and rng.random() < 0.3:
            props["passportNumber"] = [p.passport]
        if rng.random() < 0.6:
            props["nationality"] = [p.culture.nationality]
        if rng.random() < 0.4:
            props["gender"] = [p.gender]
        if detail is not None:
            lid = self.add("Person", "p", props, role=dpa, role_detail=detail)
        else:
            lid = self.add("Person", "p", props, role=dpa)
        self.ids[key] = lid
        self.people.append((lid, p))
        self.names[lid] = r.name
        if "phone" in props:
            self.phones[lid] = props["phone"][0]
        if p.is_child:
            self.children = True
        return lid

    def suspect(self, p: Person) -> str:
        if p.role in ("associate", "customer") and self.rng.random() < 0.5:
            detail = "associate" if p.role == "associate" else "document purchaser"
            return self.person(p, "other", detail)
        if p.role == "migrant":
            return self.exploited(p)
        return self.person(p, "convicted" if self.rng.random() < CONVICTED_RATE else "suspect")

    def exploited(self, p: Person) -> str:
        if p.role == "migrant" and self.rng.random() < 0.7:
            return self.person(p, "other", "smuggled migrant")
        if p.role == "customer":
            return self.person(p, "other", "document purchaser")
        return self.person(p, "victim")

    def address(self, a: Address) -> str:
        key = id(a)
        if key not in self.ids:
            props = {"full": [a.full], "postalCode": [a.postcode], "city": ["London"]}
            if self.rng.random() < 0.3:
                props["street"] = [a.street]
            self.ids[key] = self.add("Address", "a", props)
        return self.ids[key]

    def lives_at(self, person_lid: str, a: Address) -> str:
        """Person -> Address: FollowTheMoney's `addressEntity` on the Person."""
        alid = self.address(a)
        self.by_id[person_lid]["properties"]["addressEntity"] = [alid]
        return alid

    def vehicle(self, v: Vehicle) -> str:
        key = id(v)
        if key not in self.ids:
            self.ids[key] = self.add("Vehicle", "v", {"registrationNumber": [v.vrm], "model": [v.model]})
        return self.ids[key]

    def account(self, acc: Account, use_iban: bool) -> str:
        key = id(acc)
        if key not in self.ids:
            props = (
                {"iban": [acc.iban]}
                if use_iban or not acc.iban.startswith("GB")
                else {"accountNumber": [acc.number], "bankName": [acc.bank]}
            )
            self.ids[key] = self.add("BankAccount", "b", props)
        return self.ids[key]

    def company(self, co: Company) -> str:
        key = id(co)
        if key not in self.ids:
            alid = self.address(co.address)
            self.ids[key] = self.add("Company", "c", {"name": [co.name], "addressEntity": [alid]})
        return self.ids[key]


class Composer:
    """Writes reports one at a time; holds only the population and bounded state."""

    def __init__(self, rng: random.Random, pop: Population) -> None:
        self.rng = rng
        self.pop = pop
        self.book = name_book()
        self.world = world()
        self.bcum = _borough_cum(self.world)
        self.seq: Counter[str] = Counter()
        self.stats: Counter[str] = Counter()
        self.recent_bystanders: deque[Person] = deque(maxlen=BYSTANDER_POOL)
        self.mentioned: set[str] = set()  # bounded by the population (network members only)
        self.cultures = list(self.book.cultures.values())
        self.epoch = datetime(EPOCH_START.year, EPOCH_START.month, EPOCH_START.day)

    # -- originators and grading -------------------------------------------------------
    def borough(self, net: Network | None) -> tuple[str, str]:
        idx = net.borough_index if net and self.rng.random() < 0.6 else None
        if idx is None:
            idx = pick_borough(self.rng, self.bcum)
        b = self.world.boroughs[idx]
        return f"BOCU-{b.code}", b.prefix

    def reference(self, originator: str, prefix: str, year: int) -> str:
        self.seq[originator] += 1
        s = self.seq[originator]
        schemes = {
            "NCA": f"NCA/IR/{year}/{s:07d}",
            "UKHTC": f"UKHTC-{year}-{s:06d}",
            "UKFIU": f"FIU/SAR/{s:08d}",
            "INDUSTRY": f"IND/PRE/{s:06d}",
            "CO14": f"CO14/KON/{year}/{s:05d}",
            "SCD5-CAIC": f"PAL/{year}/{s:05d}",
            "SO18-HSU": f"HSU/LHR/{year}/{s:05d}",
            "HOIE": f"HOIE-{year}-{s:06d}",
            "CEOP": f"CEOP/CT/{s:07d}",
        }
        return schemes.get(originator, f"{prefix}/{year}/{s:06d}")

    def grading(self, kind: str) -> dict[str, Any]:
        rng = self.rng
        if kind != "sar" and rng.random() < LEGACY_RATE:
            src = rng.choices("ABCDE", weights=(1, 5, 3, 1, 2))[0]
            ev = rng.choices("12345", weights=(1, 4, 4, 2, 1))[0]
            hc = rng.choices("12345", weights=(5, 2, 1, 2, 1))[0]
            self.stats["legacy"] += 1
            return {"legacy_grading": f"{src}{ev}{hc}" if rng.random() < 0.7 else f"{src} {ev} {hc}"}
        g: dict[str, Any] = {
            "source_evaluation": rng.choices("123", weights=(30, 55, 15))[0],
            "intelligence_assessment": rng.choices("ABCDE", weights=(8, 47, 30, 10, 5))[0],
        }
        if kind == "sar" or rng.random() < HANDLING_C_RATE:
            g["handling_code"] = "C"
            g["handling_conditions"] = _SAR_CONDITIONS if kind == "sar" else rng.choice(_CONDITIONS)
            g["action_code"] = rng.choices(("A1", "A2", "A3"), weights=(3, 4, 2))[0]
            g["sanitisation_code"] = "S2" if kind == "sar" or rng.random() < 0.5 else "S1"
            # Who the conditions let see it besides the originator: the clearinghouse, mostly.
            if kind == "sar":
                g["share_with"] = ["SCD6-FIN", "SCD6-MAXIM"]
            elif rng.random() < 0.8:
                g["share_with"] = ["SCD6-MAXIM"] + (["SCD6-HTT"] if rng.random() < 0.3 else [])
        else:
            g["handling_code"] = "P"
        return g

    # -- people --------------------------------------------------------------------------
    def bystander(self) -> Person:
        rng = self.rng
        if self.recent_bystanders and rng.random() < BYSTANDER_RECUR_RATE:
            self.stats["bystander_recurrences"] += 1
            return rng.choice(self.recent_bystanders)
        culture = rng.choice(self.cultures)
        p = self.pop.factory.make(None, "bystander", culture, remember=False)
        self.stats["bystanders"] += 1
        self.recent_bystanders.append(p)
        return p

    def pick(self, people: list[Person], k: int, weighted: bool = True) -> list[Person]:
        rng = self.rng
        k = min(k, len(people))
        if k <= 0:
            return []
        if not weighted:
            return rng.sample(people, k)
        chosen: list[Person] = []
        weights = [_VISIBILITY.get(p.role, 1.0) for p in people]
        while len(chosen) < k:
            p = rng.choices(people, weights=weights)[0]
            if p not in chosen:
                chosen.append(p)
        return chosen

    # -- one report ----------------------------------------------------------------------
    def compose(self) -> tuple[dict[str, Any], list[TruthRow]]:
        rng = self.rng
        received = self.epoch + timedelta(seconds=rng.randrange(354 * 86400))
        net = None if rng.random() < LOCAL_INCIDENT_RATE else self.pop.pick_network(rng)
        doc = _Doc(self)
        if net is None:
            kind = "intelligence"
            originator, prefix = self.borough(None)
            themes = ["IMMIGRATION_ABUSE"]
            title = self._local(doc)
            nim = 1
        else:
            kind, originator, prefix = self._kind_and_originator(net)
            themes = list(_THEMES[net.kind])
            title = getattr(self, f"_{kind}")(doc, net, originator)
            nim = net.nim_level
            if kind == "intelligence" and originator.startswith("BOCU-") and rng.random() < 0.15:
                nim = max(1, nim - 1)
            if doc.children and "CHILD_EXPLOITATION" not in themes:
                themes.append("CHILD_EXPLOITATION")
            if kind == "sar" and "MONEY_LAUNDERING" not in themes:
                themes.append("MONEY_LAUNDERING")
            if kind == "precursor" and "DOCUMENT_FRAUD" not in themes:
                themes.append("DOCUMENT_FRAUD")
            if rng.random() < WITNESS_RATE and kind in ("intelligence", "referral"):
                self._witness(doc, net)
        if rng.random() < EXTRA_TEXT_IDENTIFIER_RATE:
            self.stats["extra_text_identifiers"] += 1
            if rng.random() < 0.5:
                extra = self.pop.factory.phones[rng.randrange(len(self.pop.factory.phones))]
                doc.sentences.append(f"A further number, {extra}, was also in contact.")
            else:
                doc.sentences.append(f"A second vehicle, VRM {ids.vrm(rng, self.world)}, was seen.")
        reference = self.reference(originator, prefix, received.year)
        report: dict[str, Any] = {
            "kind": kind,
            "originator": originator,
            "reference": reference,
            "received_at": received.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        grading = self.grading(kind)
        if "legacy_grading" in grading:
            when = received - timedelta(days=rng.randint(365 * 11, 365 * 16))
            report["intelligence_date"] = when.date().isoformat()
        elif rng.random() < 0.8:
            report["intelligence_date"] = (received - timedelta(days=rng.randint(0, 45))).date().isoformat()
        report.update(grading)
        report["nim_level"] = nim
        report["themes"] = themes
        report["title"] = title
        report["text"] = " ".join(doc.sentences)
        report["entities"] = doc.entities
        truth = []
        for lid, p in doc.people:
            truth.append(TruthRow(originator, reference, lid, p.pid, p.network_id, p.role, p.is_child))
            if p.network_id:
                self.mentioned.add(p.pid)
        return report, truth

    def _kind_and_originator(self, net: Network) -> tuple[str, str, str]:
        rng = self.rng
        k = net.kind
        if k == "money":
            kind = rng.choices(("sar", "intelligence"), weights=(7, 3))[0]
        elif k == "document":
            kind = rng.choices(("precursor", "intelligence", "partner", "sar"), weights=(4, 3.5, 1.5, 1))[0]
        elif k == "smuggling":
            kind = rng.choices(("intelligence", "partner", "sar"), weights=(65, 25, 10))[0]
        else:
            kind = rng.choices(("intelligence", "referral", "sar", "partner"), weights=(60, 20, 8, 12))[0]
        children = net.child_victims > 0
        if kind == "sar":
            return kind, "UKFIU", ""
        if kind == "precursor":
            return kind, "INDUSTRY", ""
        if kind == "partner":
            opts = ["NCA", "HOIE"] + (["CEOP"] if children else [])
            return kind, rng.choice(opts), ""
        if kind == "referral":
            opts = ["UKHTC", "BOCU", "BOCU"] + (["SCD5-CAIC"] if children else []) + (["CO14"] if k == "sexual" else [])
            o = rng.choice(opts)
        else:
            opts = ["BOCU"] * 6 + ["NCA"]
            opts += {
                "sexual": ["CO14", "CO14"],
                "smuggling": ["SO18-HSU", "SO18-HSU", "HOIE"],
                "criminal": [],
                "labour": ["HOIE"],
                "document": ["NCA"],
                "money": [],
            }[k]
            if children:
                opts.append("SCD5-CAIC")
            o = rng.choice(opts)
        if o == "BOCU":
            return (kind, *self.borough(net))
        return kind, o, ""

    # -- stories -------------------------------------------------------------------------
    def _suspect_sentences(self, doc: _Doc, lid: str, p: Person) -> None:
        rng = self.rng
        name = doc.names[lid]
        doc.sentences.append(f"{name} is believed to be {SUSPECT_ROLES.get(p.role, 'involved')}.")
        if lid in doc.phones and rng.random() < 0.7:
            doc.sentences.append(f"{name} uses mobile {doc.phones[lid]}.")

    def _intelligence(self, doc: _Doc, net: Network, originator: str) -> str:
        rng = self.rng
        suspects = self.pick(net.suspects, rng.randint(1, 3))
        lids = [doc.suspect(p) for p in suspects]
        premises = rng.choice(net.premises)
        alid = doc.address(premises)
        activity = _EXPLOITATION.get(net.kind, "organised crime")
        doc.sentences.append(
            f"Intelligence indicates that premises at {premises.full} are used as a "
            f"{premises.use} by a group involved in {activity}."
        )
        for lid, p in zip(lids, suspects, strict=True):
            self._suspect_sentences(doc, lid, p)
            if p.address and p.address is not premises and rng.random() < 0.5:
                doc.lives_at(lid, p.address)
                doc.sentences.append(f"{doc.names[lid]} resides at {p.address.postcode}.")
            elif p.address is premises:
                doc.lives_at(lid, premises)
        if len(lids) >= 2 and rng.random() < 0.6:
            doc.link(
                "Associate",
                {"person": [lids[0]], "associate": [lids[1]], "relationship": ["seen together"]},
            )
            doc.sentences.append(f"{doc.names[lids[0]]} and {doc.names[lids[1]]} are regularly seen together.")
        self._family(doc, net)
        self._vehicle(doc, net, alid, premises)
        if net.exploited and rng.random() < 0.4:
            v = self.pick(net.exploited, 1, weighted=False)[0]
            vlid = doc.exploited(v)
            doc.lives_at(vlid, v.address or premises)
            doc.sentences.append(f"{doc.names[vlid]} is believed to be held at the address{self._age(v)}.")
            doc.link("UnknownLink", {"subject": [lids[0]], "object": [vlid], "role": ["controls"]})
        self._violence(doc, net, lids)
        if net.companies and rng.random() < 0.25:
            co = rng.choice(net.companies)
            clid = doc.company(co)
            doc.sentences.append(f"The business {co.name} operates from {co.address.postcode}.")
            if co.owner in suspects:
                doc.link("Ownership", {"owner": [doc.ids[id(co.owner)]], "asset": [clid]})
        return f"{premises.use.capitalize()} linked to {activity}"

    def _age(self, p: Person) -> str:
        if not p.is_child:
            return ""
        if p.age_disputed:
            return "; age disputed, appears to be under 18"
        return "; believed to be under 18"

    def _family(self, doc: _Doc, net: Network) -> None:
        for a, b, rel in net.family_pairs:
            if id(a) in doc.ids and id(b) in doc.ids:
                la, lb = doc.ids[id(a)], doc.ids[id(b)]
                doc.link("Family", {"person": [la], "relative": [lb], "relationship": [rel]})
                doc.sentences.append(f"{doc.names[lb]} is the {rel} of {doc.names[la]}.")

    def _vehicle(self, doc: _Doc, net: Network, alid: str, premises: Address) -> None:
        rng = self.rng
        if not net.vehicles or rng.random() >= 0.45:
            return
        v = rng.choice(net.vehicles)
        vlid = doc.vehicle(v)
        doc.sentences.append(f"A {v.model}, VRM {v.vrm}, has been seen at {premises.postcode}.")
        if id(v.owner) in doc.ids or rng.random() < 0.5:
            olid = doc.suspect(v.owner)
            doc.link("Ownership", {"owner": [olid], "asset": [vlid]})
            doc.sentences.append(f"The vehicle is believed to be used by {doc.names[olid]}.")

    def _violence(self, doc: _Doc, net: Network, lids: list[str]) -> None:
        rng = self.rng
        if net.violence and rng.random() < (0.7 if net.planted else 0.3):
            roles = {lid: p.role for lid, p in doc.people}
            hitter = next((x for x in lids if roles.get(x) == "enforcer"), lids[-1])
            doc.sentences.append(f"Workers report being threatened and assaulted by {doc.names[hitter]}.")
        if net.weapons and rng.random() < 0.6:
            weapon = rng.choice(("a machete", "a handgun", "a large knife", "a firearm"))
            doc.sentences.append(f"{doc.names[lids[0]]} has been seen in possession of {weapon}.")

    def _referral(self, doc: _Doc, net: Network, originator: str) -> str:
        rng = self.rng
        pool = net.exploited
        if originator == "SCD5-CAIC":
            pool = [p for p in net.exploited if p.is_child] or pool
        victims = self.pick(pool, rng.randint(1, 2), weighted=False)
        premises = victims[0].address or rng.choice(net.premises)
        who = "NGO first responder" if originator == "UKHTC" else "officers"
        activity = _EXPLOITATION.get(net.kind, "exploitation")
        doc.sentences.append(f"Referral by {who}: potential victims of {activity} found at {premises.full}.")
        vlids = []
        for v in victims:
            vl = doc.exploited(v)
            vlids.append(vl)
            doc.lives_at(vl, v.address or premises)
            doc.sentences.append(f"{doc.names[vl]} disclosed being made to work without pay{self._age(v)}.")
            if v.phone and vl in doc.phones:
                doc.sentences.append(f"{doc.names[vl]} was given phone {doc.phones[vl]} by the group.")
        if rng.random() < 0.6:
            s = self.pick(net.suspects, 1)[0]
            sl = doc.suspect(s)
            self._suspect_sentences(doc, sl, s)
            for vl in vlids:
                doc.link("UnknownLink", {"subject": [sl], "object": [vl], "role": ["controls"]})
            self._violence(doc, net, [sl])
        if net.companies and net.kind in ("labour", "sexual") and rng.random() < 0.5:
            co = rng.choice(net.companies)
            clid = doc.company(co)
            for vl in vlids:
                doc.link("Employment", {"employer": [clid], "employee": [vl]})
            doc.sentences.append(f"The victims were made to work at {co.name}.")
        doc.sentences.append("An NRM referral has been considered.")
        return f"Potential victims of {_EXPLOITATION.get(net.kind, 'exploitation')} found"

    def _sar(self, doc: _Doc, net: Network, originator: str) -> str:
        rng = self.rng
        accounts = rng.sample(net.accounts, min(len(net.accounts), rng.randint(1, 3)))
        codes = ["XXMSHTXX"] if net.kind in ("sexual", "labour", "criminal") else ["XXOICXX"]
        if net.kind == "money":
            codes = [rng.choice(("XXMSHTXX", "XXOICXX"))]
        if net.child_victims and rng.random() < 0.5:
            codes.append("XXV3XX")
        doc.sentences.append(f"Reason for suspicion: {' '.join(codes)}.")
        alids = []
        for acc in accounts:
            hl = doc.suspect(acc.holder)
            al = doc.account(acc, use_iban=rng.random() < 0.6)
            alids.append((al, hl, acc))
            doc.link("Ownership", {"owner": [hl], "asset": [al]})
            if "iban" in doc.by_id[al]["properties"]:
                where = f"IBAN {ids.format_iban(acc.iban) if rng.random() < 0.5 else acc.iban}"
            else:
                where = f"sort code {acc.sort_code} account {acc.number} ({acc.bank})"
            doc.sentences.append(
                f"Account {where} held by {doc.names[hl]} receives frequent cash deposits "
                f"below reporting thresholds from multiple third parties."
            )
        payer = alids[0]
        payee = rng.choice(net.suspects)
        pl = doc.suspect(payee)
        amount = f"{rng.randint(9, 95) * 100}"
        when = (self.epoch + timedelta(days=rng.randrange(365))).date().isoformat()
        doc.link(
            "Payment",
            {
                "payer": [payer[1]],
                "beneficiary": [pl],
                "payerAccount": [payer[0]],
                "amount": [amount],
                "currency": ["GBP"],
                "date": [when],
            },
        )
        doc.sentences.append(f"On {when} GBP {amount} was transferred to {doc.names[pl]}, described as rent.")
        if net.companies and rng.random() < 0.4:
            co = rng.choice(net.companies)
            doc.company(co)
            doc.sentences.append(f"Funds are also paid in by {co.name}, a cash-intensive business.")
        return "Suspicious cash deposits and onward transfers"

    def _precursor(self, doc: _Doc, net: Network, originator: str) -> str:
        rng = self.rng
        buyers = [p for p in net.suspects if p.role in ("document_forger", "associate")] or net.suspects
        buyer = rng.choice(buyers)
        bl = doc.person(buyer, "other", "purchaser")
        item = rng.choice(self.world.precursor_items)
        qty = rng.randint(1, 6)
        co = rng.choice(net.companies)
        clid = doc.company(co)
        doc.link("Employment", {"employer": [clid], "employee": [bl]})
        doc.sentences.append(
            f"Order for {qty} x {item} placed by {doc.names[bl]} on behalf of {co.name}, "
            f"for delivery to {co.address.postcode}; payment offered in cash."
        )
        if bl in doc.phones:
            doc.sentences.append(f"Contact number given: {doc.phones[bl]}.")
        doc.sentences.append("The customer could not explain the business need for the equipment.")
        return f"Suspicious purchase of {item}"

    def _partner(self, doc: _Doc, net: Network, originator: str) -> str:
        rng = self.rng
        suspects = self.pick(net.suspects, rng.randint(2, 4))
        lids = [doc.suspect(p) for p in suspects]
        doc.sentences.append(
            f"{originator} package: the following subjects are assessed as members of a network "
            f"involved in {_EXPLOITATION.get(net.kind, 'document fraud and money laundering')}."
        )
        for lid, p in zip(lids, suspects, strict=True):
            self._suspect_sentences(doc, lid, p)
            if p.passport and rng.random() < 0.5:
                doc.add("Passport", "d", {"number": [p.passport], "holder": [lid]})
                doc.sentences.append(f"{doc.names[lid]} holds passport {p.passport}.")
        for other in lids[1:]:
            doc.link("Associate", {"person": [lids[0]], "associate": [other]})
        self._family(doc, net)
        if net.exploited and rng.random() < 0.5:
            v = rng.choice(net.exploited)
            vl = doc.exploited(v)
            doc.sentences.append(f"{doc.names[vl]} was moved to London by the group{self._age(v)}.")
            doc.link("UnknownLink", {"subject": [lids[0]], "object": [vl], "role": ["facilitated"]})
        self._violence(doc, net, lids)
        return "Partner intelligence package on network members"

    def _witness(self, doc: _Doc, net: Network) -> None:
        rng = self.rng
        b = self.bystander()
        if rng.random() < 0.6:
            bl = doc.person(b, "witness")
            doc.sentences.append(f"{doc.names[bl]}, a neighbour, reported frequent visitors at night.")
        else:
            bl = doc.person(b, "other", rng.choice(("landlord", "premises owner", "neighbour")))
            doc.sentences.append(f"{doc.names[bl]} has been spoken to about the address.")
        if rng.random() < 0.3:
            doc.lives_at(bl, rng.choice(net.premises))  # same building, different people

    def _local(self, doc: _Doc) -> str:
        rng = self.rng
        p = self.bystander()
        pl = doc.person(p, "suspect")
        b = self.pop.factory.address(pick_borough(rng, self.bcum), "home")
        doc.lives_at(pl, b)
        doc.sentences.append(
            f"{doc.names[pl]} was stopped and found to be working in breach of conditions; gave an address of {b.full}."
        )
        if pl in doc.phones:
            doc.sentences.append(f"Mobile {doc.phones[pl]} recorded.")
        return "Individual working in breach of conditions"
