"""Synthetic identifiers that are valid in format but belong to nobody.

Phones come from the Ofcom drama ranges (07700 900000-900999, 020 7946 0000-0999), emails
from the reserved example domains, IBANs carry a correct ISO 7064 checksum over invented
account numbers, passports are random 9 digits.
"""

from __future__ import annotations

import random
import string

from maxim.scenario.data import World

MOBILE_RANGE = 1000  # 07700 900000-900999
LANDLINE_RANGE = 1000  # 020 7946 0000-0999
EMAIL_DOMAINS = ("example.com", "example.org", "example.net")

_VRM_LETTERS = "ABCDEFGHJKLMNOPRSTUVWXYZ"  # no I or Q in the random part
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # Royal Mail inward letters (no C I K M O V)
_RO_BANKS = ("RNCB", "BTRL", "BRDE", "INGB")


def phone_pool(rng: random.Random) -> list[str]:
    """Every drama-range number once, in a seeded order (mobiles mostly first)."""
    mobiles = [f"07700 900{i:03d}" for i in range(MOBILE_RANGE)]
    landlines = [f"020 7946 {i:04d}" for i in range(LANDLINE_RANGE)]
    rng.shuffle(mobiles)
    rng.shuffle(landlines)
    pool: list[str] = []
    # interleave: four mobiles to one landline
    li = 0
    for i, m in enumerate(mobiles):
        pool.append(m)
        if i % 4 == 3 and li < len(landlines):
            pool.append(landlines[li])
            li += 1
    pool.extend(landlines[li:])
    return pool


def postcode(rng: random.Random, outward: str) -> str:
    return f"{outward} {rng.randint(1, 9)}{rng.choice(_INWARD_LETTERS)}{rng.choice(_INWARD_LETTERS)}"


def street(rng: random.Random, w: World) -> str:
    return f"{rng.randint(1, 180)} {rng.choice(w.street_stems)}{rng.choice(w.street_endings)}"


def vrm(rng: random.Random, w: World) -> str:
    letters = "".join(rng.choice(_VRM_LETTERS) for _ in range(3))
    return f"{rng.choice(w.vrm_prefixes)}{rng.choice(w.vrm_age_identifiers)} {letters}"


def passport_number(rng: random.Random) -> str:
    return f"{rng.randrange(100_000_000, 1_000_000_000)}"


def _iban_check(country: str, bban: str) -> str:
    """ISO 13616 / ISO 7064 mod 97-10 check digits."""
    digits = "".join(str(int(c, 36)) for c in (bban + country + "00"))
    return f"{98 - int(digits) % 97:02d}"


def gb_account(rng: random.Random, bank_code: str) -> tuple[str, str, str]:
    """(sort code "NN-NN-NN", 8-digit account number, IBAN) for a synthetic GB account."""
    sort = f"{rng.randrange(0, 1_000_000):06d}"
    account = f"{rng.randrange(0, 100_000_000):08d}"
    bban = bank_code + sort + account
    iban = "GB" + _iban_check("GB", bban) + bban
    return f"{sort[:2]}-{sort[2:4]}-{sort[4:]}", account, iban


def ro_iban(rng: random.Random) -> str:
    bban = rng.choice(_RO_BANKS) + "".join(rng.choice(string.digits) for _ in range(16))
    return "RO" + _iban_check("RO", bban) + bban


def format_iban(iban: str) -> str:
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def email(rng: random.Random, given: str, family: str, year: int | None) -> str:
    g = "".join(c for c in given.lower() if c.isascii() and c.isalpha()) or "user"
    f = "".join(c for c in family.lower() if c.isascii() and c.isalpha()) or "mail"
    tail = str(year % 100).zfill(2) if year and rng.random() < 0.5 else str(rng.randint(1, 999))
    sep = rng.choice((".", "_", ""))
    return f"{g}{sep}{f}{tail}@{rng.choice(EMAIL_DOMAINS)}"
