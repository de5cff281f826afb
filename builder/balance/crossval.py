"""Cross-validated efficacy of candidate balance plans, on folds of the real train rows only.

For each fold, every candidate's plan is applied to the other folds' rows by the strategies
themselves (`Strategy.select` and `Strategy.build`, as the augment stage applies them; the
generator through the `synthesize` callable the stage passes), the efficacy model
(`builder.synthetic.efficacy`) is fitted on the result and scored on the fold with
`balance.select.metric`. Targets are scaled to the fold (each class keeps its growth). Only the
fold's real rows are ever scored; validation and test rows are not seen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from builder.balance.cache import ScoreCache
from builder.balance.candidates import Candidate, scaled
from builder.balance.strategies.base import TrainSample, strategy
from builder.rows import ID

#: synthesize(fit rows, {class: rows}, seed) -> generated rows (features and label).
Synthesize = Callable[[pd.DataFrame, dict[str, int], int], pd.DataFrame]


@dataclass
class Folds:
    """The rows cross-validation sees and how they are cut."""

    rows: pd.DataFrame  # features, label and _id of the sampled real train rows
    folds: np.ndarray  # fold per row
    count: int
    features: list[str]
    label: str
    text: str | None = None


@dataclass
class Scores:
    """Fold scores per candidate."""

    folds: dict[str, list[float]] = field(default_factory=dict)

    def mean(self, name: str) -> float:
        values = [v for v in self.folds[name] if not np.isnan(v)]
        return float(np.mean(values)) if values else float("nan")


def apply(rows: pd.DataFrame, plans: list, data: Folds, k_neighbors: int,
          seed: Callable[..., int], synthesize: Synthesize | None) -> pd.DataFrame:
    """`rows` (real train rows of the fit folds) after `plans`: features and label."""
    from builder.balance.selection import select
    from builder.columns import unit_hashes

    labels = rows[data.label].astype(str).to_numpy()
    classes = [p.name for p in plans]
    codes = np.array([classes.index(c) if c in classes else -1 for c in labels])
    keys = unit_hashes(rows[ID].astype(str), seed("keys"), "balance-select")
    chosen = select(plans, classes, ["fold"], [codes], [keys])
    keep = chosen.keep.get("fold", np.ones(len(rows), dtype=bool))
    copies = {n: per_row for n, per_row, _ in chosen.copies.get("fold", [])}
    columns = [*data.features, data.label]

    def generated(features: pd.DataFrame, klass: Any, origin: str, ids: list) -> pd.DataFrame:
        return features.assign(**{data.label: klass})

    sample = TrainSample(rows=rows, features=data.features, label=data.label,
                         k_neighbors=k_neighbors, seed=seed, generated=generated,
                         copies=lambda n: copies.get(n, np.zeros(len(rows), dtype=np.int64)))
    added, wanted = [], {}
    for sequence, plan in enumerate(plans):
        outcome = strategy(plan.strategy).build(plan, sequence, sample)
        if outcome.rows is not None and len(outcome.rows):
            added.append(outcome.rows[columns])
        if outcome.generator_rows:
            wanted[plan.name] = outcome.generator_rows
    if wanted:
        if synthesize is None:
            raise ValueError("a synthetic candidate needs a generator")
        added.append(synthesize(rows[columns], wanted, seed("synthetic"))[columns])
    return pd.concat([rows.loc[keep, columns], *added], ignore_index=True)


def predict(fit: pd.DataFrame, valid: pd.DataFrame, data: Folds, seed: int,
            probabilities: bool) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
    """The efficacy model fitted on `fit`, applied to `valid`: predictions, class
    probabilities (when asked) and the classes they are for."""
    from builder.synthetic.efficacy import fit_model
    from builder.synthetic.efficacy import predict as predicted_by

    model, inputs = fit_model(fit, valid, data.label, data.features, data.text, seed)
    predicted, proba = predicted_by(model, inputs, probabilities)
    classes = [str(c) for c in model.classes_]
    return predicted, proba, classes


def cross_validate(data: Folds, before: dict[str, int], targets: dict[str, int],
                   names: list[str], make: Callable[[str, dict, dict], Candidate], metric: Any,
                   k_neighbors: int, seed: Callable[..., int],
                   synthesize: Synthesize | None, cache: ScoreCache, threads: int = 1) -> Scores:
    """Every candidate's score on every fold (see the module docstring); `make(name, counts,
    targets)` gives candidate `name` for a fold's counts and targets. Every candidate of a fold
    gets the same seeds, so that they differ by their plans only. Up to `threads` folds are
    scored at once (the gradient boosting and the resampling release the GIL; every score is
    seeded by its fold, so the order does not matter); candidates that call the generator run
    one at a time afterwards (its fit seeds global generators)."""
    labels = data.rows[data.label].astype(str).to_numpy()
    minority = min(before, key=lambda c: (before[c] if before[c] else np.inf, c))

    def fold_scores(fold: int, generated: bool) -> dict[str, float]:
        fit = data.rows[data.folds != fold].reset_index(drop=True)
        valid = data.rows[data.folds == fold].reset_index(drop=True)
        fit_labels = labels[data.folds != fold]
        counts = {c: int((fit_labels == c).sum()) for c in before}
        fold_targets = scaled(targets, before, counts)
        truth = valid[data.label].astype(str).to_numpy()
        values = {}
        for name in names:
            plan = make(name, counts, fold_targets)
            if ("synthetic" in plan.strategies.values()) != generated:
                continue
            key = cache.key(fold, plan.key())
            value = cache.get(key)
            if value is None:
                plans = plan.plans(counts, "cross-validation", "auto")
                built = apply(fit, [p for p in plans if p.before > 0 or p.target == 0], data,
                              k_neighbors, lambda *more, f=fold: seed("select", f"fold{f}", *more),
                              synthesize)
                predicted, proba, classes = predict(built, valid, data, seed("select", "model"),
                                                    metric.needs_probabilities)
                value = round(metric(truth, predicted, proba, classes, minority), 4)
                cache.put(key, value)
            values[name] = value
        return values

    from builder.engine import ordered_map

    folds = range(data.count)
    plain = list(ordered_map(lambda f: fold_scores(f, False), folds, max(threads, 1)))
    generated = [fold_scores(f, True) for f in folds]
    return Scores({n: [{**plain[f], **generated[f]}[n] for f in folds] for n in names})
