"""The `hf` source reads a dataset from the Hub by `repo_id` and `revision` (test server)."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
import yaml

from builder.errors import RecipeErrors
from builder.publish.local import LocalBuild
from builder.publish.plan import PublishOptions
from builder.publish.upload import publish
from builder.recipe.compose import load
from tests.export.conftest import built_reviews, hub, hub_env, reviews_copy  # noqa: F401 (fixtures)

DERIVED = """
name: derived
seed: 1
task: {type: text-classification, text: text, label: label, classes: [fresh, rotten, plot]}
sources:
  published: {type: hf, repo_id: tester/reviews, revision: REVISION, splits: [train, test],
              columns: [text, label, movie_name]}
"""


def local_labels(data, splits: list[str]) -> pd.Series:
    """The class names of the local build's published rows in `splits` (null where unlabeled)."""
    import datasets

    dataset = datasets.load_from_disk(str(data / "dataset"))
    names = dataset["train"].features["label"].names
    codes = [code for split in splits for code in dataset[split]["label"]]
    return pd.Series([names[c] if c >= 0 else None for c in codes], dtype=object)


def cli(project, env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "builder", *args], cwd=project.root, env=env,
                          capture_output=True, text=True)


@pytest.mark.slow
def test_a_recipe_builds_on_another_recipes_published_dataset(hub, reviews_copy, tmp_path) -> None:
    local = LocalBuild.read(reviews_copy.data("reviews"), "reviews", None)
    first = publish(local, PublishOptions(repo_id="tester/reviews"), out=lambda line: None).commit
    env = hub_env(hub, tmp_path / "home")
    reviews_copy.recipe("derived", DERIVED.replace("REVISION", "main"))
    built = cli(reviews_copy, env, "build", "derived", "--quiet")
    assert built.returncode == 0, built.stderr
    data = reviews_copy.data("derived")
    inputs = yaml.safe_load((data / "inputs.yaml").read_text())
    assert inputs["sources"]["published"] == {"hub:tester/reviews@main": first}
    metrics = json.loads((data / "metrics.json").read_text())
    published = local_labels(reviews_copy.data("reviews"), ["train", "test"])
    assert metrics["ingest"]["sources"]["published"]["rows"] == len(published)
    expected = published.dropna().value_counts().to_dict()
    assert metrics["label"]["classes"] == {c: expected.get(c, 0) for c in ("fresh", "rotten", "plot")}
    card = (data / "README.md").read_text()
    assert f"Hub dataset `tester/reviews@main` at commit `{first}`" in card
    # Pinned to a commit id, the source reads exactly that commit; an unknown revision is named.
    reviews_copy.recipe("derived", DERIVED.replace("REVISION", first))
    assert cli(reviews_copy, env, "build", "derived", "--quiet").returncode == 0
    reviews_copy.recipe("derived", DERIVED.replace("REVISION", "nope"))
    failed = cli(reviews_copy, env, "build", "derived", "--quiet")
    assert failed.returncode == 2
    assert failed.stderr.strip() == ("error: hf source: tester/reviews has no revision 'nope'; "
                                     "expected a branch, tag or commit id.")


def test_a_hub_source_needs_a_valid_repo_id_and_not_a_path(project) -> None:
    project.recipe("bad", """
        name: bad
        task: {type: text-classification, text: text, classes: [a, b]}
        sources:
          both: {type: hf, repo_id: tester/x, path: somewhere}
          wrong: {type: hf, repo_id: not-a-repo-id}
    """)
    with pytest.raises(RecipeErrors) as error:
        load("bad", project.root)
    message = str(error.value)
    assert ("sources.both.path: expected either `path` (a dataset folder) or `repo_id` (a Hub "
            "dataset repository), not both or neither.") in message
    assert ("sources.wrong.repo_id: found 'not-a-repo-id', expected a Hub repository id "
            "'namespace/name'.") in message
