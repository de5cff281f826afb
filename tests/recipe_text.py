"""Recipes for validation tests: a tabular head plus the section under test."""

from __future__ import annotations

import textwrap

import pytest

from builder.errors import RecipeErrors
from builder.recipe.compose import load

TABULAR_HEAD = """\
defaults: [base, _self_]
name: t
task: {type: tabular-classification, label: Status, classes: [good, bad]}
sources: {s: {type: csv, path: data.csv}}
"""


def write_tabular(project, body: str) -> None:
    """`recipes/t.yaml`: a two-class tabular recipe with `body` (dedented) appended."""
    project.write("data.csv", "Status,x\ngood,1\n")
    project.recipe("t", TABULAR_HEAD + textwrap.dedent(body))


def tabular_problems(project, body: str) -> str:
    """The validation message of a tabular recipe with `body`, which must be invalid."""
    write_tabular(project, body)
    with pytest.raises(RecipeErrors) as caught:
        load("t", project.root)
    return str(caught.value)
