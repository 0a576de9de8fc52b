"""The true world: networks, their members and victims, premises, vehicles, accounts, fronts.

Built once per scenario from the seed; its size follows the number of reports. Bystanders
(people outside any network) are not stored here: reports create them as they go.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from maxim.scenario import identifiers as ids
from maxim.scenario.data import Culture, NameBook, NamePart, World, name_book, world

EPOCH_START = date(2025, 4, 1)
EPOCH_END = date(2026, 3, 31)
REPORTS_PER_NETWORK = 120  # one network per this many reports (at least MIN_NETWORKS)
MIN_NETWORKS = 6
HOMONYM_RATE = 0.03  # a new person takes the exact name of an earlier, different person
SHARED_HANDSET_RATE = 0.5  # networks where two members use the same phone
FAMILY_PAIR_RATE = 0.4  # networks with two relatives among the members
ALIAS_RATE = 0.25  # suspects with a street name
CHILD_AGE_DISPUTED_RATE = 0.3

KINDS = ("sexual", "labour", "criminal", "smuggling", "document", "money")
_KIND_WEIGHTS = (30, 20, 15, 20, 7, 8)
_CULTURES: dict[str, tuple[tuple[str, ...], tuple[int, ...]]] = {
    "sexual": (("romanian", "albanian", "chinese", "vietnamese", "nigerian"), (3, 3, 2, 1, 2)),
    "labour": (("romanian", "vietnamese", "english", "albanian"), (3, 2, 2, 1)),
    "criminal": (("vietnamese", "albanian", "chinese"), (4, 3, 1)),
    "smuggling": (("albanian", "kurdish", "eritrean", "vietnamese"), (3, 3, 2, 1)),
    "document": (("albanian", "nigerian", "chinese", "english"), (2, 2, 1, 1)),
    "money": (("english", "nigerian", "chinese", "romanian"), (2, 2, 1, 1)),
}
# role: (min, max) per kind; victims/migrants/customers are the exploited or served people
_ROLES: dict[str, dict[str, tuple[int, int]]] = {
    "sexual": {
        "controller": (1, 2),
        "recruiter": (1, 2),
        "transporter": (0, 1),
        "money_handler": (1, 1),
        "enforcer": (0, 2),
        "associate": (0, 2),
        "victim": (3, 10),
    },
    "labour": {
        "controller": (1, 1),
        "recruiter": (1, 2),
        "transporter": (1, 1),
        "money_handler": (1, 1),
        "enforcer": (0, 1),
        "associate": (0, 2),
        "victim": (4, 14),
    },
    "criminal": {
        "controller": (1, 1),
        "recruiter": (1, 1),
        "transporter": (1, 1),
        "money_handler": (0, 1),
        "enforcer": (1, 1),
        "associate": (1, 2),
        "victim": (2, 6),
    },
    "smuggling": {
        "controller": (1, 2),
        "recruiter": (1, 1),
        "transporter": (2, 4),
        "document_forger": (0, 1),
        "money_handler": (1, 1),
        "associate": (1, 2),
        "migrant": (5, 16),
    },
    "document": {
        "controller": (1, 1),
        "document_forger": (2, 3),
        "money_handler": (0, 1),
        "associate": (1, 2),
        "customer": (3, 8),
    },
    "money": {"controller": (1, 1), "money_handler": (3, 5), "associate": (1, 3)},
}
_PLANTED_ROLES = {
    "controller": (2, 2),
    "recruiter": (3, 3),
    "transporter": (2, 2),
    "enforcer": (3, 3),
    "money_handler": (2, 2),
    "associate": (2, 2),
    "victim": (10, 10),
}
PLANTED_CHILD_VICTIMS = 6
_CHILD_CHANCE = {"sexual": 0.15, "criminal": 0.35, "smuggling": 0.2, "labour": 0.05}
EXPLOITED_ROLES = frozenset({"victim", "migrant", "customer"})
PREMISES = {
    "sexual": ("flat used as a brothel", "flat above a nail bar", "massage parlour"),
    "labour": ("hand car wash", "nail bar", "shared house for workers", "construction site"),
    "criminal": ("cannabis factory", "house converted to a cannabis grow"),
    "smuggling": ("safe house", "lorry yard", "storage unit"),
    "document": ("flat used as a passport factory", "print unit"),
    "money": ("money service business", "shop premises"),
}


@dataclass(slots=True)
class Address:
    full: str
    postcode: str
    street: str
    use: str  # "home" or a premises description


@dataclass(slots=True)
class Person:
    pid: str
    network_id: str | None
    role: str
    gender: str
    culture: Culture
    family: NamePart
    given: NamePart
    birth_date: str
    is_child: bool = False
    age_disputed: bool = False
    claimed_birth_date: str | None = None
    phone: str | None = None
    email: str | None = None
    passport: str | None = None
    alias: str | None = None
    address: Address | None = None


@dataclass(slots=True)
class Vehicle:
    vrm: str
    model: str
    owner: Person


@dataclass(slots=True)
class Account:
    bank: str
    sort_code: str
    number: str
    iban: str
    holder: Person


@dataclass(slots=True)
class Company:
    name: str
    owner: Person
    address: Address


@dataclass(slots=True)
class Network:
    nid: str
    kind: str
    borough_index: int
    culture: str
    planted: bool
    members: list[Person] = field(default_factory=list)
    premises: list[Address] = field(default_factory=list)
    vehicles: list[Vehicle] = field(default_factory=list)
    accounts: list[Account] = field(default_factory=list)
    companies: list[Company] = field(default_factory=list)
    family_pairs: list[tuple[Person, Person, str]] = field(default_factory=list)
    shared_phone: str | None = None
    violence: bool = False
    weapons: bool = False
    nim_level: int = 2
    weight: float = 1.0
    suspects: list[Person] = field(default_factory=list)
    exploited: list[Person] = field(default_factory=list)

    @property
    def child_victims(self) -> int:
        return sum(1 for p in self.exploited if p.is_child)


class PersonFactory:
    """Makes people, drawing phones from the drama-range pool and planting homonyms."""

    def __init__(self, rng: random.Random, book: NameBook, w: World) -> None:
        self.rng = rng
        self.book = book
        self.world = w
        self.phones = ids.phone_pool(rng)
        self.phone_next = 0
        self.phone_reused = 0
        self.counter = itertools.count(1)
        self.by_culture: dict[str, list[Person]] = {}
        self.stats: Counter[str] = Counter()

    def next_phone(self) -> str:
        if self.phone_next >= len(self.phones):
            self.phone_reused += 1
        phone = self.phones[self.phone_next % len(self.phones)]
        self.phone_next += 1
        return phone

    def birth_date(self, child: bool) -> str:
        rng = self.rng
        age_days = rng.randint(12 * 365, 17 * 365 + 300) if child else rng.randint(18 * 365, 62 * 365)
        return (EPOCH_START - timedelta(days=age_days)).isoformat()

    def make(
        self,
        network_id: str | None,
        role: str,
        culture: Culture,
        *,
        child: bool = False,
        gender: str | None = None,
        remember: bool = True,
    ) -> Person:
        rng = self.rng
        gender = gender or ("male" if rng.random() < 0.6 else "female")
        given_list = culture.given_male if gender == "male" else culture.given_female
        family = rng.choice(culture.family)
        given = rng.choice(given_list)
        earlier = self.by_culture.get(f"{culture.key}/{gender}")
        if earlier and rng.random() < HOMONYM_RATE:
            other = rng.choice(earlier)
            if other.network_id != network_id:
                family, given = other.family, other.given
                self.stats["homonym_persons"] += 1
        person = Person(
            pid=f"P{next(self.counter):06d}",
            network_id=network_id,
            role=role,
            gender=gender,
            culture=culture,
            family=family,
            given=given,
            birth_date=self.birth_date(child),
            is_child=child,
        )
        if child and rng.random() < CHILD_AGE_DISPUTED_RATE:
            person.age_disputed = True
            adult_year = EPOCH_START.year - rng.randint(18, 21)
            person.claimed_birth_date = f"{adult_year}{person.birth_date[4:]}"
            if person.claimed_birth_date.endswith("02-29"):
                person.claimed_birth_date = f"{adult_year}-02-28"
        exploited = role in EXPLOITED_ROLES
        if rng.random() < (0.25 if exploited else 0.75):
            person.phone = self.next_phone()
        if not exploited and rng.random() < 0.3:
            person.email = ids.email(rng, given.canonical, family.canonical, int(person.birth_date[:4]))
        if rng.random() < (0.6 if exploited else 0.3):
            person.passport = ids.passport_number(rng)
        if not exploited and network_id and rng.random() < ALIAS_RATE:
            person.alias = rng.choice(self.book.street_aliases)
        if remember:
            self.by_culture.setdefault(f"{culture.key}/{gender}", []).append(person)
        return person

    def address(self, borough_index: int, use: str, flat: bool | None = None) -> Address:
        rng = self.rng
        b = self.world.boroughs[borough_index]
        pc = ids.postcode(rng, rng.choice(b.outward))
        st = ids.street(rng, self.world)
        flat = rng.random() < 0.5 if flat is None else flat
        full = f"Flat {rng.randint(1, 12)}, {st}, London {pc}" if flat else f"{st}, London {pc}"
        return Address(full, pc, st, use)


@dataclass
class Population:
    networks: list[Network]
    factory: PersonFactory
    cum_weights: list[float]

    def pick_network(self, rng: random.Random) -> Network:
        x = rng.random() * self.cum_weights[-1]
        return self.networks[bisect.bisect_right(self.cum_weights, x)]


def _borough_cum(w: World) -> list[int]:
    return list(itertools.accumulate(b.weight for b in w.boroughs))


def pick_borough(rng: random.Random, cum: list[int]) -> int:
    return bisect.bisect_right(cum, rng.random() * cum[-1])


def build_population(rng: random.Random, reports: int) -> Population:
    book, w = name_book(), world()
    factory = PersonFactory(rng, book, w)
    bcum = _borough_cum(w)
    n = max(MIN_NETWORKS, round(reports / REPORTS_PER_NETWORK))
    networks: list[Network] = []
    for i in range(n):
        planted = i == 0
        # every kind at least once; the first (sexual exploitation) is the planted one
        kind = KINDS[i] if i < len(KINDS) else rng.choices(KINDS, weights=_KIND_WEIGHTS)[0]
        names, weights = _CULTURES[kind]
        culture_key = rng.choices(names, weights=weights)[0]
        net = Network(f"N{i + 1:04d}", kind, pick_borough(rng, bcum), culture_key, planted)
        _populate(rng, factory, net, _PLANTED_ROLES if planted else _ROLES[kind])
        networks.append(net)
    sizes = sorted((len(x.members) for x in networks), reverse=True)
    top = sizes[max(0, len(sizes) // 10 - 1)]
    for net in networks:
        net.nim_level = 3 if net.planted or (len(networks) >= 10 and len(net.members) >= top) else 2
        net.weight = len(net.members) ** 0.5 * (3.0 if net.planted else 1.0)
    return Population(networks, factory, list(itertools.accumulate(x.weight for x in networks)))


def _populate(rng: random.Random, f: PersonFactory, net: Network, roles: dict[str, tuple[int, int]]) -> None:
    cultures = f.book.cultures
    home = cultures[net.culture]
    others = [c for c in cultures.values() if c.key != net.culture]
    n_premises = 3 if net.planted else rng.randint(1, 3)
    net.premises = [f.address(net.borough_index, rng.choice(PREMISES[net.kind]), flat=None) for _ in range(n_premises)]
    child_budget = PLANTED_CHILD_VICTIMS if net.planted else 0
    if not net.planted and rng.random() < _CHILD_CHANCE.get(net.kind, 0.0):
        child_budget = rng.randint(1, 2)
    for role, (lo, hi) in roles.items():
        for _ in range(rng.randint(lo, hi)):
            culture = home if rng.random() < 0.8 else rng.choice(others)
            exploited = role in EXPLOITED_ROLES
            child = exploited and role != "customer" and child_budget > 0
            if child:
                child_budget -= 1
            gender = None
            if role == "victim" and net.kind == "sexual":
                gender = "female" if rng.random() < 0.9 else "male"
            p = f.make(net.nid, role, culture, child=child, gender=gender)
            if exploited:
                p.address = rng.choice(net.premises)  # people held at the same flat
                net.exploited.append(p)
            else:
                if rng.random() < 0.7:
                    p.address = f.address(net.borough_index, "home")
                else:
                    p.address = rng.choice(net.premises)
                net.suspects.append(p)
            net.members.append(p)
    core = net.suspects
    if len(core) >= 2 and rng.random() < SHARED_HANDSET_RATE:
        net.shared_phone = f.next_phone()
        for p in rng.sample(core, 2):
            p.phone = net.shared_phone
    if len(core) >= 2 and rng.random() < FAMILY_PAIR_RATE:
        a, b = rng.sample(core, 2)
        b.family = a.family
        b.culture = a.culture
        if b.gender == "female" and a.gender == "male" and rng.random() < 0.5:
            rel = "wife"
        else:
            rel = "sister" if b.gender == "female" else rng.choice(("brother", "cousin"))
        if rel != "cousin":
            b.address = a.address
        net.family_pairs.append((a, b, rel))
    drivers = [p for p in core if p.role in ("transporter", "controller")] or core
    for _ in range(rng.randint(1, 3)):
        net.vehicles.append(Vehicle(ids.vrm(rng, f.world), rng.choice(f.world.vehicle_models), rng.choice(drivers)))
    holders = [p for p in core if p.role in ("money_handler", "controller")] or core
    for _ in range(rng.randint(1, 4) + (3 if net.kind == "money" else 0)):
        bank, code = rng.choice(f.world.banks)
        sort, number, iban = ids.gb_account(rng, code)
        if rng.random() < 0.1:
            iban = ids.ro_iban(rng)
        net.accounts.append(Account(bank, sort, number, iban, rng.choice(holders)))
    templates = f.world.front_companies[net.kind]
    for _ in range(1 if rng.random() < 0.8 else 2):
        name = rng.choice(templates).format(stem=rng.choice(f.world.street_stems))
        owner = rng.choice([p for p in core if p.role in ("controller", "associate")] or core)
        net.companies.append(Company(name, owner, rng.choice(net.premises)))
    net.violence = net.planted or (any(p.role == "enforcer" for p in core) and rng.random() < 0.35)
    net.weapons = net.planted
