"""Validation errors that name the field and the reason, collected and reported together."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldError:
    """One reason an input was refused: `field` is a dotted path such as `entities[2].schema`."""

    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}"

    def within(self, prefix: str) -> FieldError:
        """The same error located under a parent path (e.g. a row of a batch)."""
        return FieldError(f"{prefix}.{self.field}" if self.field else prefix, self.reason)


class ValidationFailed(ValueError):
    """An input was refused; `errors` lists every reason, not just the first."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        self.errors = list(errors)
        super().__init__("; ".join(str(e) for e in self.errors))
