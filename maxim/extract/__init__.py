"""Extraction of structured facts from the free text of reports; pure functions, no I/O."""

from maxim.extract.text import Found, find_identifiers

__all__ = ["Found", "find_identifiers"]
