"""The comparisons of Maxim's Person model, defined once for Splink (SQL) and for Python.

Each level has a label that reads as an explanation ("date of birth agrees exactly"), the SQL
Splink evaluates in batch (DuckDB or Spark), and a Python predicate that real-time matching
evaluates on the same features, so a candidate's score and the batch model agree. Levels are
in Splink's order: null level first, most specific next, `else` last.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jellyfish

from maxim.resolve.features import MentionFeatures

Predicate = Callable[[MentionFeatures, MentionFeatures], bool]
NAME_JW = 0.9


@dataclass(frozen=True, slots=True)
class Level:
    label: str
    test: Predicate
    # builds the Splink comparison-level creator (splink imported lazily: it is heavy)
    creator: Callable[[], Any]
    null: bool = False
    tf_column: str | None = None


@dataclass(frozen=True, slots=True)
class Comparison:
    name: str  # Splink output column name
    description: str
    levels: list[Level] = field(default_factory=list)


def _cll() -> Any:
    import splink.comparison_level_library as cll

    return cll


def _custom(sql: str, label: str) -> Callable[[], Any]:
    return lambda: _cll().CustomLevel(sql, label_for_charts=label)


def _null_level(col: str, label: str) -> Level:
    return Level(
        label,
        lambda a, b: getattr(a, col) is None or getattr(b, col) is None,
        lambda: (
            _cll()
            .CustomLevel(f"{col}_l IS NULL OR {col}_r IS NULL", label_for_charts=label)
            .configure(is_null_level=True)
        ),
        null=True,
    )


def _else(label: str) -> Level:
    return Level(label, lambda a, b: True, lambda: _cll().ElseLevel().configure(label_for_charts=label))


def _exact(col: str, label: str, tf: bool = False) -> Level:
    def make() -> Any:
        level = _cll().ExactMatchLevel(col, term_frequency_adjustments=tf)
        return level.configure(label_for_charts=label)

    return Level(label, lambda a, b: getattr(a, col) == getattr(b, col), make, tf_column=col if tf else None)


def _identifier(col: str, what: str) -> Comparison:
    return Comparison(
        col,
        what,
        [
            _null_level(col, f"{what} not given on both"),
            _exact(col, f"{what} agrees exactly"),
            _else(f"{what} differs"),
        ],
    )


def _partial_dob(a: MentionFeatures, b: MentionFeatures) -> bool:
    x, y = a.dob or "", b.dob or ""
    return (len(x) < 10 or len(y) < 10) and (x.startswith(y) or y.startswith(x))


def _dob_slip(a: MentionFeatures, b: MentionFeatures) -> bool:
    x, y = a.dob or "", b.dob or ""
    if len(x) != 10 or len(y) != 10:
        return False
    swapped = x[:4] == y[:4] and x[5:7] == y[8:10] and x[8:10] == y[5:7]
    return swapped or jellyfish.levenshtein_distance(x, y) <= 1


def _same_day_month(a: MentionFeatures, b: MentionFeatures) -> bool:
    x, y = a.dob or "", b.dob or ""
    return len(x) == 10 and len(y) == 10 and x[5:] == y[5:]


def _jw(a: MentionFeatures, b: MentionFeatures) -> bool:
    return jellyfish.jaro_winkler_similarity(a.name_key or "", b.name_key or "") >= NAME_JW


def _share_token(a: MentionFeatures, b: MentionFeatures) -> bool:
    return bool(set(a.name_tokens) & set(b.name_tokens))


NAME = Comparison(
    "name",
    "full name, in any order",
    [
        _null_level("name_key", "name not given on both"),
        _exact("name_key", "name agrees exactly (any order)", tf=True),
        Level(
            "name is a transliteration or spelling variant",
            lambda a, b: a.name_skel == b.name_skel,
            lambda: (
                _cll()
                .ExactMatchLevel("name_skel")
                .configure(label_for_charts="name is a transliteration or spelling variant")
            ),
        ),
        Level(
            "name is a close spelling",
            _jw,
            lambda: _cll().JaroWinklerLevel("name_key", NAME_JW).configure(label_for_charts="name is a close spelling"),
        ),
        Level(
            "names share a part",
            _share_token,
            lambda: _cll().ArrayIntersectLevel("name_tokens", 1).configure(label_for_charts="names share a part"),
        ),
        _else("names differ"),
    ],
)

DOB = Comparison(
    "dob",
    "date of birth, full or partial",
    [
        _null_level("dob", "date of birth not given on both"),
        Level(
            "date of birth agrees exactly",
            lambda a, b: a.dob == b.dob and len(a.dob or "") == 10,
            _custom("dob_l = dob_r AND length(dob_l) = 10", "date of birth agrees exactly"),
        ),
        Level(
            "partial date of birth agrees",
            _partial_dob,
            _custom(
                "(length(dob_l) < 10 OR length(dob_r) < 10) AND "
                "(substr(dob_l, 1, length(dob_r)) = dob_r OR substr(dob_r, 1, length(dob_l)) = dob_l)",
                "partial date of birth agrees",
            ),
        ),
        Level(
            "date of birth differs by a slip (one digit, or day and month swapped)",
            _dob_slip,
            _custom(
                "length(dob_l) = 10 AND length(dob_r) = 10 AND (levenshtein(dob_l, dob_r) <= 1 OR "
                "(substr(dob_l, 1, 4) = substr(dob_r, 1, 4) AND substr(dob_l, 6, 2) = substr(dob_r, 9, 2) "
                "AND substr(dob_l, 9, 2) = substr(dob_r, 6, 2)))",
                "date of birth differs by a slip (one digit, or day and month swapped)",
            ),
        ),
        Level(
            "same day and month of birth, different year",
            _same_day_month,
            _custom(
                "length(dob_l) = 10 AND length(dob_r) = 10 AND substr(dob_l, 6, 5) = substr(dob_r, 6, 5)",
                "same day and month of birth, different year",
            ),
        ),
        _else("date of birth differs"),
    ],
)


def _shared_context(n: int) -> Predicate:
    return lambda a, b: len(set(a.context or ()) & set(b.context or ())) >= n


def _context_level(n: int, label: str) -> Level:
    return Level(
        label,
        _shared_context(n),
        lambda: _cll().ArrayIntersectLevel("context", n).configure(label_for_charts=label),
    )


CONTEXT = Comparison(
    "context",
    "people, places and identifiers named alongside",
    [
        _null_level("context", "nothing named alongside on both"),
        _context_level(2, "named alongside two or more of the same people, places or identifiers"),
        _context_level(1, "named alongside the same person, place or identifier"),
        _else("nothing named alongside in common"),
    ],
)

COMPARISONS: list[Comparison] = [
    NAME,
    DOB,
    CONTEXT,
    _identifier("phone", "phone"),
    _identifier("passport", "passport number"),
    _identifier("email", "email"),
    _identifier("gender", "gender"),
    _identifier("nationality", "nationality"),
]


def level_index(comparison: Comparison, a: MentionFeatures, b: MentionFeatures) -> int:
    """The first level of `comparison` whose test the pair passes (Splink's rule)."""
    for i, level in enumerate(comparison.levels):
        if level.test(a, b):
            return i
    return len(comparison.levels) - 1
