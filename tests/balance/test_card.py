"""The card's balancing section and the build summary's class rows."""

from __future__ import annotations

from builder.balance.card import section_balance, summary_rows
from builder.markdown import table

BALANCE = {"target": "balanced", "classes": {
    "No": {"before": 9, "target": 9, "after": 9, "method": "kept", "reason": "already at target",
           "chosen_by": "auto", "rows_by_origin": {"real": 9}},
    "a|b": {"before": 1, "target": 9, "after": 9, "method": "random over-sampling (duplicates)",
            "reason": "only 1 rows", "chosen_by": "auto",
            "rows_by_origin": {"real": 1, "oversampled": 8}}}}


def test_table_escapes_pipes_and_line_breaks() -> None:
    assert table(["a", "b"], [["x|y", "1\n2"]]) == "| a | b |\n|---|---|\n| x\\|y | 1 2 |"


def test_balance_section_and_summary_rows() -> None:
    text = section_balance(None, {"augment": {"balance": BALANCE}})
    assert "Target for the train split: balanced." in text
    assert ("| a\\|b | 1 (10%) | 9 | 9 (50%) | random over-sampling (duplicates) | real 1, "
            "oversampled 8 | only 1 rows (auto) |") in text
    assert summary_rows({"augment": {"balance": BALANCE}}) == [
        ["No", "9", "9", "9", "kept"], ["a|b", "1", "9", "9", "random over-sampling (duplicates)"]]
    assert section_balance(None, {}) == ""
