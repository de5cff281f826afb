"""`synthetic.generator: auto`: candidates scored on real train rows held out of their fit."""

from __future__ import annotations

import pytest

from builder import artifacts
from builder.pipeline import runner
from builder.synthetic.choose import candidates, generated_counts, neural_epochs, pick, score
from tests.pipeline.test_augment import credit_recipe


def test_quality_decides_among_candidates_with_close_efficacy() -> None:
    results = {"a": {"quality": 0.90, "efficacy": 0.70}, "b": {"quality": 0.95, "efficacy": 0.66},
               "c": {"quality": 0.99, "efficacy": 0.60}}
    assert pick(results) == "b"  # c's efficacy is more than 0.05 below a's
    assert pick({"a": {"quality": 0.9, "efficacy": None}}) == "a"


@pytest.mark.slow  # SDMetrics
def test_quality_is_each_class_against_its_own_rows_averaged() -> None:
    import numpy as np
    import pandas as pd

    from builder.synthetic import metadata as meta

    rng = np.random.default_rng(0)
    real = pd.DataFrame({"x": rng.normal(0, 1, 400), "k": rng.choice(["u", "v"], 400),
                         "y": ["big"] * 360 + ["small"] * 40})
    made = real.copy()
    small = made["y"] == "small"
    made.loc[small, "x"] = rng.normal(5, 1, int(small.sum()))  # the small class's rows are off
    made.loc[small, "k"] = "u"
    metadata = meta.detect(real, "y", {})
    result = score(made, real, "y", ["x", "k"], metadata, seed=0)
    by_class = result["quality_by_class"]
    assert by_class["big"] == 1.0 and by_class["small"] < 0.5
    # A score of all rows together would be near the big class's 1.0.
    assert result["quality"] == pytest.approx((by_class["big"] + by_class["small"]) / 2, abs=1e-4)


def test_candidates_make_the_held_out_mix_with_enough_rows_of_the_smallest_class() -> None:
    import pandas as pd

    held = pd.Series({"no": 506, "yes": 67})
    assert generated_counts(held).to_dict() == {"no": 506 * 8, "yes": 67 * 8}  # 536 >= 500
    assert generated_counts(pd.Series({"a": 900, "b": 600})).to_dict() == {"a": 900, "b": 600}
    assert generated_counts(pd.Series({"a": 30, "b": 5})).to_dict() == {"a": 300, "b": 50}


def test_neural_candidates_only_when_the_budget_buys_their_epochs() -> None:
    assert [g.type for g in candidates(0, 3000, 2)] == ["gaussian_copula"] * 4
    assert neural_epochs(10, 3000, 2) == 0
    epochs = neural_epochs(600, 3000, 2)
    assert 10 <= epochs <= 300
    found = candidates(600, 3000, 2)
    assert [g.type for g in found[4:]] == ["ctgan", "tvae"] and found[4].epochs == epochs


@pytest.mark.slow
def test_generator_auto_picks_a_copula_and_the_card_says_why(project) -> None:
    name = credit_recipe(project, """
        balance: {target: balanced, strategy: synthetic}
        synthetic: {generator: auto}
    """)
    ctx = runner.build(name, project.root, progress=False)
    metrics = artifacts.read_json(ctx.metrics_path("augment"))["synthetic"]
    selection = metrics["selection"]
    assert set(selection["candidates"]) == {"gaussian_copula(norm)", "gaussian_copula(truncnorm)",
                                            "gaussian_copula(beta)",
                                            "gaussian_copula(empirical)"}
    assert selection["chosen"] == (f"gaussian_copula("
                                   f"{metrics['generator']['default_distribution']})")
    assert selection["repeats"] == 3 and len(selection["held_out_rows"]) == 3
    assert all(0 < rows < 3598 * 0.4 for rows in selection["held_out_rows"])
    assert len(set(selection["held_out_rows"])) > 1  # each repeat cuts the rows its own way
    for scores in selection["candidates"].values():
        assert len(scores["repeat_quality"]) == 3
        assert scores["quality"] == pytest.approx(sum(scores["repeat_quality"]) / 3, abs=1e-3)
    card = ctx.artifact("README.md").read_text()
    assert f"`generator: auto` chose `{selection['chosen']}`" in card
    assert "3 times with a different cut" in card
