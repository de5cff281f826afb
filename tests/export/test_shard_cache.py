"""Hub shards through the partition cache: after rows are appended to a log whose labels come
from a column, the shards that hold the same rows as before are restored from the cache (the
file is the cache entry's, linked), and every output equals a clean build's."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

from builder.pipeline import runner
from tests.digests import output_digests

RECIPE = """
defaults: [base, _self_]
name: shards
seed: 5
task: {type: text-classification, text: text, label: label, classes: [neg, pos]}
sources:
  log: {type: jsonl, path: "logs/*.jsonl"}
split:
  fractions: {train: 0.8, validation: 0.1, test: 0.1}
  stratify: false
engine: {type: local, partition_size: 64KiB, cache: {path: cache}}
"""
WORDS = ["good", "bad", "great", "awful", "fine", "meh", "love", "hate", "ok", "plain"]


def write_log(path: Path, start: int, rows: int) -> None:
    rng = random.Random(start)
    lines = [json.dumps({"id": f"r{i}", "label": rng.choice(["neg", "pos"]),
                         "text": " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12)))})
             for i in range(start, start + rows)]
    with path.open("a") as fh:
        fh.write("\n".join(lines) + "\n")


def outputs(root: Path) -> dict[str, str]:
    """sha256 of every file the build wrote under data/shards/."""
    return output_digests(root / "data" / "shards")


def shards(root: Path, split: str) -> list[Path]:
    return sorted((root / "data" / "shards" / "hub" / "data").glob(f"{split}-*.parquet"))


@pytest.mark.slow
def test_appended_rows_restore_the_unchanged_shards_and_write_a_clean_builds_bytes(
        project, monkeypatch) -> None:
    from builder.export import writer

    monkeypatch.setattr(writer, "ROW_GROUP_BYTES", 20_000)  # several shards per split
    monkeypatch.setattr(writer, "MAX_SHARD_BYTES", 60_000)
    encoded = []
    encode = writer.SplitWriter.encode
    monkeypatch.setattr(writer.SplitWriter, "encode",
                        lambda self, shard, rows: encoded.append(shard) or encode(self, shard,
                                                                                  rows))
    root = project.root
    project.recipe("shards", RECIPE)
    (root / "logs").mkdir()
    log = root / "logs" / "a.jsonl"
    write_log(log, 0, 6000)
    runner.build("shards", root, (), progress=False)
    first = {split: [p.stat().st_ino for p in shards(root, split)] for split in ("train", "test")}
    assert len(first["train"]) >= 4 and not encoded  # a first build encodes as rows stream

    write_log(log, 6000, 60)
    runner.build("shards", root, (), progress=False)
    incremental = outputs(root)
    for split, inodes in first.items():
        now = [p.stat().st_ino for p in shards(root, split)]
        last = len(inodes) - 1
        assert now[:last] == inodes[:last]  # restored: the cache entry's file, linked
        assert now[last] != inodes[last]  # the last shard holds new rows
    assert len(encoded) <= 3  # at most each split's last shard, read again

    shutil.rmtree(root / "data", ignore_errors=True)
    runner.build("shards", root, ("engine.cache.max_size=0",), progress=False)
    assert outputs(root) == incremental
