"""Hostile builds (issue 20, 'silent wrong results' 3, 4 and 6; 'tracebacks' 11): all labels
missing, a query without the label column, a header-only CSV, concurrent builds, options among
the overrides, and the summary's warning for a step that dropped most of its rows."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time

import pytest
import yaml

from tests.conftest import cli_env
from tests.hostile.conftest import TINY, cli, rows_csv

pytestmark = pytest.mark.slow


def test_all_labels_missing_fails_unless_expected(tiny) -> None:
    text = rows_csv().replace(",pos\n", ",\n").replace(",neg\n", ",\n")
    (tiny.root / "shop.csv").write_text(text)
    ending = cli(tiny.root, "build", "tiny", "--quiet", code=2)
    assert "step 'label' dropped 80 of 80 rows (100%): 80 rows had no label" in ending.err
    assert "checks.max_drop.label" in ending.err
    ending = cli(tiny.root, "build", "tiny", "--quiet", "checks.max_drop={label: 1.0}", code=2)
    assert "split 'train' has 0 rows of 0" in ending.err  # expected, yet nothing to publish


def test_a_query_without_the_label_column_fails_at_validate(tiny) -> None:
    with sqlite3.connect(tiny.root / "shop.db") as db:
        db.execute("create table reviews (text, label)")
        db.executemany("insert into reviews values (?, ?)", [("good", "pos"), ("bad", "neg")])
    tiny.recipe("tiny", TINY.replace("{type: csv, path: shop.csv}",
                                     "{type: sql, path: shop.db, query: 'select text from "
                                     "reviews'}"))
    ending = cli(tiny.root, "validate", "tiny", code=2)
    assert "task.label: found 'label', which is not a column of the sources" in ending.err


def test_a_header_only_csv_fails_naming_the_split_and_keeps_the_last_build(tiny) -> None:
    cli(tiny.root, "build", "tiny", "--quiet", code=0)
    card = (tiny.root / "data/tiny/hub/README.md").read_bytes()
    (tiny.root / "shop.csv").write_text("text,label\n")
    ending = cli(tiny.root, "build", "tiny", "--quiet", code=2)
    assert "split 'train' has 0 rows of 0, fewer than checks.min_rows (1); an empty split " \
           "makes a Hub folder load_dataset cannot read" in ending.err
    assert (tiny.root / "data/tiny/hub/README.md").read_bytes() == card


def test_options_anywhere_among_the_overrides(tiny) -> None:
    cli(tiny.root, "build", "tiny", "--quiet", "split.seed=7", code=0)
    metrics = json.loads((tiny.root / "data/tiny/metrics/split.json").read_text())
    assert metrics["seed"] == 7
    cli(tiny.root, "validate", "tiny", "split.seed=7", "--debug", code=0)


def test_a_step_dropping_most_rows_is_shown_in_red(tiny) -> None:
    tiny.recipe("tiny", TINY + "transforms:\n  few: {type: filter, query: \"text.str.len() < "
                               "35\"}\n")
    ending = cli(tiny.root, "build", "tiny", "--quiet", "checks.min_rows=1", code=0)
    out = " ".join(ending.out.split())  # rich wraps lines at the terminal's width
    assert "step 'few' dropped 50 of 80 rows (62%): a filter transform; to change it: " \
           "transforms.few (checks.max_drop.few fails the build above 90%)" in out


def start(root, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "builder", *args], cwd=root, env=cli_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_concurrent_builds_are_serialised(tiny) -> None:
    (tiny.root / "shop.csv").write_text(rows_csv(3000))
    lock = tiny.root / "data/.locks/tiny.lock"
    first = start(tiny.root, "build", "tiny", "--quiet", "split.seed=1")
    deadline = time.monotonic() + 60
    while not (lock.is_file() and lock.read_text().strip()):
        assert time.monotonic() < deadline and first.poll() is None, first.communicate()
        time.sleep(0.05)
    ending = cli(tiny.root, "build", "tiny", "--quiet", "--no-wait", "split.seed=2", code=2)
    assert f"another build of 'tiny' is running (pid {first.pid}" in ending.err
    second = start(tiny.root, "build", "tiny", "--quiet", "split.seed=2")
    overlapped = first.poll() is None
    out, err = second.communicate(timeout=600)
    assert first.wait(timeout=600) == 0, first.communicate()
    assert second.returncode == 0, err
    if overlapped:  # the usual case: the first build takes seconds
        assert f"waiting for another build of 'tiny' to finish (pid {first.pid}" in err
    data = tiny.root / "data/tiny"
    recipe = yaml.safe_load((data / "recipe.yaml").read_text())
    metrics = json.loads((data / "metrics.json").read_text())
    assert recipe["split"]["seed"] == metrics["split"]["seed"] == 2
    assert "seed: 2" in (data / "README.md").read_text()
