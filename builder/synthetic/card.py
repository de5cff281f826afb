"""The dataset card's sections on synthetic data and on the evaluation of generated rows."""

from __future__ import annotations

from typing import Any

from builder.markdown import table
from builder.synthetic.config import DIRECT_COPULA


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def _percent(value: float | None) -> str:
    return "n/a (no holdout split)" if value is None else f"{value:.2%}"


def section_synthetic(composed: Any, metrics: dict) -> str:
    """The generator, what it made, its metadata corrections, PII handling and canaries."""
    augment = metrics.get("augment") or {}
    synthetic = augment.get("synthetic")
    if not synthetic:
        return ""
    generator = synthetic["generator"]
    options = ", ".join(f"{k} {v}" for k, v in generator.items() if k != "type")
    mode = augment.get("mode")
    lines = [
        "## Synthetic data\n",
        f"Generator: `{generator['type']}` ({options}); mode `{mode}`; sampling "
        f"`{synthetic['sampling']}`. Models are fitted on the real train rows only: validation and "
        "test rows are never seen by a generator.",
    ]
    selection = synthetic.get("selection")
    if selection:
        lines.append("\n" + _selection(selection))
    if mode == "release":
        lines.append("\n**Release copy: every row of every split is synthetic.** Rows that equal a "
                     f"real row were replaced ({synthetic.get('real_copies_replaced', 0)} rows).")
        lines.append("\n" + _release_table(metrics))
    models = synthetic.get("models") or {}
    if models:
        planted = any(m["canary_rows"] for m in models.values())
        trained = any("epochs" in m for m in models.values())
        header = ["model", "fitted on rows", "canary rows", "fitted by"] + (
            ["epochs"] if trained else [])
        rows = [[n, m["rows"], m["canary_rows"], m.get("engine", "")]
                + ([m.get("epochs", "")] if trained else []) for n, m in models.items()]
        lines.append("\nModels, fitted on real train rows"
                     + (" (plus canary rows, see below)" if planted else "") + ":\n\n"
                     + table(header, rows))
        if any(m.get("engine") == DIRECT_COPULA for m in models.values()):
            lines.append(f"\n`{DIRECT_COPULA}`: the model inside SDV's Gaussian copula "
                         "synthesizer (copulas' GaussianMultivariate over the same column "
                         "encodings), fitted and sampled without the synthesizer's fixed "
                         "per-model costs.")
        if trained:
            lines.append("\nA model fitted on one class trains for as many optimiser steps as "
                         "the configured epochs give a model of the whole train split.")
    if synthetic.get("copula_fallback"):
        lines.append("\nThe per-class Gaussian copulas were fitted by SDV's synthesizer rather "
                     f"than directly, because {synthetic['copula_fallback']}.")
    requests = synthetic.get("requests") or {}
    rows = [[purpose, name, n] for purpose, names in requests.items() for name, n in names.items()]
    if rows:
        lines.append("\nRows generated:\n\n"
                     + table(["purpose", "class or scenario", "rows"], rows))
    constraints = synthetic.get("constraints") or {}
    if constraints:
        lines.append("\nConstraints: " + "; ".join(
            f"`{n}` {c['type']} ({', '.join(c['columns'])})" for n, c in constraints.items()) + ".")
    pii = synthetic.get("pii_columns") or []
    if pii:
        action = ("dropped from the release" if synthetic.get("pii_action") == "drop"
                  else "replaced by SDV with fake values")
        canary = synthetic.get("canary") or {}
        lines.append(f"\nPII columns ({', '.join(pii)}): {action}.")
        if canary.get("columns"):
            lines.append(f"Canary test: {canary['markers_per_column']} marker values were planted "
                         f"in {', '.join(canary['columns'])} of each model's training rows; "
                         f"{canary['found']} appear in the output.")
    else:
        lines.append("\nPII columns: none declared or detected.")
    for warning in synthetic.get("warnings") or []:
        lines.append(f"\nWarning: {warning}.")
    return "\n".join(lines)


def section_evaluation(composed: Any, metrics: dict) -> str:
    """Quality, privacy and efficacy figures of the generated rows, and the recipe's gates."""
    augment = metrics.get("augment") or {}
    quality, privacy = augment.get("quality") or {}, augment.get("privacy") or {}
    efficacy, gates = augment.get("efficacy"), augment.get("gates") or []
    if not (quality or efficacy):
        return ""
    parts = ["## Quality, privacy and efficacy of generated rows"]
    if quality:
        parts.append(
            "Quality (SDMetrics, generated rows against real train rows of the same classes in the "
            "same mix; 1 is best). A number paired with a category is binned on the real "
            "column's edges, as SDMetrics documents; its 0.32 report bins each side on its own "
            "range, which gives the last column:\n\n" + table(
                ["rows", "count", "score", "column shapes", "column pair trends", "validity",
                 "SDMetrics report's score"],
                [[o, q["rows"], _fmt(q["score"]), _fmt(q["column_shapes"]),
                  _fmt(q["column_pair_trends"]), _fmt(q["validity"]),
                  _fmt(q.get("sdmetrics_score"))] for o, q in quality.items()]))
        for origin, q in quality.items():
            summaries = q.get("summaries") or {}
            real, made = summaries.get("real", {}), summaries.get(origin, {})
            rows = [[c, real.get(c, ""), made.get(c, ""), f"{d['metric']} {_fmt(d['score'])}"]
                    for c, d in q["columns"].items()]
            parts.append(f"Distributions, real vs {origin} rows:\n\n"
                         + table(["column", "real", origin, "shape score"], rows))
    origins = {o: p for o, p in privacy.items() if isinstance(p, dict)}
    if origins:
        parts.append(
            "Privacy (distance to closest real train record, SDMetrics' distance; the baseline is "
            "real holdout rows, which no generator saw; a ratio near or above 1 means generated "
            "rows are no closer to train rows than new real rows are):\n\n" + table(
                ["rows", "median DCR", "holdout median DCR", "DCR ratio", "exact copies"],
                [[o, _fmt(p["dcr_median"]), _fmt(p["holdout_dcr_median"]), _fmt(p["dcr_ratio"]),
                  f"{p['exact_copies']:.2%} ({p['exact_copy_rows']} rows)"]
                 for o, p in origins.items()])
            + "\n\nReal holdout rows equal to a train row (the baseline for exact copies): "
            + _percent(privacy.get("holdout_exact_copies")) + ".")
    if efficacy:
        minority = efficacy["minority_class"]
        rows = [[name, e["train_rows"], _fmt(e["balanced_accuracy"]), _fmt(e["minority_f1"])]
                for name, e in (("raw train split", efficacy["raw"]),
                                ("built train split", efficacy["built"]))]
        parts.append(
            f"Efficacy ({efficacy['model']} trained on each train split, tested on the real "
            f"`{efficacy['split']}` split, {efficacy['test_rows']} rows):\n\n"
            + table(["trained on", "rows", "balanced accuracy", f"F1 of '{minority}'"], rows))
    if gates:
        rows = [[g["gate"], _fmt(g["value"]), g["threshold"],
                 {True: "pass", False: "FAIL", None: "not measured"}[g["passed"]]] for g in gates]
        parts.append("Gates (recipe thresholds on the synthetic rows):\n\n"
                     + table(["gate", "value", "threshold", "result"], rows))
    return "\n\n".join(parts)


def _selection(selection: dict) -> str:
    """`generator: auto`: the candidates' scores on held-out real train rows, and the choice."""
    rows = [[("**" + name + "**") if name == selection["chosen"] else name,
             _fmt(c.get("quality")), _fmt(c.get("quality_se")), _fmt(c.get("efficacy")),
             c.get("failed", c.get("skipped", ""))]
            for name, c in selection["candidates"].items()]
    held = selection["held_out_rows"]
    return (f"`generator: auto` chose `{selection['chosen']}`: each candidate was fitted on the "
            f"real train rows less {selection['holdout']:.0%} of each class, "
            f"{len(held)} times with a different cut ({', '.join(map(str, held))} rows held out), "
            "made rows in the held-out class mix, and was scored by SDMetrics quality (each "
            "class's rows against that class's held-out rows, averaged over the classes) and by "
            "the balanced accuracy on them of the efficacy model trained on its rows, both "
            "averaged over the cuts; the best quality wins among the candidates whose efficacy is "
            "within 0.05 of the best.\n\n"
            + table(["candidate", "quality", "its standard error", "efficacy", "not scored"],
                    rows))


def _release_table(metrics: dict) -> str:
    """Rows per split and class: the real data the models learned from, and the release."""
    real = (metrics.get("split") or {}).get("counts") or {}
    made = (metrics.get("export") or {}).get("classes_per_split") or {}
    classes = list(next(iter(made.values()), {}) or next(iter(real.values()), {}))
    rows = [[split, *[f"{real.get(split, {}).get(c, 0)} -> {made.get(split, {}).get(c, 0)}"
                      for c in classes]] for split in (made or real)]
    return "Rows per split and class, real -> released:\n\n" + table(["split", *classes], rows)

