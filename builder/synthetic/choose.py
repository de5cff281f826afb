"""`synthetic.generator: auto`: compare generators on real train rows held out of their fit, and
keep the best.

Candidates are Gaussian copulas with different marginal families (`FAMILIES`: normal, truncated
normal, beta and the empirical marginals of `builder.synthetic.marginals`), and CTGAN and TVAE
when `synthetic.select.budget` (seconds) allows them: the epochs that half the budget buys each
(at the estimated `NEURAL_COST` seconds per row and epoch, for the model of every class), at
least `MIN_EPOCHS`, at most `MAX_EPOCHS`. The choice depends on the budget, never on a clock, so
a rebuild makes the same choice (the budget is shared by the repeats). Each class's real train
rows are cut by a seeded hash of their `_id`, `synthetic.select.repeats` times with a different
seed: `1 - holdout` of them fit the candidate (through the augment stage's `Synthesizer`, with
the recipe's constraints and settings), which then makes rows in the held-out class mix
(`generated_counts`). Two scores of those rows against the held-out real rows, averaged over the
repeats:

- quality: SDMetrics' quality score (column shapes and pair trends, pairs with a number binned
  as `builder.synthetic.quality` says) of each class's rows against that class's held-out rows,
  averaged over the classes. Each class has a model of its own (`sampling: per_class`) and
  balancing asks mostly for the small ones, which a score of all rows together would hardly see;
- efficacy: balanced accuracy on the held-out rows of the efficacy model trained on the generated
  rows (train on synthetic, test on real).

One cut of a class of a few hundred rows is noisy: on AER's HMDA (225 denied train rows), one
cut scored by the quality report's own binning chose a different family on each of the recipe's
seeds 7, 8 and 9; binned alike, one cut chose the empirical marginals on 4 of seeds 7-11
(truncated normal on seed 8), three cuts on each of seeds 7-9.

The candidate with the best quality is chosen among those whose efficacy is within
`EFFICACY_TOLERANCE` of the best efficacy; ties go to the earlier (simpler) one.
Only real train rows are used; validation and test rows are never seen.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from builder.rows import ID
from builder.synthetic.marginals import EMPIRICAL

#: Marginal families of the Gaussian copula candidates, simplest first.
FAMILIES = ("norm", "truncnorm", "beta", "empirical")
#: Neural candidates, tried when the budget allows.
NEURAL = ("ctgan", "tvae")
#: Estimated seconds of training per row and epoch on one core (CTGAN, batches of 500).
NEURAL_COST = 2e-4
MIN_EPOCHS, MAX_EPOCHS = 10, 300
#: A candidate whose efficacy is further below the best one's is not chosen, whatever its
#: quality (efficacy on a few hundred held-out rows is noisy; quality decides among the rest).
EFFICACY_TOLERANCE = 0.05
#: Fewest held-out rows of a class for it to be scored.
MIN_HELD_OUT = 5
#: Each candidate makes its rows in the held-out class mix, scaled up (at most `MAX_SCALE`
#: times) until the smallest class has `MIN_GENERATED` rows: a sample as small as the held-out
#: rows of a minority class moves each candidate's score by more than the families differ.
MIN_GENERATED, MAX_SCALE = 500, 10


def neural_epochs(budget: float, rows: int, classes: int) -> int:
    """Epochs each neural candidate trains within half the budget (0: it is left out)."""
    cost = max(rows, 1) * max(classes, 1) * NEURAL_COST * len(NEURAL)
    epochs = int(budget / 2 / cost)
    return min(epochs, MAX_EPOCHS) if epochs >= MIN_EPOCHS else 0


def candidates(budget: float, rows: int = 0, classes: int = 1) -> list[Any]:
    """Generator configs to compare, in order."""
    from builder.synthetic.config import GENERATORS

    found = [GENERATORS.get("gaussian_copula").Config(type="gaussian_copula",
                                                      default_distribution=family)
             for family in FAMILIES]
    epochs = neural_epochs(budget, rows, classes)
    if epochs:
        found += [GENERATORS.get(kind).Config(type=kind, epochs=epochs) for kind in NEURAL]
    return found


def generated_counts(held: pd.Series) -> pd.Series:
    """Rows each candidate makes per class, from the held-out rows per class (see
    `MIN_GENERATED`)."""
    scale = min(MAX_SCALE, max(1, -(-MIN_GENERATED // int(held.min()))))
    return held * scale


def family(generator: Any) -> str | None:
    """A Gaussian copula candidate's marginal family."""
    return getattr(generator, "default_distribution", None)


def name_of(generator: Any) -> str:
    """A candidate's name in the report: `gaussian_copula(norm)`, `ctgan`."""
    family = getattr(generator, "default_distribution", None)
    return f"{generator.type}({family})" if generator.type == "gaussian_copula" else generator.type


def held_out(train: pd.DataFrame, label: str, classes: list[str], share: float,
             seed: int) -> np.ndarray:
    """Per train row: whether it is held out of the fit (a seeded hash of `_id`; only rows of
    `classes` with enough rows are held out)."""
    from builder.columns import unit_hashes

    keys = unit_hashes(train[ID].astype(str), seed, "synthetic-select")
    out = keys < share
    labels = train[label].astype(str)
    for name in labels.unique():
        mine = (labels == name).to_numpy()
        if name not in classes or int((out & mine).sum()) < MIN_HELD_OUT:
            out[mine] = False
    return out


def score(generated: pd.DataFrame, real: pd.DataFrame, label: str, features: list[str],
          metadata: Any, seed: int) -> dict[str, Any]:
    """Quality of `generated` against `real` (same classes and counts): the mean over the
    classes of each class's rows against its real rows; and the balanced accuracy on `real` of
    the efficacy model trained on `generated`."""
    from sklearn.metrics import balanced_accuracy_score

    from builder.synthetic import metadata as meta
    from builder.synthetic.efficacy import fit_model, predict
    from builder.synthetic.quality import quality_report

    features_only = meta.without(metadata, [label])
    made, held = generated[label].astype(str), real[label].astype(str)
    by_class = {}
    for name in sorted(set(held) & set(made)):
        by_class[name] = quality_report(
            meta.plain(real.loc[(held == name).to_numpy(), features].reset_index(drop=True)),
            meta.plain(generated.loc[(made == name).to_numpy(), features]
                       .reset_index(drop=True)), features_only)["score"] or 0.0
    quality = float(np.mean(list(by_class.values()))) if by_class else 0.0
    efficacy = float("nan")
    if generated[label].nunique() > 1:
        model, inputs = fit_model(generated, real, label, features, None, seed)
        efficacy = float(balanced_accuracy_score(real[label].astype(str),
                                                 predict(model, inputs)[0]))
    return {"quality": round(quality, 4),
            "efficacy": None if np.isnan(efficacy) else round(efficacy, 4),
            "quality_by_class": {name: round(q, 4) for name, q in by_class.items()}}


def choose(config: Any, train: pd.DataFrame, label: str, features: list[str], classes: list[str],
           metadata: Any, seed: Callable[..., int]) -> tuple[Any, dict[str, Any]]:
    """The generator config to use and the report (see the module docstring). `config`: the
    recipe's `synthetic` section; `classes`: the classes the generator will make rows of."""
    from builder.synthetic import metadata as meta

    select = config.select
    rounds = [held_out_round(train, label, classes, select.holdout,
                             seed("select", "holdout", str(repeat)))
              for repeat in range(select.repeats)]
    pii = set(meta.pii_columns(metadata))
    scored = [c for c in features if c not in pii]
    report: dict[str, Any] = {"budget": select.budget, "holdout": select.holdout,
                              "repeats": select.repeats,
                              "held_out_rows": [len(real) for _, real in rounds],
                              "candidates": {}}
    if any(real.empty for _, real in rounds):
        chosen = candidates(0)[0]
        report.update(chosen=name_of(chosen), note="no class has enough train rows to hold some "
                      "out; the first candidate is used")
        return chosen, report
    quality_metadata = meta.without(metadata, [c for c in meta.sdtypes(metadata)
                                               if c not in [*scored, label]])
    scored_by: dict[str, Any] = {}
    fit_rows, classes_held = len(rounds[0][0]), rounds[0][1][label].nunique()
    for generator in candidates(select.budget / select.repeats, fit_rows, classes_held):
        name = name_of(generator)
        try:
            results = [score(generate(config, generator, fit, real, train, label, features,
                                      metadata, lambda *names, n=name, r=repeat: seed(
                                          "select", n, str(r), *names)),
                             real, label, scored, quality_metadata, seed("select", "model"))
                       for repeat, (fit, real) in enumerate(rounds)]
        except EmpiricalUnavailable as reason:
            report["candidates"][name] = {"skipped": "empirical marginals are the direct copula's, "
                                          f"which this table cannot use: {reason}"}
            continue
        except Exception as error:  # a family that cannot fit these rows is not a choice
            report["candidates"][name] = {"failed": f"{type(error).__name__}: {error}"[:300]}
            continue
        report["candidates"][name] = summarize(results)
        scored_by[name] = generator
    if not scored_by:
        chosen = candidates(0)[0]
        report.update(chosen=name_of(chosen), note="no candidate could be scored; the first is "
                      "used")
        return chosen, report
    best = pick({n: report["candidates"][n] for n in scored_by})
    report["chosen"] = best
    return scored_by[best], report


class EmpiricalUnavailable(Exception):
    """The empirical family needs the direct copula, which this table cannot use."""


def held_out_round(train: pd.DataFrame, label: str, classes: list[str], share: float,
                   seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One repeat's real train rows to fit on and the held-out ones to score against."""
    out = held_out(train, label, classes, share, seed)
    return train[~out].reset_index(drop=True), train[out].reset_index(drop=True)


def generate(config: Any, generator: Any, fit: pd.DataFrame, real: pd.DataFrame,
             train: pd.DataFrame, label: str, features: list[str], metadata: Any,
             seed: Callable[..., int]) -> pd.DataFrame:
    """Rows of the held-out classes (`generated_counts`) from `generator` fitted on `fit`."""
    from builder.synthetic.synthesize import Request, Synthesizer

    columns = [*features, label]
    wanted = generated_counts(real[label].astype(str).value_counts())
    requests = [Request("select", c, c, int(n)) for c, n in wanted.items()]
    with tempfile.TemporaryDirectory(prefix="flywheel-select-") as cache:
        synthesizer = Synthesizer(replace(config, generator=generator), fit[columns], label,
                                  metadata, Path(cache), seed)
        if family(generator) == EMPIRICAL and not synthesizer.direct_copula:
            raise EmpiricalUnavailable(synthesizer.copula_fallback)
        return synthesizer.run(requests, train[columns]).rows


def summarize(results: list[dict[str, Any]]) -> dict[str, Any]:
    """A candidate's scores over the repeats: the means, the standard error of its quality, and
    each repeat's quality."""
    qualities = np.array([r["quality"] for r in results])
    efficacies = [r["efficacy"] for r in results if r["efficacy"] is not None]
    by_class = pd.DataFrame([r["quality_by_class"] for r in results]).mean()
    spread = qualities.std(ddof=1) / np.sqrt(len(qualities)) if len(qualities) > 1 else 0.0
    return {"quality": round(float(qualities.mean()), 4),
            "quality_se": round(float(spread), 4),
            "efficacy": round(float(np.mean(efficacies)), 4) if efficacies else None,
            "quality_by_class": {str(n): round(float(q), 4) for n, q in by_class.items()},
            "repeat_quality": [round(float(q), 4) for q in qualities]}


def pick(results: dict[str, dict[str, float]]) -> str:
    """The candidate with the best quality among those whose efficacy is within
    `EFFICACY_TOLERANCE` of the best efficacy (the first one on a tie)."""
    efficacies = [r["efficacy"] for r in results.values() if r["efficacy"] is not None]
    floor = max(efficacies) - EFFICACY_TOLERANCE if efficacies else -np.inf
    fit = {n: r for n, r in results.items()
           if r["efficacy"] is None or r["efficacy"] >= floor}
    return max(fit, key=lambda n: (fit[n]["quality"], -list(results).index(n)))
