"""`STAGES`: one module per stage, named after it, each reading an earlier stage's artifact; the
runner hands a stage that artifact's folder and the export stage the stages before it."""

from __future__ import annotations

import importlib

from builder.context import Context
from builder.pipeline import STAGE_NAMES, STAGES, export, runner, stage_named


def test_each_stage_is_the_module_named_after_it() -> None:
    assert STAGE_NAMES == ("compose", "ingest", "label", "split", "augment", "export")
    for stage in STAGES:
        assert importlib.import_module(f"builder.pipeline.{stage.name}").STAGE is stage


def test_a_stage_reads_the_artifact_of_an_earlier_stage() -> None:
    for index, stage in enumerate(STAGES):
        if stage.reads is not None:
            assert stage.reads in STAGE_NAMES[:index], stage.name
    artifacts = [stage.artifact for stage in STAGES]
    assert len(set(artifacts)) == len(artifacts)


def test_the_runner_passes_the_folder_of_the_artifact_read(example_project) -> None:
    ctx = runner.compose_stage("credit", example_project.root)
    assert runner.source_of(stage_named("ingest"), ctx) is None
    assert runner.source_of(stage_named("split"), ctx) == ctx.data_dir / "labeled"
    assert runner.source_of(stage_named("export"), ctx) == ctx.data_dir / "augmented"


def test_export_reads_the_metrics_of_the_stages_before_it(example_project) -> None:
    ctx = runner.compose_stage("credit", example_project.root)
    assert runner.open_context("credit", example_project.root).stages == STAGES
    assert export.upstream(ctx) == ["ingest", "label", "split", "augment"]
    assert export.upstream(Context(root=ctx.root, composed=ctx.composed)) == []
