"""`synthetic:` problems are found by `builder validate`, before any data is read."""

from __future__ import annotations

import pytest

from builder.errors import RecipeErrors
from builder.recipe.compose import load
from tests.recipe_text import tabular_problems as problems
from tests.recipe_text import write_tabular as recipe


def test_a_full_section_loads(project) -> None:
    recipe(project, """
        synthetic:
          generator: {type: ctgan, epochs: 5, batch_size: 100}
          mode: scenarios
          columns: {email: {sdtype: email, pii: true}, plan: {sdtype: categorical}}
          constraints:
            price: {type: inequality, low: amount, high: price}
            combos: {type: fixed_combinations, columns: [a, b]}
            mid: {type: range, low: a, middle: b, high: c}
          scenarios: {old_bad: {conditions: {Status: bad, age: 80}, rows: 10}}
          min_quality: 0.8
    """)
    synthetic = load("t", project.root).recipe.synthetic
    assert synthetic.generator_config.epochs == 5 and synthetic.pii_action == "replace"
    assert synthetic.gates == {"min_quality": 0.8}
    recipe(project, "synthetic: {generator: tvae, rows: 10}\n")
    assert load("t", project.root).recipe.synthetic.generator_config.type == "tvae"


def test_unknown_generator_and_constraint_types(project) -> None:
    text = problems(project, "synthetic: {generator: gausian_copula, rows: 5}\n")
    assert ("synthetic.generator: found 'gausian_copula', expected one of 'auto', 'copulagan', "
            "'ctgan', 'gaussian_copula' or 'tvae'. Did you mean 'gaussian_copula'?") in text
    text = problems(project, """
        synthetic:
          generator: gaussian_copula
          rows: 5
          constraints: {c: {type: inequallity, low: a, high: b}}
    """)
    assert ("synthetic.constraints.c.type: unknown synthetic constraint type 'inequallity'; "
            "expected 'fixed_combinations', 'inequality' or 'range'. Did you mean 'inequality'?"
            ) in text
    text = problems(project, """
        synthetic:
          generator: {type: ctgan, batch_size: 105, epochs: 0}
          rows: 5
    """)
    assert ("synthetic.generator.batch_size: found 105, expected an even number of at least 2."
            in text)
    assert "synthetic.generator.epochs: found 0, expected a positive number." in text


def test_options_without_a_generator(project) -> None:
    text = problems(project, "synthetic: {mode: release, rows: 5, min_quality: 0.5}\n")
    for key in ("mode", "rows", "min_quality"):
        assert (f"synthetic.{key}: needs synthetic.generator, which is not set; expected e.g. "
                "gaussian_copula.") in text


def test_modes_and_their_options(project) -> None:
    text = problems(project, "synthetic: {generator: gaussian_copula}\n")
    assert "synthetic.rows: is missing: in augment mode the generator adds `rows` rows" in text
    text = problems(project, "synthetic: {generator: gaussian_copula, mode: release, rows: 5}\n")
    assert "synthetic.rows: is set, but mode: release makes each split as large" in text
    text = problems(project, """
        synthetic:
          generator: gaussian_copula
          rows: 5
          pii: drop
          scenarios: {s: {conditions: {age: 3}, rows: 2}}
    """)
    assert "synthetic.pii: is 'drop', which needs mode: release" in text
    assert "synthetic.scenarios: are listed but mode is augment; expected mode: scenarios." in text
    assert ("synthetic.scenarios.s.conditions: names no class (column 'Status'); with sampling: "
            "per_class each scenario's rows come from one class's model.") in text


def test_columns_constraints_gates_and_scenarios(project) -> None:
    text = problems(project, """
        synthetic:
          generator: gaussian_copula
          mode: scenarios
          columns: {city: {sdtype: categorical, pii: true}, x: {}}
          constraints:
            same: {type: inequality, low: a, high: a}
            label: {type: range, low: a, middle: Status, high: c}
            one: {type: fixed_combinations, columns: [a]}
          scenarios: {s: {conditions: {Status: bda}, rows: 0}}
          min_quality: 1.5
          min_dcr_ratio: -1
    """)
    assert ("synthetic.columns.city.pii: is true but sdtype 'categorical' samples real values; "
            "expected a PII sdtype") in text
    assert "synthetic.columns.x.sdtype: is missing, and so is pii" in text
    assert "synthetic.constraints.same.high: names the column 'a' twice" in text
    assert "synthetic.constraints.label.middle: is the label column 'Status'" in text
    assert "synthetic.constraints.one.columns: found 1 column(s), expected at least 2." in text
    assert "synthetic.scenarios.s.conditions.Status: found 'bda'" in text
    assert "Did you mean 'bad'?" in text
    assert "synthetic.scenarios.s.rows: found 0, expected a positive number of rows." in text
    assert "synthetic.min_quality: found 1.5, expected a share from 0 to 1." in text
    assert "synthetic.min_dcr_ratio: found -1, expected a number of at least 0." in text


def test_text_tasks_cannot_be_synthesized(project) -> None:
    project.write("data.csv", "text,label\nhello,a\n")
    project.recipe("t", """
        defaults: [base, _self_]
        name: t
        task: {type: text-classification, text: text, label: label, classes: [a, b]}
        sources: {s: {type: csv, path: data.csv}}
        balance: {target: balanced, strategy: smote}
        synthetic: {generator: gaussian_copula, rows: 3}
    """)
    with pytest.raises(RecipeErrors) as caught:
        load("t", project.root)
    text = str(caught.value)
    assert "synthetic.generator: is set, but SDV models tables" in text
    assert "balance.strategy: is 'smote', which cannot interpolate the free text" in text


def test_generator_selection_settings(project) -> None:
    text = problems(project, """
        synthetic:
          generator: auto
          rows: 5
          select: {budget: -1, holdout: 0.9, repeats: 0}
    """)
    assert "synthetic.select.budget: found -1, expected seconds (0: Gaussian copulas only)." in text
    assert "synthetic.select.holdout: found 0.9, expected a share from 0.05 to 0.5." in text
    assert "synthetic.select.repeats: found 0, expected a whole number from 1 to 10." in text
