"""A tiny shop-review project (ids shop/r1 ... shop/r8) built up to the label stage."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.context import Context
from builder.pipeline import runner
from tests.conftest import Project

FIXTURES = Path(__file__).parent / "fixtures"

SHOP_CSV = '''review_id,text,label
r1,Great value and fast shipping,pos
r2,"It stopped working after a week,
and support never answered.",
r3,"Arrived broken, asked for a refund",
r4,Works as described,
r5,Not worth the money,neg
r6,Exactly what I ordered,
r7,"Too small, returned it",
r8,Love it,pos
'''

SHOP_RECIPE = """
defaults: [base, _self_]
name: shop
seed: 3
task: {type: text-classification, text: text, label: label, classes: [pos, neg]}
sources:
  shop: {type: csv, path: recipes/data/shop.csv, key: [review_id]}
labeling:
  unlabeled: keep
"""


@pytest.fixture
def shop(project: Project) -> Project:
    """The shop recipe and its data, not built."""
    project.write("recipes/data/shop.csv", SHOP_CSV)
    project.recipe("shop", SHOP_RECIPE)
    return project


def build_labeled(project: Project, name: str = "shop", overrides=()) -> Context:
    """Compose, ingest and label (no split or export): enough for the flywheel commands."""
    ctx = runner.compose_stage(name, project.root, overrides)
    runner.run_stage("ingest", ctx)
    runner.run_stage("label", ctx)
    return ctx


@pytest.fixture
def shop_built(shop: Project) -> Project:
    """The shop project with ingested.parquet and labeled.parquet."""
    build_labeled(shop)
    return shop
