"""Small counts (1-4) are suppressed in victim tables, with secondary suppression against subtraction."""

from __future__ import annotations

from maxim.oversight.suppression import Rule, suppress, total_cell

RULE = Rule(1, 4, "<5")


def test_small_counts_are_hidden_and_zero_is_shown() -> None:
    cells = suppress({"a": 0, "b": 3, "c": 7, "d": 9, "e": 5}, RULE)
    assert cells["a"].shown == "0" and not cells["a"].suppressed
    assert cells["b"].shown == "<5" and cells["b"].value is None
    # One hidden cell and a total shown: the next smallest non-zero cell is hidden too.
    assert cells["e"].suppressed and not cells["c"].suppressed and not cells["d"].suppressed


def test_secondary_suppression_only_when_needed() -> None:
    assert [c.suppressed for c in suppress({"a": 2, "b": 3, "c": 10}, RULE).values()] == [True, True, False]
    assert not suppress({"a": 2, "b": 10}, RULE, with_total=False)["b"].suppressed
    assert total_cell({"a": 1, "b": 2}, RULE).shown == "<5"
    assert total_cell({"a": 1, "b": 20}, RULE).shown == "21"


def test_the_rule_is_stated_in_words() -> None:
    assert "shown as \u201c<5\u201d" in RULE.statement and "subtraction" in RULE.statement
