"""The export's image figures and the card's Images section: sample picture, bad and skipped
files, near copies, modes and sizes."""

from __future__ import annotations

import io
import json

from PIL import Image

from tests.images.test_pipeline import build, pictures  # noqa: F401 (fixture)


def test_card_reports_checks_sizes_and_a_sample_picture(pictures, project):  # noqa: F811
    (pictures / "cat" / "notes.txt").write_text("not an image")
    build(project)
    hub = project.data("pics") / "hub"
    card = (hub / "README.md").read_text()
    assert "## Images" in card and "![sample images per class](samples.png)" in card
    assert "1 bad image(s) dropped" in card and "`imgs/cat/broken.png`" in card
    assert "1 file(s) skipped" in card and "`imgs/cat/notes.txt`" in card
    assert "`unique` (dedup_images): 1 exact or near copies dropped" in card
    assert "| train |" in card and "RGB" in card and "16x16" in card
    grid = Image.open(io.BytesIO((hub / "samples.png").read_bytes()))
    assert grid.format == "PNG" and grid.height >= 2 * 64
    figures = json.loads((project.data("pics") / "metrics.json").read_text())["export"]["images"]
    assert figures["splits"]["train"]["modes"] == {"RGB": figures["splits"]["train"]["rows"]}
    assert figures["samples"] == "samples.png"


def test_report_shows_thumbnails_sizes_and_modes(pictures, project):  # noqa: F811
    from builder.cli import main

    build(project)
    assert main(["--root", str(project.root), "report", "pics"]) == 0
    page = (project.data("pics") / "report.html").read_text()
    assert '<section id="image-samples">' in page and "data:image/png;base64," in page
    assert 'data-plot="image-sizes"' in page
    assert 'data-omitted="image-samples"' not in page


def test_card_warns_without_dedup_images(pictures, project):  # noqa: F811
    from tests.images.test_pipeline import RECIPE

    project.recipe("pics", RECIPE.replace("transforms:\n  unique: {type: dedup_images, "
                                          "threshold: 8}\n", ""))
    build(project)
    card = (project.data("pics") / "hub" / "README.md").read_text()
    assert "No `dedup_images` transform: copies or near copies of an image may be" in card
