"""Cross-validated efficacy of candidate balance plans, on folds of the real train rows only.

For each fold, every candidate's plan is applied to the other folds' rows by the strategies
themselves (`Strategy.select` and `Strategy.build`, as the augment stage applies them; the
generator through the `synthesize` callable the stage passes), the efficacy model
(`builder.synthetic.efficacy`) is fitted on the result and scored on the fold with
`balance.select.metric`. Targets are scaled to the fold (each class keeps its growth). Only the
fold's real rows are ever scored; validation and test rows are not seen.

What candidates share is done once: the sample's features are encoded for the model once for
every fold and candidate (`builder.balance.encoded`; a text task's TF-IDF is fitted per fit, as
`fit_model` does), a fold's rows and keys once for its candidates, and a plan two candidates
share on a fold is fitted once. Real rows a plan keeps or copies are carried as their positions
in the sample, not as copies of their values. The scores are those of `fit_model` on the plan's
rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from builder.balance.cache import ScoreCache
from builder.balance.candidates import Candidate, scaled
from builder.balance.encoded import Encoded, encode, inputs, same_kinds
from builder.balance.strategies.base import TrainSample, strategy
from builder.rows import ID

#: synthesize(fit rows, {class: rows}, seed) -> generated rows (features and label).
Synthesize = Callable[[pd.DataFrame, dict[str, int], int], pd.DataFrame]
#: Column of the fit rows the strategies see: each row's position in the sample (copies keep it).
POSITION = "__sample_position"


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


@dataclass
class Built:
    """A plan's fit rows in order: blocks of positions (real rows kept or copied) and of
    generated rows (features and label)."""

    blocks: list[np.ndarray | pd.DataFrame]

    def frame(self, source: pd.DataFrame, data: Folds) -> pd.DataFrame:
        """The rows as one table (positions into `source`)."""
        columns = [*data.features, data.label]
        return pd.concat([source.iloc[b][columns] if isinstance(b, np.ndarray) else b[columns]
                          for b in self.blocks], ignore_index=True)

    def labels(self, labels: np.ndarray, label: str) -> np.ndarray:
        """Every row's class as text (`labels`: the classes of the positions' rows)."""
        return np.concatenate([labels[b] if isinstance(b, np.ndarray)
                               else b[label].astype(str).to_numpy() for b in self.blocks])


def resample(fit: pd.DataFrame, plans: list, data: Folds, k_neighbors: int,
             seed: Callable[..., int], synthesize: Synthesize | None,
             keys: np.ndarray | None = None) -> Built:
    """`fit` (real train rows of the fit folds, with their `POSITION`) after `plans`; `keys`:
    the rows' keys (`seed("keys")`), when already computed."""
    from builder.balance.selection import select
    from builder.columns import unit_hashes

    classes = [p.name for p in plans]
    codes = pd.Categorical(fit[data.label].astype(str), categories=classes).codes
    if keys is None:
        keys = unit_hashes(fit[ID].astype(str), seed("keys"), "balance-select")
    chosen = select(plans, classes, ["fold"], [np.asarray(codes, dtype=np.int64)], [keys])
    positions = fit[POSITION].to_numpy()
    keep = chosen.keep.get("fold")
    copies = {n: per_row for n, per_row, _ in chosen.copies.get("fold", [])}
    columns = [*data.features, data.label]

    def generated(features: pd.DataFrame, klass: Any, origin: str, ids: list) -> pd.DataFrame:
        return features.assign(**{data.label: klass})

    sample = TrainSample(rows=fit, features=data.features, label=data.label,
                         k_neighbors=k_neighbors, seed=seed, generated=generated,
                         copies=lambda n: copies.get(n, np.zeros(len(fit), dtype=np.int64)))
    blocks: list[np.ndarray | pd.DataFrame] = [positions if keep is None else positions[keep]]
    wanted = {}
    for sequence, plan in enumerate(plans):
        outcome = strategy(plan.strategy).build(plan, sequence, sample)
        rows = outcome.rows
        if rows is not None and len(rows):
            blocks.append(rows[POSITION].to_numpy() if POSITION in rows.columns
                          else rows[columns])
        if outcome.generator_rows:
            wanted[plan.name] = outcome.generator_rows
    if wanted:
        if synthesize is None:
            raise ValueError("a synthetic candidate needs a generator")
        blocks.append(synthesize(fit[columns], wanted, seed("synthetic"))[columns])
    return Built(blocks)


def apply(rows: pd.DataFrame, plans: list, data: Folds, k_neighbors: int,
          seed: Callable[..., int], synthesize: Synthesize | None) -> pd.DataFrame:
    """`rows` (real train rows of the fit folds) after `plans`: features and label."""
    fit = rows.assign(**{POSITION: np.arange(len(rows))})
    return resample(fit, plans, data, k_neighbors, seed, synthesize).frame(rows, data)


def predict(fit: pd.DataFrame, valid: pd.DataFrame, data: Folds, seed: int,
            probabilities: bool) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
    """The efficacy model fitted on `fit`, applied to `valid`: predictions, class
    probabilities (when asked) and the classes they are for."""
    from builder.synthetic.efficacy import fit_model
    from builder.synthetic.efficacy import predict as predicted_by

    model, inputs_ = fit_model(fit, valid, data.label, data.features, data.text, seed)
    predicted, proba = predicted_by(model, inputs_, probabilities)
    classes = [str(c) for c in model.classes_]
    return predicted, proba, classes


def predict_encoded(built: Built, scored: np.ndarray, data: Folds, encoded: Encoded | None,
                    labels: np.ndarray, seed: int, probabilities: bool
                    ) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
    """`predict` for `built` fitted and the sample's rows at `scored`, on the encoded sample;
    through `predict` for a text task, or generated rows whose columns would change a
    column's kind."""
    new = [b for b in built.blocks if isinstance(b, pd.DataFrame)]
    if encoded is None or not all(same_kinds(encoded, b, data.features) for b in new):
        valid = data.rows.iloc[scored].reset_index(drop=True)
        return predict(built.frame(data.rows, data), valid, data, seed, probabilities)
    from threadpoolctl import threadpool_limits

    from builder.synthetic.efficacy import efficacy_model
    from builder.synthetic.efficacy import predict as predicted_by

    x = inputs(encoded, built.blocks, scored, data.features)
    model = efficacy_model("table", seed).set_params(categorical_features=x.categorical)
    with threadpool_limits(limits=1):
        model.fit(x.fit, built.labels(labels, data.label))
    predicted, proba = predicted_by(model, x.scored, probabilities)
    return predicted, proba, [str(c) for c in model.classes_]


@dataclass
class Fold:
    """What every candidate of one fold shares: its fit rows (with `POSITION`), the positions
    of its scored rows, class counts and targets, seeds, and the fit rows' keys."""

    number: int
    fit: pd.DataFrame
    scored: np.ndarray
    counts: dict[str, int]
    targets: dict[str, int]
    seed: Callable[..., int]
    keys: np.ndarray | None = None


def fold(data: Folds, number: int, labels: np.ndarray, before: dict[str, int],
         targets: dict[str, int], seed: Callable[..., int]) -> Fold:
    """Fold `number`'s shared inputs; `labels`: the sample's classes as text."""
    fitting = data.folds != number
    fit = data.rows[fitting].reset_index(drop=True)
    fit[POSITION] = np.flatnonzero(fitting)
    counts = {c: int((labels[fitting] == c).sum()) for c in before}
    return Fold(number, fit, np.flatnonzero(~fitting), counts, scaled(targets, before, counts),
                lambda *more: seed("select", f"fold{number}", *more))


def cross_validate(data: Folds, before: dict[str, int], targets: dict[str, int],
                   names: list[str], make: Callable[[str, dict, dict], Candidate], metric: Any,
                   k_neighbors: int, seed: Callable[..., int],
                   synthesize: Synthesize | None, cache: ScoreCache, threads: int = 1) -> Scores:
    """Every candidate's score on every fold (see the module docstring); `make(name, counts,
    targets)` gives candidate `name` for a fold's counts and targets. Every candidate of a fold
    gets the same seeds, so that they differ by their plans only. Up to `threads` scores (a
    fold's plan each) are computed at once (the gradient boosting and the resampling release
    the GIL; every score is seeded by its fold, so the order does not matter); plans that call
    the generator run one at a time afterwards (its fit seeds global generators)."""
    from builder.columns import unit_hashes

    labels = data.rows[data.label].astype(str).to_numpy()
    minority = min(before, key=lambda c: (before[c] if before[c] else np.inf, c))
    folds = [fold(data, f, labels, before, targets, seed) for f in range(data.count)]
    keyed: dict[tuple[int, str], str] = {}
    todo: dict[str, tuple[Fold, Candidate]] = {}  # one per plan: a shared plan is fitted once
    known: dict[str, float] = {}
    for shared in folds:
        for name in names:
            plan = make(name, shared.counts, shared.targets)
            key = keyed[shared.number, name] = cache.key(shared.number, plan.key())
            if key not in known and key not in todo:
                value = cache.get(key)
                if value is None:
                    todo[key] = (shared, plan)
                else:
                    known[key] = value
    encoded = encode(data.rows, data.features) if todo and data.text is None else None
    for shared in {id(f): f for f, _ in todo.values()}.values():
        shared.keys = unit_hashes(shared.fit[ID].astype(str), shared.seed("keys"),
                                  "balance-select")

    def scored(key: str) -> float:
        shared, plan = todo[key]
        plans = plan.plans(shared.counts, "cross-validation", "auto")
        built = resample(shared.fit, [p for p in plans if p.before > 0 or p.target == 0], data,
                         k_neighbors, shared.seed, synthesize, shared.keys)
        predicted, proba, classes = predict_encoded(
            built, shared.scored, data, encoded, labels, seed("select", "model"),
            metric.needs_probabilities)
        value = round(metric(labels[shared.scored], predicted, proba, classes, minority), 4)
        cache.put(key, value)
        return value

    generated = [k for k, (_, plan) in todo.items() if "synthetic" in plan.strategies.values()]
    plain = [k for k in todo if k not in generated]
    known.update(zip(plain, parallel(scored, plain, threads)))
    known.update((k, scored(k)) for k in generated)
    return Scores({n: [known[keyed[f, n]] for f in range(data.count)] for n in names})


def parallel(fn: Callable[[str], float], items: list[str], threads: int) -> list[float]:
    """`fn` of every item, in order, on up to `threads` threads, each taking the next item as
    it frees up."""
    if threads <= 1 or len(items) <= 1:
        return [fn(item) for item in items]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(min(threads, len(items)), thread_name_prefix="select") as pool:
        return list(pool.map(fn, items))
