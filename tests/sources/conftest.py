"""`ingest`: compose a one-off recipe around some sources and run the real ingest stage."""

from __future__ import annotations

import textwrap

import pytest

from builder.pipeline import runner
from builder.partitions import read_artifact


@pytest.fixture
def ingest(project):
    """Call as `ingest(SOURCES_YAML, transforms=..., classes=...)` -> (frame, ingest metrics).

    The recipe is a tabular task whose label column is `label`."""

    def run(sources: str, transforms: str = "", classes: str = "[pos, neg]"):
        text = ("defaults: [base, _self_]\nname: t\n"
                f"task: {{type: tabular-classification, label: label, classes: {classes}}}\n"
                "sources:\n" + textwrap.indent(textwrap.dedent(sources).strip(), "  ") + "\n")
        if transforms:
            text += "transforms:\n" + textwrap.indent(textwrap.dedent(transforms).strip(), "  ")
        project.recipe("t", text + "\n")
        ctx = runner.compose_stage("t", project.root)
        metrics = runner.run_stage("ingest", ctx)
        return read_artifact(ctx.artifact("ingested")), metrics

    return run
