"""The value type every identifier normaliser returns, and the base class they share.

DOMAIN §7: a failing identifier is never refused — a false or forged number is itself
intelligence — so a normaliser keeps the text as given and says *why* it is invalid
instead of raising.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

#: Longer inputs are refused before any pattern runs, so no normaliser can be made slow.
MAX_LENGTH = 200

_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Normalised:
    """One identifier as given, and either its canonical form or the reason it has none."""

    kind: str
    original: str
    value: str | None
    reason: str | None
    strong: bool

    def __post_init__(self) -> None:
        if (self.value is None) == (self.reason is None):
            raise ValueError("a Normalised has exactly one of `value` and `reason`")

    @property
    def valid(self) -> bool:
        return self.value is not None


class InvalidIdentifier(ValueError):
    """Raised inside `IdentifierType.clean` only; `normalise` turns it into a reason."""


class IdentifierType(ABC):
    """One kind of identifier: how to recognise it, write it canonically and weigh it.

    Subclasses implement `clean`, which may raise `InvalidIdentifier` with a reason a
    person can act on; `normalise` is the public, never-raising entry point.
    """

    kind: ClassVar[str]
    label: ClassVar[str]
    #: Enough on its own to suggest two records are the same person or thing.
    strong: ClassVar[bool]

    def normalise(self, text: str) -> Normalised:
        """The canonical form of `text`, or the reason it is not a valid identifier."""
        if not text.strip():
            return self._invalid(text, "empty")
        if len(text) > MAX_LENGTH:
            return self._invalid(text, f"too long to be a {self.label.lower()}")
        try:
            value = self.clean(text)
        except InvalidIdentifier as exc:
            return self._invalid(text, str(exc))
        return Normalised(self.kind, text, value, None, self.strong)

    @abstractmethod
    def clean(self, text: str) -> str:
        """The canonical value of non-empty `text`; raise `InvalidIdentifier` otherwise."""

    def _invalid(self, text: str, reason: str) -> Normalised:
        return Normalised(self.kind, text, None, reason, self.strong)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.kind!r}>"


def compact(text: str) -> str:
    """Uppercase with all whitespace removed: how codes are compared (DOMAIN §7)."""
    return _WHITESPACE.sub("", text).upper()


def squash(text: str) -> str:
    """Uppercase, trimmed, inner whitespace collapsed to one space."""
    return " ".join(text.split()).upper()
