"""Recipe thresholds on the synthetic rows: the build fails when a score misses its threshold.

| key | compared with | fails when |
|---|---|---|
| `min_quality` | `quality.synthetic.score` | score < threshold |
| `max_exact_copies` | `privacy.synthetic.exact_copies` (share of rows equal to a real row) | share > threshold |
| `min_dcr_ratio` | `privacy.synthetic.dcr_ratio` (median DCR / holdout median DCR) | ratio < threshold |
| `min_efficacy_ratio` | `efficacy.balanced_accuracy_ratio` (built / raw train split) | ratio < threshold |
"""

from __future__ import annotations

from typing import Any

from builder.errors import FlywheelError


class GateError(FlywheelError):
    """A quality or privacy score of the synthetic rows misses a recipe threshold."""


def evaluate(gates: dict[str, float], quality: dict | None, privacy: dict | None,
             efficacy: dict | None = None) -> list[dict]:
    """One record per gate: its value, threshold and whether it passed (None: not measured)."""
    values = {
        "min_quality": (quality or {}).get("score"),
        "max_exact_copies": (privacy or {}).get("exact_copies"),
        "min_dcr_ratio": (privacy or {}).get("dcr_ratio"),
        "min_efficacy_ratio": (efficacy or {}).get("balanced_accuracy_ratio"),
    }
    records = []
    for name, threshold in gates.items():
        value = values[name]
        if value is None:
            passed = None
        elif name.startswith("max_"):
            passed = value <= threshold
        else:
            passed = value >= threshold
        records.append({"gate": name, "threshold": threshold, "value": value, "passed": passed})
    return records


def explain(record: dict[str, Any], quality: dict | None, privacy: dict | None,
            efficacy: dict | None = None) -> str:
    """The message for a failed gate, naming the score and the threshold."""
    name, value, threshold = record["gate"], record["value"], record["threshold"]
    if name == "min_efficacy_ratio":
        e = efficacy or {}
        return (f"synthetic.min_efficacy_ratio: a model trained on the built train split reaches "
                f"{value:.4f} of the balanced accuracy of one trained on the raw train split "
                f"({e.get('built', {}).get('balanced_accuracy')} against "
                f"{e.get('raw', {}).get('balanced_accuracy')} on the real {e.get('split')} split), "
                f"below the threshold {threshold:g}.")
    if name == "min_quality":
        q = quality or {}
        return (f"synthetic.min_quality: the SDMetrics quality score of the synthetic rows is "
                f"{value:.4f}, below the threshold {threshold:g} (column shapes "
                f"{q.get('column_shapes')}, column pair trends {q.get('column_pair_trends')}).")
    if name == "max_exact_copies":
        p = privacy or {}
        return (f"synthetic.max_exact_copies: {value:.2%} of the synthetic rows are exact copies "
                f"of real rows ({p.get('exact_copy_rows')} rows), above the threshold "
                f"{threshold:.2%}.")
    p = privacy or {}
    return (f"synthetic.min_dcr_ratio: the DCR ratio of the synthetic rows is {value:.4f} "
            f"(median distance to the closest train row {p.get('dcr_median')}, real holdout "
            f"baseline {p.get('holdout_dcr_median')}), below the threshold {threshold:g}.")


def enforce(records: list[dict], quality: dict | None, privacy: dict | None,
            efficacy: dict | None = None) -> None:
    """Raise a `GateError` listing every failed gate."""
    failed = [r for r in records if r["passed"] is False]
    unmeasured = [r for r in records if r["passed"] is None and r["gate"] == "min_dcr_ratio"
                  and privacy is not None]
    messages = [explain(r, quality, privacy, efficacy) for r in failed]
    messages += ["synthetic.min_dcr_ratio: cannot be checked: the DCR ratio needs real holdout "
                 "rows (a split besides train) whose distances are not all zero."
                 for _ in unmeasured]
    if messages:
        raise GateError("the build fails its synthetic-data gates:\n" +
                        "\n".join(f"- {m}" for m in messages))
