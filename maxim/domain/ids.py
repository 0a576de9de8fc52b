"""Deterministic identifiers, so that ingesting the same report twice is a no-op.

Every id is a SHA-1 of its parts joined by a unit separator: the same parts give the same id
on any machine, in any order of ingest.
"""

from __future__ import annotations

import hashlib

_SEP = "\x1f"


def _digest(*parts: str) -> str:
    # An identifier, not a security control: SHA-1 is stable and short enough here.
    return hashlib.sha1(_SEP.join(parts).encode("utf-8"), usedforsecurity=False).hexdigest()


def mention_id(originator: str, reference: str, local_id: str) -> str:
    """The entity id of an entity named in a report: stable across versions of that report."""
    return "m" + _digest(originator, reference, local_id)[:32]


def report_document_id(originator: str, reference: str) -> str:
    """The entity id of a report's own text (where extracted identifiers hang)."""
    return "r" + _digest(originator, reference)[:32]


def report_id(originator: str, reference: str, content_hash: str) -> str:
    """The id of one version of a report: its originator, reference and content."""
    return _digest(originator, reference, content_hash)


def statement_id(report_id: str, entity_id: str, prop: str, value: str) -> str:
    """The id of one fact: the same value of the same property from the same report is one row."""
    return _digest(report_id, entity_id, prop, value)
