"""OS errors (no permission, read-only, disk full) end with exit 2 naming the path and what
was being written, the previous outputs intact (issue 20, item 6). Root ignores permissions:
as root the folders are read-only bind mounts in a mount namespace of the command's own; a
full disk is a file size limit (EFBIG)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.export.conftest import hub  # noqa: F401
from tests.hostile.conftest import cli, read_only_prefix, run_with, with_file_size_limit

pytestmark = pytest.mark.slow
NOT_WRITABLE = ("Permission denied", "Read-only file system")


def sums(folder: Path) -> dict[str, str]:
    """Checksums of every file under `folder`."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def built(tiny):
    cli(tiny.root, "build", "tiny", "--quiet", code=0)
    return tiny


def expect_os_error(ending, path_part: str, doing: str, reasons=NOT_WRITABLE) -> None:
    assert ending.code == 2, ending.err
    assert path_part in ending.err, ending.err
    assert doing in ending.err and "previous outputs are as they were" in ending.err, ending.err
    assert any(r in ending.err for r in reasons), ending.err


def test_a_read_only_data_folder(built) -> None:
    data = built.root / "data/tiny"
    before = sums(data)
    ending = run_with(built.root, read_only_prefix([data]), {}, "build", "tiny", "--quiet",
                      "split.seed=5")
    expect_os_error(ending, "data/tiny", "builder build tiny")
    assert sums(data) == before


def test_a_full_disk_during_a_build(built) -> None:
    # Small files (recipe.yaml) still fit: the stages before the failing one have replaced
    # theirs; the published outputs (dataset, Hub folder, card) are the previous build's.
    data = built.root / "data/tiny"
    published = [data / "dataset", data / "hub", data / "README.md"]
    before = [sums(p) if p.is_dir() else p.read_bytes() for p in published]
    ending = run_with(built.root, [], with_file_size_limit(2000), "build", "tiny", "--quiet",
                      "split.seed=5")
    expect_os_error(ending, "data/tiny", "builder build tiny", ("File too large",))
    assert [sums(p) if p.is_dir() else p.read_bytes() for p in published] == before


def test_a_read_only_report_target(built) -> None:
    data = built.root / "data/tiny"
    ending = run_with(built.root, read_only_prefix([data]), {}, "report", "tiny")
    expect_os_error(ending, "data/tiny", "builder report tiny")
    assert not (data / "report.html").exists()


def test_label_export_to_a_read_only_folder(built) -> None:
    out = built.root / "queue"
    out.mkdir()
    ending = run_with(built.root, read_only_prefix([out]), {}, "label", "export", "tiny",
                      "--tool", "csv", "--budget", "5", "--strategy", "audit", "--out", str(out))
    expect_os_error(ending, "queue", "builder label export tiny")
    assert list(out.iterdir()) == []


def test_label_import_into_a_read_only_store(built) -> None:
    cli(built.root, "label", "export", "tiny", "--tool", "csv", "--budget", "5", "--strategy",
        "audit", "--out", str(built.root / "queue"), code=0)
    queued = sorted((built.root / "queue").rglob("*.csv"))
    assert queued
    lines = queued[0].read_text().splitlines()
    header = lines[0].split(",")
    answers = built.root / "answers.csv"
    answers.write_text("\n".join([lines[0]] + [
        ",".join("pos" if h == "label" else v for h, v in zip(header, line.split(",")))
        for line in lines[1:]]) + "\n")
    store = built.root / "labels"
    store.mkdir(exist_ok=True)
    before = sums(store)
    ending = run_with(built.root, read_only_prefix([store]), {}, "label", "import", "tiny",
                      str(answers), "--tool", "csv", "--annotator", "ann")
    expect_os_error(ending, "labels", "builder label import tiny")
    assert sums(store) == before


def test_publish_without_a_writable_temporary_folder(tiny, hub, tmp_path) -> None:
    # Publishing downloads the remote card into a temporary folder: with every temporary
    # folder read-only (root: read-only mounts of /tmp and /var/tmp, where the project lives
    # too; publishing only reads it), the second publish cannot write it.
    import os

    from tests.export.conftest import hub_env

    if os.geteuid() != 0:
        pytest.skip("needs root's mount namespace to make /tmp read-only")
    cli(tiny.root, "build", "tiny", "--quiet", code=0)
    env = hub_env(hub, tmp_path / "hf_home")
    first = run_with(tiny.root, [], {"env": env}, "publish", "tiny", "--repo-id", "tester/tiny")
    assert first.code == 0, first.err
    folders = [Path("/tmp")] + [Path("/var/tmp")] * Path("/var/tmp").is_dir()
    ending = run_with(tiny.root, read_only_prefix(folders), {"env": {**env, "TMPDIR": ""}},
                      "publish", "tiny", "--repo-id", "tester/tiny")
    assert ending.code == 2, ending.err
    assert "publish tiny to tester/tiny failed" in ending.err
    assert "No usable temporary directory found in ['/tmp'" in ending.err
    assert "The repository on the Hub is as it was" in ending.err
