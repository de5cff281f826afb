"""Fidelity of generated rows: SDMetrics' quality report and diagnostic, through SDV.

Generated rows are compared with real train rows of the same classes in the same class mix (a
seeded sample of each class's real rows): rows made for a minority class are judged against real
rows of that class, not against the whole table.

- `score`: the quality report's overall score, the mean of `column_shapes` (each column's
  marginal: KS complement for numbers, TV complement for categories) and `column_pair_trends`
  (correlations and contingency tables; SDMetrics scores only pairs that are related in the
  real data);
- `validity`: the diagnostic's Data Validity (values within the real ranges and categories).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from builder.columns import column_kind
from builder.synthetic.guard import quiet


def matched_reference(real: pd.DataFrame, labels: pd.Series, wanted: pd.Series,
                      seed: int) -> pd.DataFrame:
    """Real rows in the class mix of `wanted` (the generated rows' classes): every row of the
    class that binds the mix, a seeded sample of the others, in their original order."""
    counts = wanted.value_counts()
    available = labels.value_counts().reindex(counts.index, fill_value=0)
    present = counts[available > 0]
    if present.empty:
        return real.iloc[:0]
    scale = float((available[present.index] / present).min())
    rng = np.random.default_rng(seed)
    parts = []
    for name, count in present.items():
        positions = np.flatnonzero((labels == name).fillna(False).to_numpy(dtype=bool))
        take = min(len(positions), max(1, round(count * scale)))
        parts.append(rng.choice(positions, size=take, replace=False))
    return real.iloc[np.sort(np.concatenate(parts))]


def quality_report(real: pd.DataFrame, generated: pd.DataFrame, metadata: Any) -> dict[str, Any]:
    """SDMetrics quality and validity of `generated` against `real` (same columns)."""
    from sdv.evaluation import evaluate_quality, run_diagnostic

    with quiet():
        quality = evaluate_quality(real, generated, metadata, verbose=False)
        diagnostic = run_diagnostic(real, generated, metadata, verbose=False)
    properties = quality.get_properties().set_index("Property")["Score"]
    validity = diagnostic.get_properties().set_index("Property")["Score"]
    shapes = quality.get_details("Column Shapes")
    return {
        "score": _round(quality.get_score()),
        "column_shapes": _round(properties.get("Column Shapes")),
        "column_pair_trends": _round(properties.get("Column Pair Trends")),
        "validity": _round(validity.get("Data Validity")),
        "columns": {str(row.Column): {"metric": str(row.Metric), "score": _round(row.Score)}
                    for row in shapes.itertuples()},
        "reference_rows": len(real),
        "rows": len(generated),
    }


def _round(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return round(float(value), 4)


def column_summaries(frame: pd.DataFrame, columns: list[str]) -> dict[str, str]:
    """A short description of each column's distribution, e.g. `mean 1048 (sd 474)`, `owner 47%`."""
    summaries = {}
    for column in columns:
        series = frame[column]
        kind = column_kind(series)
        missing = float(series.isna().mean()) if len(series) else 0.0
        tail = f", {missing:.0%} missing" if missing >= 0.005 else ""
        if not len(series) or series.isna().all():
            summaries[column] = "all missing" if len(series) else "no rows"
        elif kind == "numeric":
            values = pd.to_numeric(series, errors="coerce").astype(float)
            summaries[column] = f"mean {values.mean():.4g} (sd {values.std():.3g}){tail}"
        elif kind == "datetime":
            summaries[column] = f"median {series.median()}{tail}"
        else:
            shares = series.astype("string").value_counts(normalize=True)
            summaries[column] = f"{shares.index[0]} {shares.iloc[0]:.0%}{tail}"
    return summaries

