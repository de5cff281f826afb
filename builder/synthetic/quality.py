"""Fidelity of generated rows: SDMetrics' quality report and diagnostic, through SDV.

Generated rows are compared with real train rows of the same classes in the same class mix (a
seeded sample of each class's real rows): rows made for a minority class are judged against real
rows of that class, not against the whole table.

- `score`: the quality report's overall score, the mean of `column_shapes` (each column's
  marginal: KS complement for numbers, TV complement for categories) and `column_pair_trends`
  (correlations and contingency tables; SDMetrics scores only pairs that are related in the
  real data);
- `validity`: the diagnostic's Data Validity (values within the real ranges and categories).

A pair of a number and a category is scored on a contingency table of the number's 10 bins.
SDMetrics documents the bins as the real column's, the outer ones open (SDMetrics pull request
368), and its `ContingencySimilarity` metric bins that way; but the quality report of SDMetrics
0.32 bins each side on its own range, so the two tables count different intervals whenever the
ranges differ (one outlier is enough: on AER's HMDA, 61 denied rows with one payment ratio of 3,
such pairs scored 0.04-0.08, 0.88 binned alike). Those pairs are scored again with the metric,
and `score` is the mean of the report's column shapes and the pair trends so rescored;
`sdmetrics_score` keeps the report's own.
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
    column_shapes = properties.get("Column Shapes")
    pairs = pair_trends(real, generated, metadata, quality.get_details("Column Pair Trends"))
    if pairs is None:
        pairs = properties.get("Column Pair Trends")
    parts = [v for v in (column_shapes, pairs) if v is not None and not np.isnan(v)]
    return {
        "score": _round(float(np.mean(parts))) if parts else None,
        "sdmetrics_score": _round(quality.get_score()),
        "column_shapes": _round(column_shapes),
        "column_pair_trends": _round(pairs),
        "validity": _round(validity.get("Data Validity")),
        "columns": {str(row.Column): {"metric": str(row.Metric), "score": _round(row.Score)}
                    for row in shapes.itertuples()},
        "reference_rows": len(real),
        "rows": len(generated),
    }


def pair_trends(real: pd.DataFrame, generated: pd.DataFrame, metadata: Any,
                details: pd.DataFrame) -> float | None:
    """The mean score of the pairs the report counts (`Meets Threshold?`), each pair of a
    number and a category scored again on the real column's bins (see the module docstring);
    None when no pair counts."""
    from sdmetrics.column_pairs import ContingencySimilarity

    from builder.synthetic.metadata import sdtypes

    numbers = {c for c, sdtype in sdtypes(metadata).items() if sdtype == "numerical"}
    counted = details[details["Meets Threshold?"].astype("boolean").fillna(False)]
    scores = []
    for first, second, metric, score in zip(counted["Column 1"], counted["Column 2"],
                                            counted["Metric"], counted["Score"]):
        binned = [c for c in (first, second) if c in numbers]
        if metric == "ContingencySimilarity" and binned:
            pair = [first, second]
            score = ContingencySimilarity.compute(real[pair], generated[pair],
                                                  continuous_column_names=binned)
        scores.append(score)
    finite = [float(v) for v in scores if v is not None and not np.isnan(v)]
    return float(np.mean(finite)) if finite else None


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

