"""`balance:` problems are found by `builder validate`, before any data is read."""

from __future__ import annotations


from builder.recipe.compose import load
from tests.recipe_text import tabular_problems as problems
from tests.recipe_text import write_tabular as recipe


def test_valid_targets_and_strategies_load(project) -> None:
    recipe(project, """
        balance:
          target: {ratios: {good: 0.6, bad: 0.4}, total: 1000}
          strategy: {good: undersample, bad: smote}
    """)
    balance = load("t", project.root).recipe.balance
    assert balance.resolved_target.total == 1000 and balance.strategy_for("bad") == "smote"
    recipe(project, "balance: {target: balanced}\n")
    assert load("t", project.root).recipe.balance.resolved_target.balanced


def test_unknown_class_names_get_a_did_you_mean(project) -> None:
    text = problems(project, """
        balance:
          target: {counts: {bda: 30}}
          strategy: {god: keep}
    """)
    assert ("balance.target.counts.bda: is not a class; expected one of task.classes ('bad' or "
            "'good'). Did you mean 'bad'?") in text
    assert "balance.strategy.god: is not a class" in text and "Did you mean 'good'?" in text


def test_contradictory_targets(project) -> None:
    text = problems(project, """
        balance:
          target: {counts: {bad: 30}, ratios: {good: 0.7}, max_ratio: 0.5, total: 1}
    """)
    assert "balance.target.ratios: cannot be combined with counts" in text
    assert "balance.target.max_ratio: cannot be combined with counts" in text
    assert "balance.target.ratios: has no share for 'bad'" in text
    assert "balance.target.ratios: found shares summing to 0.7, expected 1." in text
    assert "balance.target.max_ratio: found 0.5, expected at least 1" in text
    assert "balance.target.total: sizes balanced or ratios targets only" not in text
    assert "balance.target.total: found 1, expected at least one row per class (2)." in text


def test_bad_values(project) -> None:
    text = problems(project, """
        balance:
          target: {counts: {bad: 0}}
          strategy: smoot
          k_neighbors: 0
    """)
    assert "balance.target.counts.bad: found 0, expected a positive number of rows." in text
    assert ("balance.strategy: found 'smoot', expected one of 'augment', 'auto', 'keep', 'oversample', "
            "'smote', 'synthetic' or 'undersample'. Did you mean 'smote'?") in text
    assert "balance.k_neighbors: found 0, expected a positive number." in text
    assert "Did you mean 'balanced'?" in problems(project, "balance: {target: balance}\n")
    assert "balance.target: is empty" in problems(project, "balance: {target: {}}\n")


def test_strategies_that_cannot_work_for_this_recipe(project) -> None:
    text = problems(project, """
        balance:
          target: balanced
          strategy: {bad: synthetic}
    """)
    assert ("balance.strategy.bad: is 'synthetic' but synthetic.generator is not set; expected a "
            "generator, e.g. gaussian_copula.") in text
    text = problems(project, """
        balance: {target: balanced, strategy: smote}
        synthetic: {generator: gaussian_copula, mode: release}
    """)
    assert "balance.strategy: is 'smote', but synthetic.mode is release" in text
    assert "is set but balance.target is not" in problems(project, "balance: {strategy: smote}\n")
