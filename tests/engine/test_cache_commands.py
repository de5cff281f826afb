"""`builder cache status|clear RECIPE`."""

from __future__ import annotations

from builder.cli import main
from tests.pipeline.test_incremental import RECIPE, write_log


def test_status_and_clear(project, capsys) -> None:
    root = project.root
    project.recipe("inc", RECIPE)
    (root / "logs").mkdir()
    write_log(root / "logs" / "a.jsonl", 0, 1500)
    assert main(["--root", str(root), "cache", "status", "inc"]) == 0
    assert "0 entries, 0 B on disk" in capsys.readouterr().out
    assert main(["--root", str(root), "build", "inc", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["--root", str(root), "cache", "status", "inc"]) == 0
    out = capsys.readouterr().out
    assert f"partition cache: {root / 'cache'}" in out
    assert "ingest: pieces read and transformed: " in out
    assert "label: labeling-function votes: " in out
    assert main(["--root", str(root), "cache", "clear", "inc"]) == 0
    assert "cleared" in capsys.readouterr().out
    assert not (root / "cache").exists()
    assert main(["--root", str(root), "cache", "status", "inc"]) == 0
    assert "0 entries" in capsys.readouterr().out
