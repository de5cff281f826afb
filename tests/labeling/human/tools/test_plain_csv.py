"""The plain CSV: blank labels skipped, an annotator required."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.errors import DataError
from builder.labeling.human.tools import get_tool
from tests.labeling.human.conftest import FIXTURES
from tests.labeling.human.tools.requests import brief


def test_plain_csv_skips_blank_labels() -> None:
    parsed = get_tool("csv").parse(FIXTURES / "plain.csv")
    assert brief(parsed) == [("shop/r2", "neg", "dana", "line 2"),
                             ("shop/r3", "neg", "dana", "line 4")]
    assert parsed.skipped == {"blank label": 1}


def test_plain_csv_needs_an_annotator(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    path.write_text("row_id,label\nshop/r1,pos\nshop/r2\n")
    with pytest.raises(DataError, match=r"has no 'annotator' column; add one, or name the "
                                        r"annotator with --annotator"):
        get_tool("csv").parse(path)
    parsed = get_tool("csv").parse(path, annotator="eve")
    assert brief(parsed) == [("shop/r1", "pos", "eve", "line 2")]
    assert parsed.problems == ["line 3: 1 fields, expected 2 like the header."]
