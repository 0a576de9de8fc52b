"""How one person's name is written in one report: the variation entity resolution must undo.

Each rate is the chance per Person mention, among mentions where the variation is possible
(a transliteration needs a listed variant, a nickname a listed short form, a dropped
diacritic a name with one). The counters record both the applications and the eligible
mentions so the realised rates can be checked.
"""

from __future__ import annotations

import random
import unicodedata
from collections import Counter
from dataclasses import dataclass

from maxim.scenario.data import Culture, NamePart

TRANSLIT_RATE = 0.25  # a listed transliteration/spelling variant of the surname or given name
DIACRITIC_DROP_RATE = 0.5  # diacritics dropped (Nguyễn -> Nguyen, Ștefan -> Stefan, Çela -> Cela)
NICKNAME_RATE = 0.3  # short form of the given name (William -> Bill, Oluwaseun -> Seun)
SWAP_ORDER_RATE = 0.2  # name order swapped against the culture's usual order
UPPER_SURNAME_RATE = 0.3  # police style: surname in capitals (not a spelling change)
TYPO_RATE = 0.04  # one-letter edit (substitution, deletion, insertion or transposition)

_SPECIAL = str.maketrans({"Đ": "D", "đ": "d", "ł": "l", "Ł": "L", "ø": "o"})


def strip_diacritics(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPECIAL))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def typo(rng: random.Random, text: str) -> str:
    """One-letter edit inside a token of four letters or more (never the first letter)."""
    tokens = text.split(" ")
    candidates = [i for i, t in enumerate(tokens) if len(t) >= 4 and t.isalpha()]
    if not candidates:
        return text
    i = rng.choice(candidates)
    tok = tokens[i]
    pos = rng.randrange(1, len(tok) - 1)
    letter = rng.choice("aeinorstlu")
    op = rng.randrange(4)
    if op == 0 and tok[pos].lower() != letter:
        new = tok[:pos] + (letter.upper() if tok[pos].isupper() else letter) + tok[pos + 1 :]
    elif op == 1:
        new = tok[:pos] + tok[pos + 1 :]
    elif op == 2 and tok[pos] != tok[pos + 1]:
        new = tok[:pos] + tok[pos + 1] + tok[pos] + tok[pos + 2 :]
    else:
        new = tok[:pos] + tok[pos] + tok[pos:]  # doubled letter
    tokens[i] = new
    return " ".join(tokens)


@dataclass(frozen=True, slots=True)
class RenderedName:
    name: str
    first: str
    last: str


def canonical_name(culture: Culture, family: NamePart, given: NamePart) -> str:
    if culture.family_first:
        return f"{family.canonical} {given.canonical}"
    return f"{given.canonical} {family.canonical}"


def render(
    rng: random.Random,
    culture: Culture,
    family: NamePart,
    given: NamePart,
    nicknames: dict[str, tuple[str, ...]],
    stats: Counter[str],
) -> RenderedName:
    """Write the name as one report would, counting each variation applied."""
    fam = family.canonical
    giv = given.canonical
    if family.variants or given.variants:
        stats["translit_eligible"] += 1
        if rng.random() < TRANSLIT_RATE:
            stats["translit"] += 1
            if family.variants and (not given.variants or rng.random() < 0.6):
                fam = rng.choice(family.variants)
            else:
                giv = rng.choice(given.variants)
    nicks = nicknames.get(giv)
    if nicks:
        stats["nickname_eligible"] += 1
        if rng.random() < NICKNAME_RATE:
            stats["nickname"] += 1
            giv = rng.choice(nicks)
    if not (fam + giv).isascii():
        stats["diacritics_eligible"] += 1
        if rng.random() < DIACRITIC_DROP_RATE:
            stats["diacritics_dropped"] += 1
            fam, giv = strip_diacritics(fam), strip_diacritics(giv)
    if rng.random() < TYPO_RATE:
        if rng.random() < 0.5:
            typed = typo(rng, fam)
            changed, fam = typed != fam, typed
        else:
            typed = typo(rng, giv)
            changed, giv = typed != giv, typed
        if changed:
            stats["typo"] += 1
    shown_fam = fam.upper() if rng.random() < UPPER_SURNAME_RATE else fam
    family_first = culture.family_first
    if rng.random() < SWAP_ORDER_RATE:
        stats["swapped_order"] += 1
        family_first = not family_first
    name = f"{shown_fam} {giv}" if family_first else f"{giv} {shown_fam}"
    return RenderedName(name, giv, fam)
