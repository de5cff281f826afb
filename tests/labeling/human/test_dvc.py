"""`dvc repro` re-runs the label stage, and only what follows it, when the label store changes."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from builder import artifacts
from tests.conftest import REPO, cli_env, pipeline_for, run_cli
from tests.labeling.human.conftest import FIXTURES, SHOP_RECIPE


def dvc(*args: str, cwd) -> str:
    result = subprocess.run(["dvc", *args], cwd=cwd, env=cli_env(), capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, f"dvc {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.mark.slow
@pytest.mark.integration
def test_importing_labels_reruns_label_and_later_stages(shop) -> None:
    if shutil.which("dvc", path=cli_env()["PATH"]) is None:
        pytest.skip("dvc is not installed")
    root = shop.root
    # Eight rows in two splits (three could leave one empty, which fails the build).
    shop.recipe("shop", SHOP_RECIPE + "split: {fractions: {train: 0.5, validation: null, "
                                      "test: 0.5}}\n")
    shutil.copytree(REPO / "builder", root / "builder",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shop.write("dvc.yaml", pipeline_for(["shop"]))
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    dvc("init", "-q", cwd=root)
    first = dvc("repro", cwd=root)
    assert "Running stage 'label@shop'" in first
    assert "Running stage 'label@shop'" not in dvc("repro", cwd=root)

    run_cli("label", "import", "shop", str(FIXTURES / "labelstudio_export.json"),
            "--tool", "labelstudio", cwd=root, check=True)
    after = dvc("repro", cwd=root)
    assert "Running stage 'label@shop'" in after
    assert "Running stage 'ingest@shop'" not in after
    assert "Running stage 'export@shop'" in after
    label = artifacts.read_json(shop.data("shop") / "metrics" / "label.json")
    assert label["label_sources"] == {"gold": 3, "human": 2}
