"""The augment stage end to end on real data: balancing, synthesis, gates, determinism, leakage."""

from __future__ import annotations

import shutil
import textwrap

import pandas as pd
import pytest

from builder import artifacts

from builder.pipeline import runner
from builder.partitions import artifact_bytes, read_artifact, write_artifact
from builder.errors import DataError
from tests.conftest import REPO, run_cli

CREDIT = """\
defaults: [base, _self_]
name: {name}
seed: 7
task: {{type: tabular-classification, label: {label}, classes: {classes}}}
sources:
  credit_data:
    type: csv
    path: recipes/data/credit_data.csv
    cast: {{Home: category, Marital: category, Records: category, Job: category}}
"""
HOME_CLASSES = "[owner, rent, parents, other, priv, ignore]"


def credit_recipe(project, body: str, name: str = "c", label: str = "Status",
                  classes: str = "[good, bad]") -> str:
    data = project.root / "recipes" / "data"
    data.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "recipes/data/credit_data.csv", data / "credit_data.csv")
    project.recipe(name, CREDIT.format(name=name, label=label, classes=classes)
                   + textwrap.dedent(body))
    return name


def read(ctx, name: str) -> pd.DataFrame:
    return read_artifact(ctx.artifact(name.removesuffix(".parquet")))


@pytest.mark.slow
def test_undersampling_and_oversampling_reach_the_counts(project) -> None:
    name = credit_recipe(project, """
        balance:
          target: {counts: {good: 2000, bad: 2200}}
          strategy: {good: undersample, bad: oversample}
    """)
    ctx = runner.build(name, project.root, progress=False)
    out, before = read(ctx, "augmented.parquet"), read(ctx, "split.parquet")
    train = out[out["split"] == "train"]
    assert train["Status"].value_counts().to_dict() == {"bad": 2200, "good": 2000}
    assert train["_origin"].value_counts().to_dict() == {"real": 3024, "oversampled": 1176}
    copies = train[train["_origin"] == "oversampled"]
    originals = copies["_id"].str.rsplit("+", n=1).str[0]
    assert originals.isin(before["_id"]).all() and out["_id"].is_unique
    # 1,024 bad rows, 1,176 copies: each row copied once or twice
    assert copies["_id"].str.endswith(("+1", "+2")).all()
    metrics = artifacts.read_json(ctx.metrics_path("augment"))
    bad = metrics["balance"]["classes"]["bad"]
    assert (bad["before"], bad["target"], bad["after"], bad["method"], bad["chosen_by"]) == (
        1024, 2200, 2200, "random over-sampling (duplicates)", "recipe")
    assert "quality" not in metrics  # duplicates are not generated rows
    assert metrics["efficacy"]["raw"]["train_rows"] == 3598
    card = ctx.artifact("README.md").read_text()
    assert "## Balancing" in card and "| bad | 1024 (28%) | 2200 | 2200 (52%) |" in card


def test_a_class_without_train_rows_is_a_clear_error(project) -> None:
    credit_recipe(project, "balance: {target: {counts: {ghost: 10}}}\n",
                  classes="[good, bad, ghost]")
    result = run_cli("build", "c", "--quiet", cwd=project.root)
    assert result.returncode == 2
    assert ("error: balance.target.counts.ghost: class 'ghost' has no row in the train split, so "
            "no sampler or model can make the 10 rows the target asks for.") in result.stderr
    assert "Traceback" not in result.stderr


def test_text_classes_are_balanced_by_duplicates(project) -> None:
    data = project.root / "recipes" / "data"
    data.mkdir(parents=True)
    shutil.copy(REPO / "recipes/data/rotten_tomatoes.csv.bz2", data)
    project.recipe("r", """
        defaults: [base, _self_]
        name: r
        task: {type: text-classification, text: text, label: label, classes: [fresh, rotten, plot]}
        sources:
          rt: {type: csv, path: recipes/data/rotten_tomatoes.csv.bz2, rename: {category: label},
               columns: [text, label, movie_name]}
        split: {group: movie_name}
        balance: {target: {min_per_class: 600}}
    """)
    ctx = runner.build("r", project.root, progress=False)
    metrics = artifacts.read_json(ctx.metrics_path("augment"))
    plot = metrics["balance"]["classes"]["plot"]
    assert plot["strategy"] == "oversample" and plot["after"] == 600
    # auto chose by cross-validated efficacy among the plans text allows (no SMOTE, no model),
    # on folds that keep each movie's rows together
    selection = metrics["balance"]["selection"]
    assert set(selection["candidates"]) == {"keep", "undersample", "oversample"}
    assert selection["chosen"] == "oversample" and selection["group"] == "movie_name"
    assert plot["reason"].startswith("cross-validated balanced_accuracy")
    assert metrics["efficacy"]["model"] == "TF-IDF + LogisticRegression"


@pytest.mark.slow
def test_evaluation_rows_never_reach_the_train_split_or_a_generator(project, monkeypatch) -> None:
    """Every strategy on one build: validation and test stay real and untouched, and no sampler
    or generator is ever given one of their rows."""
    from builder.balance import smote
    from builder.synthetic import models

    name = credit_recipe(project, """
        balance:
          target:
            counts: {owner: 1400, rent: 1000, parents: 900, other: 600, priv: 300, ignore: 20}
          strategy: {owner: undersample, rent: smote, parents: oversample, other: synthetic}
        synthetic: {generator: gaussian_copula, rows: 50}
    """, label="Home", classes=HOME_CLASSES)
    ctx = runner.compose_stage(name, project.root)
    for stage in ("ingest", "label", "split"):
        runner.run_stage(stage, ctx)
    # Mark every evaluation row: Age 999 must never be seen by a sampler or a model.
    split = read(ctx, "split.parquet")
    split.loc[split["split"] != "train", "Age"] = 999
    write_artifact(split, ctx.artifact("split"))
    seen: list[pd.DataFrame] = []
    real_smote, real_fit = smote.smote, models.Models.fit
    monkeypatch.setattr(smote, "smote", lambda features, *a, **k: (
        seen.append(features), real_smote(features, *a, **k))[1])
    monkeypatch.setattr(models.Models, "fit", lambda self, name, frame, *a, **k: (
        seen.append(frame), real_fit(self, name, frame, *a, **k))[1])
    runner.run_stage("augment", ctx)

    assert len(seen) >= 3 and all((frame["Age"] != 999).all() for frame in seen)
    out = read(ctx, "augmented.parquet")
    held_in, held_out = split[split["split"] != "train"], out[out["split"] != "train"]
    pd.testing.assert_frame_equal(held_out.drop(columns="_origin").reset_index(drop=True),
                                  held_in.reset_index(drop=True))
    assert (held_out["_origin"] == "real").all()
    train = out[out["split"] == "train"]
    assert (train["Age"] != 999).all()
    assert set(train["_origin"]) == {"real", "smote", "oversampled", "synthetic"}
    metrics = artifacts.read_json(ctx.metrics_path("augment"))
    classes = metrics["balance"]["classes"]
    assert {c: v["strategy"] for c, v in classes.items()} == {
        "owner": "undersample", "rent": "smote", "parents": "oversample", "other": "synthetic",
        "priv": "smote", "ignore": "smote"}
    assert classes["rent"]["method"] == "SMOTENC"
    assert sum(metrics["synthetic"]["requests"]["rows"].values()) == 50
    assert set(metrics["quality"]) == {"smote", "synthetic"}


@pytest.mark.slow
def test_builds_are_byte_identical_and_new_counts_reuse_the_fitted_model(project,
                                                                         monkeypatch) -> None:
    from builder.synthetic import models

    name = credit_recipe(project, """
        balance: {target: {counts: {bad: 2000}}, strategy: synthetic}
        synthetic: {generator: gaussian_copula, rows: 100}
    """)
    fits: list[str] = []
    real_fit_new = models.Models._fit_new
    monkeypatch.setattr(models.Models, "_fit_new", lambda self, name, *a: (
        fits.append(name), real_fit_new(self, name, *a))[1])

    def build(*overrides: str) -> dict[str, bytes]:
        ctx = runner.build(name, project.root, overrides, progress=False)
        hub = ctx.artifact("hub")
        files = [ctx.artifact("README.md"), *sorted((hub / "data").iterdir())]
        return {"augmented": artifact_bytes(ctx.artifact("augmented")),
                **{p.name: p.read_bytes() for p in files}}

    first = build()
    # the classes' models, and those the synthetic candidate's cross-validation fits per fold
    assert set(fits) == {"bad", "good"}
    fits.clear()
    shutil.rmtree(project.data(name) / "dataset")
    assert build() == first and fits == []  # cached models, same bytes
    changed = build("balance.target.counts.bad=1800")
    assert fits == [] and changed["augmented"] != first["augmented"]
    assert build() == first
    shutil.rmtree(project.data(name) / ".cache")
    assert build() == first and set(fits) == {"bad", "good"}  # refitted: same bytes again


@pytest.mark.slow
def test_failed_gates_stop_the_build_and_keep_the_previous_output(project) -> None:
    name = credit_recipe(project, """
        balance: {target: {counts: {bad: 1500}}, strategy: synthetic}
        synthetic: {generator: gaussian_copula, rows: 100, min_quality: 0.5}
    """)
    run_cli("build", name, "--quiet", cwd=project.root, check=True)
    previous = artifact_bytes(project.data(name) / "augmented")
    result = run_cli("build", name, "synthetic.min_quality=0.99", "+synthetic.max_exact_copies=0",
                     "+synthetic.min_dcr_ratio=50", "--quiet", cwd=project.root)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "error: the build fails its synthetic-data gates:" in result.stderr
    assert "- synthetic.min_quality: the SDMetrics quality score of the synthetic rows is 0." in (
        result.stderr)
    assert "below the threshold 0.99 (column shapes" in result.stderr
    assert "- synthetic.min_dcr_ratio: the DCR ratio of the synthetic rows is" in result.stderr
    assert "below the threshold 50." in result.stderr
    assert "max_exact_copies" not in result.stderr  # that one passes
    assert artifact_bytes(project.data(name) / "augmented") == previous


@pytest.mark.slow
def test_release_publishes_no_real_row(project) -> None:
    data = project.root / "recipes" / "data"
    data.mkdir(parents=True)
    churn = pd.read_csv(REPO / "recipes/data/mlc_churn.csv.bz2").head(1500)
    churn.to_csv(data / "churn.csv", index=False)
    project.recipe("rel", """
        defaults: [base, _self_]
        name: rel
        task: {type: tabular-classification, label: churn, classes: ["no", "yes"]}
        sources: {c: {type: csv, path: recipes/data/churn.csv}}
        balance: {target: {max_ratio: 3}}
        synthetic:
          generator: gaussian_copula
          mode: release
          columns: {voice_mail_plan: {sdtype: categorical}}
          pii: drop
          max_exact_copies: 0
    """)
    ctx = runner.build("rel", project.root, progress=False)
    out, real = read(ctx, "augmented.parquet"), read(ctx, "split.parquet")
    assert (out["_origin"] == "synthetic").all() and out["_id"].str.startswith("synthetic/").all()
    assert "state" not in out.columns  # detected as PII and dropped
    columns = [c for c in real.columns if c in out.columns and not c.startswith("_")
               and c not in ("label_source", "label_confidence", "split")]
    merged = out[columns].merge(real[columns].drop_duplicates(), how="inner")
    assert merged.empty  # no published row equals a real one
    metrics = artifacts.read_json(ctx.metrics_path("augment"))
    counts = metrics["train_classes"]
    assert counts["after"]["yes"] >= counts["after"]["no"] / 3 > counts["before"]["yes"]
    rows = out["split"].value_counts().to_dict()
    assert rows == {s: n for s, n in metrics["rows_per_split"].items()}
    assert rows["test"] == int((real["split"] == "test").sum())
    assert metrics["synthetic"]["dropped_columns"] == ["state"]
    assert "**Release copy: every row of every split is synthetic.**" in (
        ctx.artifact("README.md").read_text())


@pytest.mark.slow
def test_scenarios_make_rows_for_unseen_cases(project) -> None:
    name = credit_recipe(project, """
        synthetic:
          generator: {type: gaussian_copula, enforce_min_max_values: false}
          mode: scenarios
          scenarios:
            renting_bad: {conditions: {Status: bad, Home: rent}, rows: 40}
            freelance_good: {conditions: {Status: good, Job: freelance, Records: "yes"}, rows: 25}
            old_bad: {conditions: {Status: bad, Age: 90}, rows: 5}   # the oldest client is 68
    """)
    ctx = runner.build(name, project.root, progress=False)
    out = read(ctx, "augmented.parquet")
    made = out[out["_origin"] == "synthetic"]
    assert len(made) == 70 and (made["split"] == "train").all()
    assert (made[made["_id"].str.startswith("synthetic/scenario/old_bad/")]["Age"] == 90).all()
    first = made[made["_id"].str.startswith("synthetic/scenario/renting_bad/")]
    assert len(first) == 40 and (first["Status"] == "bad").all() and (first["Home"] == "rent").all()
    second = made[made["_id"].str.startswith("synthetic/scenario/freelance_good/")]
    assert (second[["Status", "Job", "Records"]].astype(str).drop_duplicates().values.tolist()
            == [["good", "freelance", "yes"]])
    metrics = artifacts.read_json(ctx.metrics_path("augment"))
    assert metrics["synthetic"]["requests"]["scenario"] == {
        "renting_bad": 40, "freelance_good": 25, "old_bad": 5}
    # The class picks the model ('bad'), so SDV is asked for Age=90 alone.
    with pytest.raises(DataError, match=r"synthetic.scenarios.old_bad: SDV could not sample 5 rows "
                                        r"with Age=90: .* A number outside the train rows' range "
                                        r"needs synthetic.generator.enforce_min_max_values: false"):
        runner.build(name, project.root, ["synthetic.generator.enforce_min_max_values=true"],
                     progress=False)


def test_unknown_scenario_columns_name_the_key(project, monkeypatch) -> None:
    from builder.synthetic import synthesize

    name = credit_recipe(project, """
        synthetic:
          generator: gaussian_copula
          mode: scenarios
          scenarios: {odd: {conditions: {Status: bad, Hom: rent}, rows: 4}}
    """)
    monkeypatch.setattr(synthesize.Synthesizer, "model_for", lambda *a: pytest.fail("fitted"))
    with pytest.raises(DataError, match=r"synthetic.scenarios.odd.conditions: column 'Hom' not "
                                        r"found; .* Did you mean 'Home'\?"):
        runner.build(name, project.root, progress=False)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["credit", "churn_release"])
def test_example_cards_show_distributions_quality_privacy_and_efficacy(example_project,
                                                                       name) -> None:
    ctx = runner.build(name, example_project.root, progress=False)
    card = ctx.artifact("README.md").read_text()
    metrics = artifacts.read_json(ctx.artifact("metrics.json"))["augment"]
    for heading in ("## Synthetic data", "## Quality, privacy and efficacy of generated rows",
                    "Distributions, real vs synthetic rows:", "| rows | median DCR |",
                    "| trained on | rows | balanced accuracy |", "| gate | value | threshold |"):
        assert heading in card
    assert all(gate["passed"] for gate in metrics["gates"])
    if name == "credit":
        # auto picks the plan by cross-validated efficacy on the train rows (see the card)
        balance = metrics["balance"]
        chosen = balance["selection"]["candidates"][balance["selection"]["chosen"]]
        assert {c: v["strategy"] for c, v in balance["classes"].items()} == chosen["plan"]
        assert "## Balancing" in card and "### How the plan was chosen" in card
        assert metrics["efficacy"]["built"]["balanced_accuracy"] > (
            metrics["efficacy"]["raw"]["balanced_accuracy"])
    else:
        assert "Rows per split and class, real -> released:" in card
        assert metrics["synthetic"]["canary"]["columns"] == ["state"]
        assert set(metrics["origins"]) == {"synthetic"}


def test_without_balancing_parts_pass_through_in_arrow_as_the_pandas_path_writes_them(
        project, tmp_path) -> None:
    """Nothing to balance: `pass_real` adds `_origin` in Arrow; the parts hold what the pandas
    path (`write_real`) writes, schema and pandas metadata included, row for row."""
    from builder.balance.parts import write_real
    from builder.partitions import Partitions, read_table
    from builder.pipeline.augment import STAGE

    name = credit_recipe(project, "")
    ctx = runner.build(name, project.root, progress=False)
    parts = Partitions.open(ctx.artifact("split"))
    fast, slow = ctx.artifact(STAGE.artifact), tmp_path / "pandas"
    slow.mkdir()
    for part in parts.names:
        write_real((part, None, None), ctx, parts.folder, slow, False)
        assert read_table(fast / part).equals(read_table(slow / part), check_metadata=True)
    out, before = read(ctx, "augmented"), read(ctx, "split")
    assert (out["_origin"] == "real").all()
    pd.testing.assert_frame_equal(out.drop(columns="_origin"), before)
