"""One-line factories for test inputs (never real people: Ofcom drama numbers, invented names)."""

from __future__ import annotations

from typing import Any


def report(**overrides: Any) -> dict[str, Any]:
    """A valid intelligence report; override any field."""
    base: dict[str, Any] = {
        "kind": "intelligence",
        "originator": "BOCU-LAMBETH",
        "reference": "LAM/2025/000001",
        "received_at": "2025-05-01T10:00:00Z",
        "intelligence_date": "2025-04-28",
        "source_evaluation": "2",
        "intelligence_assessment": "B",
        "handling_code": "P",
        "nim_level": 2,
        "themes": ["TRAFFICKING", "VICE"],
        "title": "Women controlled at flat above nail bar",
        "text": "Phone 07700 900123 used by the controller; flat at SE1 7XX; car AB12 CDE seen.",
        "entities": [
            person(
                "p1",
                "Testperson Alpha",
                role="suspect",
                phone=["07700 900123"],
                birthDate=["1984-03-02"],
            ),
            {
                "id": "a1",
                "schema": "Address",
                "properties": {
                    "full": ["Flat 2, 14 Example Road, London SE1 7XX"],
                    "postalCode": ["se17xx"],
                },
            },
        ],
    }
    base.update(overrides)
    return base


def c_coded(**overrides: Any) -> dict[str, Any]:
    """A valid handling-code C report, shared with the clearinghouse (the local administrator's unit)."""
    fields: dict[str, Any] = {
        "handling_code": "C",
        "handling_conditions": "Contact originator before any executive action",
        "action_code": "A2",
        "sanitisation_code": "S1",
        "share_with": ["SCD6-MAXIM"],
    }
    fields.update(overrides)
    return report(**fields)


def person(local_id: str, name: str, *, role: str = "suspect", **props: list[str]) -> dict[str, Any]:
    return {
        "id": local_id,
        "schema": "Person",
        "role": role,
        "properties": {"name": [name], **props},
    }
