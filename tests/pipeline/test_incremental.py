"""Incremental rebuilds through the partition cache (issue 19): after each edit, a build that
keeps the cache writes the bytes a build from scratch with no cache writes, and recomputes only
the partitions (and labeling functions) the edit touched."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

from builder.cli import main
from builder.pipeline import runner
from tests.digests import output_digests

WORDS = ["good", "bad", "great", "awful", "fine", "meh", "love", "hate", "ok", "plain", "tasty",
         "cold"]

RECIPE = """
defaults: [base, _self_]
name: inc
seed: 3
task: {type: text-classification, text: text, label: label, classes: [neg, pos]}
sources:
  log: {type: jsonl, path: "logs/*.jsonl"}
transforms:
  tidy: {type: normalize_text, columns: [text], lower: true}
labeling:
  functions:
    good: {type: keyword, label: pos, words: [good, great, love]}
    bad: {type: keyword, label: neg, words: [bad, awful, hate]}
    meh: {type: keyword, label: neg, words: [meh, cold]}
  model: {type: dawid_skene}
  unlabeled: keep
split:
  fractions: {train: 0.8, validation: 0.1, test: 0.1}
  stratify: false
engine: {type: local, partition_size: 64KiB, cache: {path: cache}}
"""


def write_log(path: Path, start: int, rows: int) -> None:
    """Append `rows` JSON Lines records (ids from `start`) to `path`."""
    rng = random.Random(start)
    lines = [json.dumps({"id": f"r{i}", "text": " ".join(rng.choice(WORDS) for _ in range(
        rng.randint(3, 12))), "stars": rng.randint(1, 5)}) for i in range(start, start + rows)]
    with path.open("a") as fh:
        fh.write("\n".join(lines) + "\n")


def outputs(root: Path) -> dict[str, str]:
    """sha256 of every file the build wrote under data/inc/."""
    return output_digests(root / "data" / "inc")


class Calls:
    """Counts the pieces read and the labeling functions applied (per partition)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        import builder.labeling.apply as apply
        import builder.sources.parts as parts

        self.pieces = 0
        self.functions = 0
        normalize, label_matrix = parts.normalize_piece, apply.label_matrix

        def counted_normalize(*args, **kwargs):
            self.pieces += 1
            return normalize(*args, **kwargs)

        def counted_matrix(df, functions, *args, **kwargs):
            self.functions += len(functions)
            return label_matrix(df, functions, *args, **kwargs)

        monkeypatch.setattr(parts, "normalize_piece", counted_normalize)
        monkeypatch.setattr(apply, "label_matrix", counted_matrix)

    def reset(self) -> None:
        self.pieces = self.functions = 0


def build(root: Path, *overrides: str) -> dict[str, str]:
    runner.build("inc", root, overrides, progress=False)
    return outputs(root)


def clean_build(root: Path) -> dict[str, str]:
    """From scratch: no outputs, no cache."""
    shutil.rmtree(root / "data", ignore_errors=True)
    return build(root, "engine.cache.max_size=0")


@pytest.mark.slow
def test_edits_rebuild_the_same_bytes_from_the_cache(project, monkeypatch) -> None:
    root = project.root
    project.recipe("inc", RECIPE)
    (root / "logs").mkdir()
    write_log(root / "logs" / "a.jsonl", 0, 6000)  # about 8 pieces of 64 KiB
    calls = Calls(monkeypatch)
    first = build(root)
    pieces, functions = calls.pieces, calls.functions
    assert pieces >= 6 and functions == 3 * pieces
    assert any((root / "cache").iterdir())

    def edit_and_check(*overrides: str) -> tuple[int, int]:
        """Build with the cache, then from scratch without it: the same bytes. Returns the
        pieces read and the functions applied by the build with the cache."""
        calls.reset()
        incremental = build(root, *overrides)
        done = (calls.pieces, calls.functions)
        shutil.move(root / "cache", root / "kept")
        shutil.rmtree(root / "data")
        clean = build(root, *overrides, "engine.cache.max_size=0")
        shutil.move(root / "kept", root / "cache")
        assert incremental == clean
        return done

    # Nothing changed: nothing read or voted again, same bytes.
    calls.reset()
    assert build(root) == first
    assert (calls.pieces, calls.functions) == (0, 0)
    # Rows appended to the log: only the last piece(s) of the file are read and voted on.
    write_log(root / "logs" / "a.jsonl", 6000, 60)
    read, voted = edit_and_check()
    assert 1 <= read <= 2 and voted == 3 * read
    # A new source file: only its pieces.
    write_log(root / "logs" / "b.jsonl", 10_000, 300)
    read, voted = edit_and_check()
    assert read == 1 and voted == 3
    # A label batch imported from a labeling tool: no row read or voted on again.
    labeled = runner.open_context("inc", root).artifact("labeled")
    import pyarrow as pa

    table = pa.ipc.open_file(pa.memory_map(str(sorted(labeled.glob("part-*"))[0]))).read_all()
    ids = table.column("_id").to_pylist()[:20]
    answers = root / "answers.csv"
    answers.write_text("row_id,label,annotator\n" + "".join(f"{i},pos,ann\n" for i in ids))
    assert main(["--root", str(root), "label", "import", "inc", str(answers), "--tool",
                 "csv"]) == 0
    read, voted = edit_and_check()
    assert (read, voted) == (0, 0)
    # One labeling function edited: its votes only, no piece read.
    recipe = root / "recipes" / "inc.yaml"
    recipe.write_text(recipe.read_text().replace("[meh, cold]", "[meh, cold, plain]"))
    pieces_now = len(list(labeled.glob("part-*")))
    read, voted = edit_and_check()
    assert read == 0 and voted == pieces_now
    # Another split: neither pieces nor votes.
    read, voted = edit_and_check("split.seed=11")
    assert (read, voted) == (0, 0)


@pytest.mark.parametrize("where", ["a file", "/proc/flywheel-cache"])
def test_a_build_with_a_cache_it_cannot_write_succeeds_and_warns_once(
        project, capfd, monkeypatch, where: str) -> None:
    import builder.cache

    monkeypatch.setattr(builder.cache, "_warned", set())  # once per process: not the others'
    root = project.root
    project.recipe("inc", RECIPE)
    (root / "logs").mkdir()
    write_log(root / "logs" / "a.jsonl", 0, 1500)
    path = where
    if where == "a file":
        (root / "taken").write_text("a file where the cache folder should be")
        path = "taken"
    with_cache = build(root, f"engine.cache.path={path}")
    assert capfd.readouterr().err.count("warning: the partition cache") == 1
    shutil.rmtree(root / "data")
    assert with_cache == build(root, "engine.cache.max_size=0")


@pytest.mark.slow
def test_two_builds_sharing_one_cache_at_once_write_the_same_bytes(tmp_path: Path) -> None:
    """Two `builder build` processes of the same recipe in two projects, one cache folder:
    they store and restore the same entries at the same time, and each writes a clean build's
    bytes (twice over, so that the second round restores what the first stored)."""
    import subprocess
    import sys

    from tests.conftest import REPO, cli_env

    roots = [tmp_path / "one", tmp_path / "two"]
    shared = tmp_path / "shared-cache"
    for root in roots:
        shutil.copytree(REPO / "conf", root / "conf")
        (root / "recipes").mkdir()
        (root / "recipes" / "inc.yaml").write_text(RECIPE)
        (root / "logs").mkdir()
        write_log(root / "logs" / "a.jsonl", 0, 8000)
    command = [sys.executable, "-m", "builder", "build", "inc", "--quiet",
               f"engine.cache.path={shared}"]
    for _ in range(2):
        running = [subprocess.Popen(command, cwd=root, env=cli_env(), stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE, text=True) for root in roots]
        for process in running:
            _, err = process.communicate(timeout=600)
            assert process.returncode == 0 and "warning" not in err, err
        results = [outputs(root) for root in roots]
        assert results[0] == results[1]
    shutil.rmtree(roots[0] / "data")
    runner.build("inc", roots[0], ["engine.cache.max_size=0"], progress=False)
    assert outputs(roots[0]) == results[1]


def test_a_source_inputs_yaml_cannot_fingerprint_is_read_again_every_build(project) -> None:
    """A database behind a URL has no fingerprint in inputs.yaml: the ingest stage is not
    restored from the cache, so rows added to it are read."""
    import sqlite3

    from builder.partitions import read_artifact

    database = project.root / "shop.db"
    with sqlite3.connect(database) as connection:
        connection.execute("create table reviews (id integer primary key, body text, label text)")
        connection.executemany("insert into reviews values (?, ?, ?)",
                               [(1, "good", "a"), (2, "bad", "b")])
    project.recipe("db", f"""
        defaults: [base, _self_]
        name: db
        task: {{type: text-classification, text: body, classes: [a, b]}}
        sources:
          shop: {{type: sql, url: "sqlite:///{database}", query: "select * from reviews",
                  key: [id]}}
        """)

    def ingested() -> int:
        ctx = runner.compose_stage("db", project.root)
        runner.run_stage("ingest", ctx)  # stores its whole-stage entry, where it may
        return len(read_artifact(ctx.artifact("ingested")))

    assert ingested() == 2
    with sqlite3.connect(database) as connection:
        connection.execute("insert into reviews values (3, 'fine', 'a')")
    assert ingested() == 3


def test_entries_written_by_other_code_are_never_used(project, monkeypatch) -> None:
    """The code's fingerprint is part of every key: after a change to a stage's code (here its
    fingerprint, as an edit would change it) nothing of the cache is reused."""
    import builder.cache

    root = project.root
    project.recipe("inc", RECIPE)
    (root / "logs").mkdir()
    write_log(root / "logs" / "a.jsonl", 0, 3000)
    calls = Calls(monkeypatch)
    first = build(root)
    pieces, functions = calls.pieces, calls.functions
    calls.reset()
    assert build(root) == first and (calls.pieces, calls.functions) == (0, 0)
    real = builder.cache.code_fingerprint
    monkeypatch.setattr(builder.cache, "code_fingerprint",
                        lambda paths, root=None: "edited " + real(paths, root))
    assert build(root) == first
    assert (calls.pieces, calls.functions) == (pieces, functions)  # everything again


def write_csv(path: Path, start: int, rows: int) -> None:
    """Append `rows` CSV records (ids from `start`; some texts quoted, with a comma, a doubled
    quote or a line break inside) to `path`, its header first when it is new."""
    rng = random.Random(start)
    texts = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12)))
             for _ in range(rows)]
    quoted = ['"{}, {}"', '"{}\n{}"', '"{} ""{}"""']
    lines = [f"r{i},{rng.choice(quoted).format(t, t[:4]) if i % 5 == 0 else t},"
             f"{rng.randint(1, 5)}" for i, t in zip(range(start, start + rows), texts)]
    with path.open("a") as fh:
        fh.write(("" if path.stat().st_size else "id,text,stars\n") + "\n".join(lines) + "\n")


@pytest.mark.slow
def test_rows_appended_to_a_csv_read_only_its_last_pieces(project, monkeypatch) -> None:
    """A CSV file is cut at fixed offsets from its start (multiples of partition_size /
    threads): rows appended to it change only its last piece and add new ones, which are the
    only pieces read again; the rebuild writes a clean build's bytes."""
    root = project.root
    project.recipe("inc", RECIPE.replace('{type: jsonl, path: "logs/*.jsonl"}',
                                         '{type: csv, path: "logs/*.csv", key: [id]}'))
    (root / "logs").mkdir()
    log = root / "logs" / "a.csv"
    log.touch()
    write_csv(log, 0, 6000)  # about 260 KiB: 8 pieces of 32 KiB (64 KiB / 2 threads)
    calls = Calls(monkeypatch)
    build(root)
    assert calls.pieces >= 7
    calls.reset()
    write_csv(log, 6000, 60)
    incremental = build(root)
    assert 1 <= calls.pieces <= 2 and calls.functions == 3 * calls.pieces
    assert incremental == clean_build(root)
