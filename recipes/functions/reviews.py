"""Python labeling functions for the `reviews` recipe (see `labeling.functions` there).

Each takes a pandas batch and returns one value per row, computed on whole columns.
"""

from __future__ import annotations

import pyarrow.compute as pc

from builder.columns import to_arrow

RECOMMENDS = (r"\b(?:worth (?:seeing|watching|a look|the price)|must[- ]see|don'?t miss|"
              r"(?:highly )?recommended|go see it|see it)\b")


def recommends(batch):
    """True where the critic tells the reader to go and see the film."""
    text = to_arrow(batch["text"].astype("string[pyarrow]"))
    found = pc.match_substring_regex(text, RECOMMENDS, ignore_case=True)
    return pc.fill_null(found, False).to_numpy(zero_copy_only=False)
