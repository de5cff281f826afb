"""`synthetic.generator: auto`: compare generators on real train rows held out of their fit, and
keep the best.

Candidates are Gaussian copulas with different marginal families (`FAMILIES`: normal, truncated
normal, beta and the empirical marginals of `builder.synthetic.marginals`), and CTGAN and TVAE
when `synthetic.select.budget` (seconds) allows them: the epochs that half the budget buys each
(at the estimated `NEURAL_COST` seconds per row and epoch, for the model of every class), at
least `MIN_EPOCHS`, at most `MAX_EPOCHS`. The choice depends on the budget, never on a clock, so
a rebuild makes the same choice. Each class's real train rows are cut by a seeded hash of their
`_id`:
`1 - holdout` of them fit the candidate (through the augment stage's `Synthesizer`, with the
recipe's constraints and settings), which then makes as many rows of the class as were held out.
Two scores of those rows against the held-out real rows:

- quality: SDMetrics' quality score (column shapes and pair trends) of each class's rows against
  that class's held-out rows, averaged over the classes. Each class has a model of its own
  (`sampling: per_class`) and balancing asks mostly for the small ones, which a score of all
  rows together would hardly see (on AER's HMDA, 12% denied, such a score preferred beta
  marginals to the empirical ones by 0.0003, while beta's denied rows scored 0.04 lower);
- efficacy: balanced accuracy on the held-out rows of the efficacy model trained on the generated
  rows (train on synthetic, test on real).

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
    from builder.synthetic.synthesize import Request, Synthesizer

    select = config.select
    out = held_out(train, label, classes, select.holdout, seed("select", "holdout"))
    fit, real = train[~out].reset_index(drop=True), train[out].reset_index(drop=True)
    columns = [*features, label]
    pii = set(meta.pii_columns(metadata))
    scored = [c for c in features if c not in pii]
    report: dict[str, Any] = {"budget": select.budget, "holdout": select.holdout,
                              "held_out_rows": len(real), "candidates": {}}
    if real.empty:
        chosen = candidates(0)[0]
        report.update(chosen=name_of(chosen), note="no class has enough train rows to hold some "
                      "out; the first candidate is used")
        return chosen, report
    wanted = real[label].astype(str).value_counts()
    requests = [Request("select", c, c, int(n)) for c, n in wanted.items()]
    quality_metadata = meta.without(metadata, [c for c in meta.sdtypes(metadata)
                                               if c not in [*scored, label]])
    scored_by: dict[str, Any] = {}
    for generator in candidates(select.budget, len(fit), len(wanted)):
        name = name_of(generator)
        try:
            with tempfile.TemporaryDirectory(prefix="flywheel-select-") as cache:
                synthesizer = Synthesizer(replace(config, generator=generator), fit[columns],
                                          label, metadata, Path(cache),
                                          lambda *names, n=name: seed("select", n, *names))
                if family(generator) == EMPIRICAL and not synthesizer.direct_copula:
                    report["candidates"][name] = {"skipped": "empirical marginals are the direct "
                                                  "copula's, which this table cannot use: "
                                                  f"{synthesizer.copula_fallback}"}
                    continue
                rows = synthesizer.run(requests, train[columns]).rows
        except Exception as error:  # a family that cannot fit these rows is not a choice
            report["candidates"][name] = {"failed": f"{type(error).__name__}: {error}"[:300]}
            continue
        result = score(rows, real, label, scored, quality_metadata, seed("select", "model"))
        report["candidates"][name] = result
        scored_by[name] = generator
    if not scored_by:
        chosen = candidates(0)[0]
        report.update(chosen=name_of(chosen), note="no candidate could be scored; the first is "
                      "used")
        return chosen, report
    best = pick({n: report["candidates"][n] for n in scored_by})
    report["chosen"] = best
    return scored_by[best], report


def pick(results: dict[str, dict[str, float]]) -> str:
    """The candidate with the best quality among those whose efficacy is within
    `EFFICACY_TOLERANCE` of the best efficacy (the first one on a tie)."""
    efficacies = [r["efficacy"] for r in results.values() if r["efficacy"] is not None]
    floor = max(efficacies) - EFFICACY_TOLERANCE if efficacies else -np.inf
    fit = {n: r for n, r in results.items()
           if r["efficacy"] is None or r["efficacy"] >= floor}
    return max(fit, key=lambda n: (fit[n]["quality"], -list(results).index(n)))
