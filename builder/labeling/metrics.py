"""The label stage's metrics: accuracy against known truth, counts summed over partitions, and
`metrics/label.json` in the order and shape of one pass over the whole table."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from builder.labeling.label_errors import label_errors_metrics

if TYPE_CHECKING:
    from builder.context import Context


def accuracy_counts(predicted: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """[rows with truth, of them with a prediction, of them right]: what `accuracy` reports,
    summable over partitions."""
    known = truth >= 0
    made = known & (predicted >= 0)
    return np.array([known.sum(), made.sum(), (made & (predicted == truth)).sum()],
                    dtype=np.int64)


def accuracy_of(counts: np.ndarray) -> dict[str, Any]:
    """Accuracy against known truth, on rows with a prediction and on all rows with truth."""
    known, made, right = (int(c) for c in counts)
    return {
        "rows": known,
        "labeled": made,
        "accuracy_labeled": round(right / made, 4) if made else None,
        "accuracy_all": round(right / known, 4) if known else None,
    }


def accuracy(predicted: np.ndarray, truth: np.ndarray) -> dict[str, Any]:
    """Accuracy against known truth, on rows with a prediction and on all rows with truth."""
    return accuracy_of(accuracy_counts(predicted, truth))


def add_counts(total: dict, part: dict) -> dict:
    """Sum nested dicts of counts (and arrays) key by key; other values keep the first seen."""
    for key, value in part.items():
        if isinstance(value, dict):
            total[key] = add_counts(total.get(key, {}), value)
        elif isinstance(value, list):
            total[key] = total.get(key, []) + value
        elif isinstance(value, (int, np.integer, np.ndarray)) and not isinstance(value, bool):
            total[key] = total.get(key, 0) + value
        else:
            total.setdefault(key, value)
    return total


def label_metrics(ctx: Context, metrics: dict[str, Any], totals: dict[str, Any],
                  human_metrics: dict[str, Any]) -> dict[str, Any]:
    """The stage's metrics, in the order and shape of one pass over the whole table."""
    recipe = ctx.recipe
    config, task = recipe.labeling, recipe.task
    classes = task.classes
    result: dict[str, Any] = {"rows_in": int(totals.get("rows_in", 0))}
    result["gold"] = {"column": config.gold_column(task), "use": config.gold.use,
                      "rows": int(totals.get("gold_rows", 0)),
                      "dev_rows": int(totals.get("dev_rows", 0))
                      if config.gold.use == "evaluate" else None}
    if "functions" in metrics:
        result["functions"] = metrics["functions"]
    report = _sorted_counts(totals.get("precedence", {}))
    if totals.get("feedback"):
        result["feedback"] = {**{k: int(v) for k, v in totals["feedback"].items()},
                              **report.get("feedback", {})}
    human = dict(human_metrics)
    if "low_agreement" in human:
        human["low_agreement"] = {**human["low_agreement"],
                                  "dropped": int(totals.get("human_dropped", 0))}
    result["human"] = {**human, **report.get("human", {})}
    if "pseudo" in metrics:
        pseudo = dict(metrics["pseudo"])
        if "label_errors" in totals:
            result["label_errors"] = label_errors_metrics(ctx, totals["label_errors"])
        found = totals.get("pseudo", {})
        if config.unlabeled == "pseudo":
            pseudo["accepted"] = int(found.get("accepted", 0))
            pseudo["accepted_accuracy"] = accuracy_of(found.get("accepted_accuracy",
                                                                np.zeros(3)))
        pseudo["model_accuracy"] = accuracy_of(found.get("model_accuracy", np.zeros(3)))
        result["pseudo"] = pseudo
    result["final_accuracy"] = accuracy_of(totals.get("final_accuracy", np.zeros(3)))
    class_counts = totals.get("classes", np.zeros(len(classes), np.int64))
    result.update({
        "rows_out": int(totals.get("rows_out", 0)),
        "unlabeled_dropped": int(totals.get("unlabeled_dropped", 0)),
        "unlabeled_kept": int(totals.get("unlabeled_kept", 0)),
        "label_sources": {k: int(v) for k, v in sorted(totals.get("label_sources", {}).items())},
        "classes": {c: int(n) for c, n in zip(classes, class_counts)},
    })
    return result


def _sorted_counts(report: dict[str, Any]) -> dict[str, Any]:
    """Summed precedence reports with their count mappings in key order (as one pass gives)."""
    result = {}
    for source, figures in report.items():
        result[source] = {k: ({n: int(c) for n, c in sorted(v.items())} if isinstance(v, dict)
                              else int(v)) for k, v in figures.items()}
    return result
