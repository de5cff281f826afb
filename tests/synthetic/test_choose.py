"""`synthetic.generator: auto`: candidates scored on real train rows held out of their fit."""

from __future__ import annotations

import pytest

from builder import artifacts
from builder.pipeline import runner
from builder.synthetic.choose import candidates, neural_epochs, pick
from tests.pipeline.test_augment import credit_recipe


def test_quality_decides_among_candidates_with_close_efficacy() -> None:
    results = {"a": {"quality": 0.90, "efficacy": 0.70}, "b": {"quality": 0.95, "efficacy": 0.66},
               "c": {"quality": 0.99, "efficacy": 0.60}}
    assert pick(results) == "b"  # c's efficacy is more than 0.05 below a's
    assert pick({"a": {"quality": 0.9, "efficacy": None}}) == "a"


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
    assert 0 < selection["held_out_rows"] < 3598 * 0.4
    card = ctx.artifact("README.md").read_text()
    assert f"`generator: auto` chose `{selection['chosen']}`" in card
