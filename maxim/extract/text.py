"""Find identifiers in the free text of a report, with their character spans.

Each kind has a precompiled pattern tuned for prose, narrower than its normaliser: a
normaliser judges text already known to be a postcode, whereas here most text is not an
identifier at all. Every candidate is then normalised by the registry, and overlapping
candidates are settled by specificity, then validity, then length, so an IBAN is never
also read as a phone number.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from phonenumbers import Leniency, PhoneNumberMatcher

from maxim.domain.identifiers import OVERSEAS_POSTCODES, Normalised, normalise_cached

_A = re.ASCII
_AI = re.ASCII | re.IGNORECASE


@dataclass(frozen=True, slots=True)
class Found:
    """An identifier found in a text: `text[start:end] == original`."""

    kind: str
    original: str
    value: str | None
    reason: str | None
    start: int
    end: int

    @property
    def valid(self) -> bool:
        return self.value is not None


#: Which kind wins when candidates overlap: checksummed and structured kinds beat the
#: looser ones, and the phone matcher, which reads almost any digit run, comes last.
SPECIFICITY = {
    "iban": 90,
    "passport": 80,
    "pnc_id": 70,
    "cro": 70,
    "nino": 70,
    "sortcode_account": 60,
    "email": 50,
    "postcode": 40,
    "vrm": 30,
    "phone": 10,
}

_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9._%+'-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+",
    _A,
)
_IBAN = re.compile(r"\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b", _A)
_PASSPORT_CUE = re.compile(
    r"\bpassport\s*(?:no\b\.?|number\b|num\b\.?|#)?\s*[:#.-]?\s*"
    r"(?P<number>(?=[A-Z]{0,8}[0-9])[A-Z0-9]{6,9})\b",
    _AI,
)
_MRZ_LINE2 = re.compile(
    r"(?<![A-Z0-9<])[A-Z0-9<]{9}[0-9][A-Z<]{3}[0-9]{6}[0-9][MFX<][0-9]{6}[0-9]"
    r"[A-Z0-9<]{14}[0-9<][0-9](?![A-Z0-9<])",
    _A,
)
_PNC = re.compile(r"(?<![\w/])(?:[0-9]{4}|[0-9]{2})/[0-9]{1,7}[A-Z]\b", _A)
_CRO = re.compile(r"(?<![\w/])(?:[0-9]{1,6}/[0-9]{2}[A-Z]|SF[0-9]{2}/[0-9]{1,6}[A-Z])\b", _A)
_NINO = re.compile(r"\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D]\b", _A)
_SORTCODE_ACCOUNT = re.compile(
    r"(?<![0-9-])[0-9]{2}(?P<sep>[- ]?)[0-9]{2}(?P=sep)[0-9]{2}"
    r"(?:\s*[,;/]\s*|\s+)(?:(?:a/c|acc(?:ount)?)\.?(?:\s*(?:no\.?|number))?\s*[:#]?\s*)?"
    r"[0-9]{6,8}(?![0-9-])",
    _AI,
)
# Postcodes in prose must be uppercase: lowercase "b1 1st" or "a4 4th" are ordinary words.
_POSTCODE = re.compile(
    r"\b(?:GIR ?0AA|(?:[A-Z][0-9]{1,2}|[A-Z][A-HJ-Y][0-9]{1,2}|[A-Z][0-9][A-Z]"
    r"|[A-Z][A-HJ-Y][0-9]?[A-Z]) ?[0-9][A-Z]{2}"
    r"|(?:" + "|".join(code.replace(" ", " ?") for code in sorted(OVERSEAS_POSTCODES)) + r"))\b",
    _A,
)
_BFPO = re.compile(r"\bBFPO ?[0-9]{1,4}\b", _AI)
# Current-style marks are distinctive enough in any case; older styles only in uppercase,
# and with an inner space only just after a vehicle cue ("ON THE M25 AND" is not a car).
_VRM_CURRENT = re.compile(r"\b[A-HJ-PR-Y]{2}[0-9]{2} ?[A-HJ-PR-Z]{3}\b", _AI)
_VRM_OLDER = re.compile(
    r"\b(?:[A-HJ-NPR-TV-Y][0-9]{1,3}(?P<s1> ?)[A-Z]{3}"
    r"|[A-Z]{3}(?P<s2> ?)[0-9]{1,3}[A-HJ-NPR-TV-Y])\b",
    _A,
)
_VEHICLE_CUE = re.compile(
    r"\b(?:vrm|reg(?:istration)?|index|plates?|vehicle|car|van|lorry|hgv|motorcycle|taxi)"
    r"(?:\s+(?:no\b\.?|number|mark|plate))?\s*[:#.-]?\s*\Z",
    _AI,
)
_VEHICLE_CUE_WINDOW = 32
# Run the (slow, pure-Python) phone matcher only on texts with seven digits close together.
_MAYBE_PHONE = re.compile(r"[0-9](?:[\s().\-/]{0,2}[0-9]){6}")
_EXPLICIT_PHONE = re.compile(r"\s*(?:\+|00|0)[0-9]")
#: A UK number written without its leading 0 still has nine digits or more.
_MIN_NATIONAL_DIGITS = 9


Candidate = tuple[str, int, int]
Judge = Callable[[str, str], Normalised]


def _regex(kind: str, pattern: re.Pattern[str], text: str) -> Iterator[Candidate]:
    for match in pattern.finditer(text):
        yield kind, match.start(), match.end()


def _passports(text: str) -> Iterator[Candidate]:
    for match in _PASSPORT_CUE.finditer(text):
        yield "passport", match.start("number"), match.end("number")
    if "<<" in text:
        yield from _regex("passport", _MRZ_LINE2, text)


def _ibans(text: str, judge: Judge) -> Iterator[Candidate]:
    # The last group may swallow a following capitalised word ("... 55 AND"): back off
    # group by group to the longest prefix that is a valid IBAN, else keep the whole.
    for match in _IBAN.finditer(text):
        start, end = match.span()
        spaces = [start + i for i, char in enumerate(match.group()) if char == " "]
        cut = next((c for c in [end, *reversed(spaces)] if judge("iban", text[start:c]).valid), end)
        yield "iban", start, cut


def _older_vrms(text: str) -> Iterator[Candidate]:
    for match in _VRM_OLDER.finditer(text):
        if match.group("s1") or match.group("s2"):
            window = max(0, match.start() - _VEHICLE_CUE_WINDOW)
            if not _VEHICLE_CUE.search(text, window, match.start()):
                continue
        yield "vrm", match.start(), match.end()


def _phones(text: str, judge: Judge) -> Iterator[Candidate]:
    # Leniency POSSIBLE, not VALID: libphonenumber calls the Ofcom drama ranges (all test
    # data) invalid and lags new allocations. The normaliser then judges validity; an
    # invalid number is kept only when written like a phone number (+, 00 or 0 first).
    if not _MAYBE_PHONE.search(text):
        return
    for match in PhoneNumberMatcher(text, "GB", leniency=Leniency.POSSIBLE):
        raw = match.raw_string
        if _EXPLICIT_PHONE.match(raw) or (
            sum(c.isdigit() for c in raw) >= _MIN_NATIONAL_DIGITS and judge("phone", raw).valid
        ):
            yield "phone", match.start, match.end


def _mask(text: str, spans: list[Found]) -> str:
    """`text` with the given spans blanked, so the phone matcher skips what is already known."""
    if not spans:
        return text
    chars = list(text)
    for f in spans:
        chars[f.start : f.end] = " " * (f.end - f.start)
    return "".join(chars)


def _candidates(text: str, judge: Judge) -> Iterator[Candidate]:
    # Cheap substring guards skip whole patterns on the many texts that cannot match them.
    if "@" in text:
        yield from _regex("email", _EMAIL, text)
    yield from _ibans(text, judge)
    yield from _passports(text)
    if "/" in text:
        yield from _regex("pnc_id", _PNC, text)
        yield from _regex("cro", _CRO, text)
    yield from _regex("nino", _NINO, text)
    yield from _regex("sortcode_account", _SORTCODE_ACCOUNT, text)
    yield from _regex("postcode", _POSTCODE, text)
    yield from _regex("postcode", _BFPO, text)
    yield from _regex("vrm", _VRM_CURRENT, text)
    yield from _older_vrms(text)


def _keep_invalid(kind: str, reason: str | None) -> bool:
    # An IBAN-shaped string is kept only when just its check digits fail (a likely typo).
    return kind != "iban" or "checksum" in (reason or "").lower()


#: Kinds whose shape alone is weak evidence: an invalid candidate is noise, not a finding.
#: PNC IDs and CRO numbers are kept when invalid (a wrong check letter is worth seeing).
_DROP_INVALID = frozenset({"email", "nino", "postcode", "vrm", "sortcode_account"})


def find_identifiers(text: str) -> list[Found]:
    """Every identifier in `text`, sorted by start, none overlapping another."""
    # Candidates are judged by the registry's remembered normaliser: the same numbers and
    # marks recur across the reports of a batch, not only within one text.
    judge = normalise_cached
    found: list[Found] = []

    def consider(kind: str, start: int, end: int) -> None:
        original = text[start:end]
        result = judge(kind, original)
        if result.valid or (kind not in _DROP_INVALID and _keep_invalid(kind, result.reason)):
            found.append(Found(kind, original, result.value, result.reason, start, end))

    for kind, start, end in set(_candidates(text, judge)):
        consider(kind, start, end)
    # The phone matcher is the slow part and the least specific: run it last, on a copy
    # of the text with every valid identifier already found blanked out (same offsets).
    for kind, start, end in _phones(_mask(text, [f for f in found if f.valid]), judge):
        consider(kind, start, end)
    found.sort(key=lambda f: (-SPECIFICITY[f.kind], not f.valid, f.start - f.end, f.start, f.kind))
    return _without_overlaps(found)


def _without_overlaps(ranked: list[Found]) -> list[Found]:
    """The best-ranked candidates that overlap no better one, in text order."""
    kept: list[Found] = []  # non-overlapping, so sorted by start is also sorted by end
    starts: list[int] = []
    for f in ranked:
        i = bisect_right(starts, f.start)
        if (i and kept[i - 1].end > f.start) or (i < len(kept) and kept[i].start < f.end):
            continue
        kept.insert(i, f)
        starts.insert(i, f.start)
    return kept
