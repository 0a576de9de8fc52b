"""What resolution compares about a Person mention, derived from its statements. Pure.

Names are folded to ASCII (`unidecode`), lower-cased, hyphens joined, short forms of given
names mapped to their full form, and sorted so name order does not matter. Each token also
gets a *skeleton*: a consonant key in which common transliteration and spelling variants
coincide (pinyin and Wade-Giles `Zhang`/`Chang`, `Xu`/`Hsu`; Albanian `Hoxha`/`Hodja`/`Hoxhaj`;
`Mohammed`/`Muhammad`; `Stephen`/`Steven`). Dates of birth keep their precision (`1984`,
`1984-03` or `1984-03-02`), so a partial date can agree with a full one. A mention's
*context* is what its report names alongside it (other people, places, identifiers): the
collective evidence that tells two "Thomas Johnson"s without a date of birth apart.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from unidecode import unidecode

# Short forms of given names mapped to the full form (a small reference list; extend freely).
NICKNAMES: dict[str, str] = {
    short: full
    for full, shorts in {
        "william": ("bill", "will", "billy", "liam"),
        "robert": ("bob", "rob", "bobby", "robbie"),
        "james": ("jim", "jimmy", "jamie"),
        "michael": ("mike", "mick", "mikey"),
        "richard": ("rick", "ricky", "dick", "rich"),
        "thomas": ("tom", "tommy"),
        "daniel": ("dan", "danny"),
        "anthony": ("tony",),
        "stephen": ("steve",),
        "steven": ("steve",),
        "christopher": ("chris",),
        "edward": ("ed", "ted", "eddie"),
        "david": ("dave", "davy"),
        "joseph": ("joe", "joey"),
        "elizabeth": ("liz", "beth", "lizzie", "betty"),
        "margaret": ("maggie", "peggy", "meg"),
        "katherine": ("kate", "katie", "kathy"),
        "catherine": ("cathy", "cath"),
        "rebecca": ("becky", "becca"),
        "jennifer": ("jen", "jenny"),
        "susan": ("sue", "susie"),
        "samantha": ("sam",),
        "victoria": ("vicky", "tori"),
        "patricia": ("pat", "trish", "patty"),
        "deborah": ("debbie", "deb"),
        "alexandru": ("alex",),
        "alexander": ("alex", "sandy"),
        "oluwaseun": ("seun",),
        "chukwuemeka": ("emeka",),
        "oluwatobi": ("tobi",),
        "olumide": ("mide",),
        "babatunde": ("tunde",),
        "adewale": ("wale",),
        "ikechukwu": ("ike",),
        "olusegun": ("segun",),
        "oluwakemi": ("kemi",),
        "folasade": ("sade",),
        "adaeze": ("ada",),
        "funmilayo": ("funmi",),
        "oluwaseyi": ("seyi",),
    }.items()
    for short in shorts
}

# Ordered rewrites applied to a folded token before vowels are dropped.
_REWRITES: tuple[tuple[str, str], ...] = (
    (r"^hs", "s"),  # Wade-Giles hs = pinyin x
    (r"^ts", "s"),  # Cantonese Tsui = pinyin Xu
    (r"xh", "j"),  # Albanian xh
    (r"dj", "j"),
    (r"zh", "j"),  # pinyin zh = Wade-Giles ch
    (r"ch", "j"),
    (r"q", "j"),  # pinyin q
    (r"x", "s"),  # pinyin x
    (r"ph", "f"),
    (r"v", "f"),
    (r"gh", "g"),
    (r"c", "k"),
    (r"(?<=[aeiou])j$", ""),  # Albanian definite forms: Hoxhaj = Hoxha, Gashaj = Gasha
)
_COMPILED = tuple((re.compile(a), b) for a, b in _REWRITES)
_VOWELISH = set("aeiouyhw")
_NOT_LETTER = re.compile(r"[^a-z\s]+")
_HYPHEN = re.compile("[-'\u2019]")  # hyphen, apostrophe, right single quotation mark


def fold(text: str) -> list[str]:
    """ASCII, lower-case tokens of a name; hyphenated and apostrophised parts are joined."""
    ascii_text = unidecode(text).lower()
    ascii_text = _HYPHEN.sub("", ascii_text)
    return [t for t in _NOT_LETTER.sub(" ", ascii_text).split() if t]


def skeleton(token: str) -> str:
    """A consonant key under which transliteration and spelling variants of a token coincide."""
    t = token
    for pattern, repl in _COMPILED:
        t = pattern.sub(repl, t)
    if not t:
        return ""
    head = "a" if t[0] in "aeiou" else t[0]
    out = [head]
    for ch in t[1:]:
        if ch in _VOWELISH:
            continue
        if out[-1] != ch:
            out.append(ch)
    return "".join(out)


def _dob(value: str | None) -> str | None:
    if not value:
        return None
    v = value.strip()[:10]
    if re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", v):
        return v
    return None


@dataclass(frozen=True, slots=True)
class MentionFeatures:
    """The comparison columns of one Person mention (one row of Splink's input table)."""

    unique_id: str
    caption: str
    name_key: str | None  # folded, nickname-mapped tokens, sorted, space-joined
    name_skel: str | None  # their skeletons, sorted, space-joined
    name_tokens: list[str]  # token skeletons (set)
    skel_a: str | None  # alphabetically first and last token skeletons (blocking)
    skel_b: str | None
    dob: str | None  # YYYY, YYYY-MM or YYYY-MM-DD
    dob_year: str | None
    phone: str | None
    passport: str | None
    email: str | None
    gender: str | None
    nationality: str | None
    # what the report names alongside this person: other people's name skeletons and the
    # identifiers (phones, postcodes, vehicles, accounts) it gives; None when it names nothing
    context: list[str] | None = None

    def as_row(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def comparable(self) -> bool:
        """Enough to compare: two name parts, or a strong identifier."""
        return len(self.name_tokens) >= 2 or any((self.phone, self.passport, self.email))

    @property
    def why_unresolved(self) -> str | None:
        if self.comparable:
            return None
        if not self.name_key:
            return "no name and no phone, passport or email: too little to compare"
        return "a single name with no phone, passport or email: too little to compare"

    def blocking_keys(self) -> list[str]:
        """The keys of Maxim's own blocking index (real-time candidates); mirrors the batch rules."""
        keys = []
        if self.name_skel and len(self.name_tokens) >= 2:
            keys.append(f"n:{self.name_skel}")
        if self.dob and self.skel_a:
            keys.append(f"a:{self.skel_a}|{self.dob_year}")
        if self.dob and self.skel_b and self.skel_b != self.skel_a:
            keys.append(f"b:{self.skel_b}|{self.dob_year}")
        for prefix, value in (("p", self.phone), ("d", self.passport), ("e", self.email)):
            if value:
                keys.append(f"{prefix}:{value}")
        return keys


def _first(values: Mapping[str, list[str]], prop: str) -> str | None:
    found = sorted(v for v in values.get(prop, []) if v)
    return found[0] if found else None


def features(
    unique_id: str, props: Mapping[str, list[str]], caption: str = "", context: Iterable[str] = ()
) -> MentionFeatures:
    """Features of one mention from its property values (valid, normalised statement values)."""
    name = _first(props, "name")
    if name is None:
        parts = [p for p in (_first(props, "firstName"), _first(props, "lastName")) if p]
        name = " ".join(parts) or None
    tokens = [NICKNAMES.get(t, t) for t in fold(name)] if name else []
    skels = sorted({s for s in (skeleton(t) for t in tokens) if s})
    dob = _dob(_first(props, "birthDate"))
    return MentionFeatures(
        unique_id=unique_id,
        caption=caption or (name or ""),
        name_key=" ".join(sorted(tokens)) or None,
        name_skel=" ".join(sorted(skeleton(t) for t in tokens)) or None,
        name_tokens=skels,
        skel_a=skels[0] if skels else None,
        skel_b=skels[-1] if skels else None,
        dob=dob,
        dob_year=dob[:4] if dob else None,
        phone=_first(props, "phone"),
        passport=_first(props, "passportNumber"),
        email=_first(props, "email"),
        gender=_first(props, "gender"),
        nationality=_first(props, "nationality"),
        context=sorted(set(context)) or None,
    )


NAME_PROPS = ("name", "firstName", "lastName")


def report_contexts(rows: Iterable[tuple[str, str, str, str, str | None]]) -> dict[str, list[str]]:
    """What each Person in one report is named alongside: the collective evidence of resolution.

    `rows` are one report's valid statements as (entity_id, schema, prop, value,
    identifier_kind). A person's context is the name skeleton of every other person the report
    names and every identifier it gives (phones, postcodes, vehicles, accounts, documents) that
    is not the person's own: two mentions of a common name beside the same associates or at the
    same address are far more likely one person than the name alone says.
    """
    names: dict[str, dict[str, list[str]]] = {}
    identifiers: set[str] = set()
    own: dict[str, set[str]] = {}
    for entity_id, schema, prop, value, kind in rows:
        if schema == "Person":
            names.setdefault(entity_id, {})
            if prop in NAME_PROPS:
                names[entity_id].setdefault(prop, []).append(value)
        if kind:
            key = f"{kind}:{value}"
            identifiers.add(key)
            own.setdefault(entity_id, set()).add(key)
    skels = {eid: features(eid, props).name_skel for eid, props in names.items()}
    out: dict[str, list[str]] = {}
    for eid in names:
        keys = {f"n:{s}" for other, s in skels.items() if other != eid and s}
        keys.update(k for k in identifiers if k not in own.get(eid, ()))
        out[eid] = sorted(keys)
    return out


# An associate's name in more than this share of all mentions (and more than the floor) is
# common: being named beside "Arben Krasniqi" says little when half the store is.
COMMON_ASSOCIATE_SHARE = 0.001
COMMON_ASSOCIATE_FLOOR = 10


def without_common_associates(mentions: Mapping[str, MentionFeatures]) -> dict[str, MentionFeatures]:
    """Every mention with the common associates' names taken out of its context.

    Like a term-frequency adjustment, for context: two homonyms in one city's reports are
    often both named beside someone with a common name, and that coincidence must not join them.
    Identifiers stay whatever their frequency (a shared flat's postcode is the point). A new
    report's context is compared with stored contexts by intersection, so real-time matching
    ignores the same names without knowing which they are.
    """
    counts = Counter(k for f in mentions.values() for k in f.context or () if k.startswith("n:"))
    cap = max(COMMON_ASSOCIATE_FLOOR, COMMON_ASSOCIATE_SHARE * len(mentions))
    common = {k for k, n in counts.items() if n > cap}
    if not common:
        return dict(mentions)
    return {
        mid: replace(f, context=[k for k in f.context if k not in common] or None)
        if f.context and not common.isdisjoint(f.context)
        else f
        for mid, f in mentions.items()
    }


def group_statements(rows: Iterable[tuple[str, str, str]]) -> dict[str, dict[str, list[str]]]:
    """(entity_id, prop, value) rows -> {entity_id: {prop: [values]}}."""
    out: dict[str, dict[str, list[str]]] = {}
    for entity_id, prop, value in rows:
        out.setdefault(entity_id, {}).setdefault(prop, []).append(value)
    return out
