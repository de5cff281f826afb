"""Pseudo-labels from sentence embeddings through the label stage: acceptance by target
precision, unlabeled rows dropped and counted, outputs byte-identical with and without the
embedding cache, bad encoder settings exit 2."""

from __future__ import annotations

import bz2
import csv
import io
import shutil
import numpy as np
import pytest

from builder.pipeline import runner
from builder.partitions import read_artifact
from tests.conftest import MINILM, REPO, minilm, run_cli

ROWS = 240


def snippets() -> list[tuple[str, str]]:
    """The first rows of the reviews example's real Rotten Tomatoes snippets."""
    text = bz2.decompress((REPO / "recipes/data/rotten_tomatoes.csv.bz2").read_bytes()).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    return [(r["text"], r["category"]) for r in rows[:ROWS]]


def write_project(project, encoder: str, unlabeled: str = "pseudo") -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "text", "label"])
    writer.writerows((i, text, label) for i, (text, label) in enumerate(snippets()))
    project.write("data.csv", out.getvalue())
    project.recipe("r", f"""
defaults: [base, _self_]
name: r
seed: 3
task: {{type: text-classification, text: text, label: label, classes: [fresh, rotten, plot]}}
sources:
  s: {{type: csv, path: data.csv, key: [id]}}
labeling:
  gold: {{use: evaluate}}
  unlabeled: {unlabeled}
  functions:
    praise: {{type: keyword, label: fresh, words: [great, best, fun, funny, good, charming, moving]}}
    pans: {{type: keyword, label: rotten, words: [bad, boring, dull, mess, worst, flat, fails]}}
    plot: {{type: keyword, label: plot, words: [his, her, discovers, must, young]}}
  pseudo:
    type: text
    encoder: {encoder}
    folds: 3
    train_min_confidence: 0.5
""")


def label(project):
    ctx = runner.compose_stage("r", project.root)
    runner.run_stage("ingest", ctx)
    metrics = runner.run_stage("label", ctx)
    return ctx, metrics


def part_bytes(ctx) -> dict[str, bytes]:
    folder = ctx.artifact("labeled")
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture
def minilm_project(project):
    """The extracted model, and an embeddings cache of this project's own."""
    write_project(project, f"{{type: sentence_transformers, model: {minilm()}, batch_size: 32}}")
    return project


@pytest.mark.slow
def test_embedding_pseudo_labels_meet_the_target_precision(minilm_project) -> None:
    ctx, metrics = label(minilm_project)
    pseudo = metrics["pseudo"]
    assert pseudo["encoder"] == {"type": "sentence_transformers", "model": str(MINILM),
                                 "batch_size": 32, "device": "auto"}
    acceptance = pseudo["acceptance"]
    assert acceptance["target_precision"] == 0.8 and acceptance["threshold"] is not None
    assert acceptance["estimated_precision"] >= 0.8
    # Calibrated on every row with a (weak) label, out of fold.
    assert acceptance["rows"] == metrics["label_sources"]["weak"]
    df = read_artifact(ctx.artifact("labeled"))
    accepted = df["label_source"] == "pseudo"
    assert int(accepted.sum()) == pseudo["accepted"] > 0
    assert (df.loc[accepted, "model_confidence"] >= acceptance["threshold"]).all()
    # Rows it could not label are dropped, not published unlabeled, and counted.
    assert df["label"].notna().all()
    assert metrics["unlabeled_dropped"] > 0 and metrics["unlabeled_kept"] == 0
    assert metrics["rows_out"] + metrics["unlabeled_dropped"] == ROWS
    # The embeddings beat chance on the rows no function covers, against the evaluation gold.
    assert pseudo["accepted_accuracy"]["accuracy_labeled"] > 0.5


@pytest.mark.slow
def test_outputs_are_byte_identical_with_and_without_the_cache(minilm_project) -> None:
    ctx, metrics = label(minilm_project)
    computed = part_bytes(ctx)
    cache = minilm_project.root / ".cache" / "embeddings"
    shards = sorted(cache.rglob("*.emb"))
    assert shards
    shutil.rmtree(minilm_project.root / "data")
    ctx, again = label(minilm_project)  # every embedding read from the cache
    assert part_bytes(ctx) == computed and again == metrics
    assert sorted(cache.rglob("*.emb")) == shards  # nothing new was encoded
    shutil.rmtree(cache)
    ctx, fresh = label(minilm_project)  # every embedding computed again
    assert part_bytes(ctx) == computed and fresh == metrics


def test_tfidf_stays_the_default(project) -> None:
    write_project(project, "tfidf")
    ctx, metrics = label(project)
    assert metrics["pseudo"]["encoder"] == {"type": "tfidf"}
    assert not (project.root / ".cache").exists()  # TF-IDF caches nothing
    threshold = metrics["pseudo"]["acceptance"]["threshold"]
    df = read_artifact(ctx.artifact("labeled"))
    confidence = df.loc[df["label_source"] == "pseudo", "model_confidence"].to_numpy()
    assert threshold is None or np.all(confidence >= threshold)


def test_min_confidence_is_a_fixed_threshold(project) -> None:
    write_project(project, "tfidf")
    recipe = project.root / "recipes" / "r.yaml"
    recipe.write_text(recipe.read_text().replace("    folds: 3\n",
                                                 "    folds: 3\n    min_confidence: 0.6\n"))
    _, metrics = label(project)
    acceptance = metrics["pseudo"]["acceptance"]
    assert acceptance["threshold"] == 0.6 and acceptance["target_precision"] is None


# -- bad input: exit 2, naming labeling.pseudo.encoder -------------------------------------------

def test_validate_names_a_missing_model_folder(project) -> None:
    write_project(project, "{type: sentence_transformers, model: ./models/none}")
    result = run_cli("validate", "r", cwd=project.root)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "labeling.pseudo.encoder.model: found './models/none', but there is no folder" \
        in result.stderr


def test_validate_names_a_folder_that_is_no_model(project) -> None:
    project.write("models/plain/config.json", "{}")
    write_project(project, "{type: sentence_transformers, model: models/plain}")
    result = run_cli("validate", "r", cwd=project.root)
    assert result.returncode == 2
    assert "labeling.pseudo.encoder.model: found 'models/plain', but" in result.stderr
    assert "is not a sentence-transformers model" in result.stderr


def test_build_names_an_unknown_hub_model(project) -> None:
    write_project(project, "{type: sentence_transformers, model: nobody/no-such-model}")
    result = run_cli("build", "r", "--quiet", cwd=project.root,
                     env={"HF_HOME": str(project.root / "hf")})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert ("labeling.pseudo.encoder.model: found 'nobody/no-such-model', which is not in the "
            "Hugging Face cache and could not be downloaded") in result.stderr


def test_build_says_what_to_install_without_sentence_transformers(project) -> None:
    # A package that fails to import, as an uninstalled one does, first on the path.
    project.write("blocked/sentence_transformers/__init__.py",
                  "raise ImportError(\"No module named 'sentence_transformers'\")\n")
    write_project(project, "sentence_transformers")
    result = run_cli("build", "r", "--quiet", cwd=project.root,
                     env={"PYTHONPATH": f"{project.root / 'blocked'}:{REPO}",
                          "HF_HOME": str(project.root / "hf")})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "labeling.pseudo.encoder.type: is 'sentence_transformers', which needs the " \
           "sentence-transformers package" in result.stderr
    assert "pip install -e '.[embeddings]'" in result.stderr


def test_tabular_pseudo_labels_use_the_same_acceptance(project) -> None:
    lines = (REPO / "recipes/data/credit_data.csv").read_text().splitlines()[:401]
    project.write("credit.csv", "\n".join(lines) + "\n")
    project.recipe("r", """
defaults: [base, _self_]
name: r
seed: 3
task: {type: tabular-classification, label: Status, classes: [good, bad]}
sources:
  s: {type: csv, path: credit.csv}
labeling:
  gold: {use: evaluate}
  unlabeled: pseudo
  functions:
    records: {type: lookup, label: bad, column: Records, values: ["yes"]}
    seniority: {type: threshold, label: good, column: Seniority, op: ">", value: 10}
  pseudo: {folds: 3, train_min_confidence: 0.5, target_precision: 0.7}
""")
    ctx, metrics = label(project)
    acceptance = metrics["pseudo"]["acceptance"]
    assert "encoder" not in metrics["pseudo"]  # tabular: histogram gradient boosting
    assert acceptance["target_precision"] == 0.7 and acceptance["rows"] > 0
    df = read_artifact(ctx.artifact("labeled"))
    pseudo = df["label_source"] == "pseudo"
    if acceptance["threshold"] is not None:
        assert (df.loc[pseudo, "model_confidence"] >= acceptance["threshold"]).all()
    assert df["Status"].notna().all()
    assert metrics["rows_out"] + metrics["unlabeled_dropped"] == 400
