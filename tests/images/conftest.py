"""Image test helpers: small generated images on disk, and a one-off recipe run through the
real ingest stage (or every stage)."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

import numpy as np
import pytest

from builder.pipeline import runner
from builder.partitions import read_artifact


def png(seed: int, size: int = 16, mode: str = "RGB") -> bytes:
    """A PNG of random blocks (4x4 cells scaled up, so that its perceptual hash is stable)."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    cells = rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)
    image = Image.fromarray(cells).resize((size, size), Image.Resampling.NEAREST)
    out = io.BytesIO()
    image.convert(mode).save(out, format="PNG")
    return out.getvalue()


def near_copy(data: bytes) -> bytes:
    """The same picture, slightly brighter and saved again: other bytes, nearly the same
    pixels."""
    from PIL import Image, ImageEnhance

    image = Image.open(io.BytesIO(data))
    out = io.BytesIO()
    ImageEnhance.Brightness(image).enhance(1.05).save(out, format="PNG")
    return out.getvalue()


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


@pytest.fixture
def folder(project) -> Path:
    """`imgs/cat/0-2.png`, `imgs/dog/0-2.png`: six distinct images in two class folders."""
    root = project.root / "imgs"
    for c, name in enumerate(["cat", "dog"]):
        for i in range(3):
            write(root / name / f"{i}.png", png(10 * c + i))
    return root


@pytest.fixture
def ingest(project):
    """`ingest(SOURCES_YAML, transforms=..., classes=...)` -> (frame, ingest metrics)."""

    def run(sources: str, transforms: str = "", classes: str = "[cat, dog]",
            task: str = "type: tabular-classification, label: label"):
        text = ("defaults: [base, _self_]\nname: t\n"
                f"task: {{{task}, classes: {classes}}}\n"
                "sources:\n" + textwrap.indent(textwrap.dedent(sources).strip(), "  ") + "\n")
        if transforms:
            text += "transforms:\n" + textwrap.indent(textwrap.dedent(transforms).strip(), "  ")
        project.recipe("t", text + "\n")
        ctx = runner.compose_stage("t", project.root)
        metrics = runner.run_stage("ingest", ctx)
        return read_artifact(ctx.artifact("ingested")), metrics

    return run
