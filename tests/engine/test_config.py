"""The `engine` section: presets, command-line overrides, sizes and clear errors (no data read,
no cluster started)."""

from __future__ import annotations

import re

import pytest
import yaml

from builder.engine import LocalEngine, ordered_map, running
from builder.engine.config import EngineConfig, LocalClusterConfig, parse_size
from builder.errors import RecipeErrors
from builder.recipe.compose import load

RECIPE = """
defaults: [base, _self_]
name: r
task: {type: text-classification, text: text, label: label, classes: [positive, negative]}
sources:
  shop: {type: csv, path: reviews.csv}
"""


@pytest.fixture
def load_r(project):
    project.write("reviews.csv", "text,label\ngreat,positive\n")

    def load_recipe(extra: str = "", *overrides: str):
        project.recipe("r", RECIPE + extra)
        return load("r", project.root, overrides)

    return load_recipe


def expect(*fragments: str) -> str:
    return ".*".join(re.escape(f) for f in fragments)


@pytest.mark.parametrize("text, size", [("32MiB", 32 * 2**20), ("4GiB", 4 * 2**30),
                                        ("512MB", 512 * 10**6), ("1.5 KiB", 1536),
                                        (4096, 4096), ("lots", None), ("3 parsecs", None)])
def test_sizes_are_read_in_decimal_and_binary_units(text, size) -> None:
    assert parse_size(text) == size


def test_local_is_the_default_with_32_mib_partitions(load_r) -> None:
    engine = load_r().recipe.engine
    assert engine == EngineConfig(type="local", partition_size="32MiB")
    assert engine.partition_bytes == 32 * 2**20


def test_presets_and_overrides_choose_the_engine(load_r) -> None:
    on_cluster = load_r("", "engine=dask", "engine.address=tcp://10.0.0.5:8786").recipe.engine
    assert (on_cluster.type, on_cluster.address, on_cluster.local_cluster) == (
        "dask", "tcp://10.0.0.5:8786", None)
    started_here = load_r("", "engine=dask_local").recipe.engine
    assert started_here.local_cluster == LocalClusterConfig(n_workers=2, threads_per_worker=1,
                                                            memory_limit="4GiB")
    in_recipe = load_r("engine: {type: dask, local_cluster: {n_workers: 3}}\n").recipe.engine
    assert in_recipe.local_cluster.n_workers == 3 and in_recipe.address is None
    short = load_r("engine: dask\n").recipe.engine  # a bare `dask`: workers started here
    assert (short.type, short.local_cluster) == ("dask", LocalClusterConfig())


def test_the_engine_is_no_part_of_the_resolved_recipe_or_the_card_commands(load_r) -> None:
    composed = load_r("", "engine=dask_local", "split.seed=3", "engine.partition_size=8MiB")
    assert "engine" not in composed.resolved()
    assert composed.content_overrides == ("split.seed=3",)
    assert yaml.safe_load(yaml.safe_dump(composed.engine()))["partition_size"] == "8MiB"


@pytest.mark.parametrize("extra, fragments", [
    ("engine: {type: dask}\n",
     ["recipes/r.yaml: engine.address: expected either `address`", "or `local_cluster`"]),
    ("engine: {type: dask, address: 10.0.0.5:8786}\n",
     ["engine.address: found '10.0.0.5:8786', expected a scheduler address with its protocol"]),
    ("engine: {type: local, address: tcp://10.0.0.5:8786}\n",
     ["engine.address: is set, but type is local; expected type: dask with it."]),
    ("engine: {partition_size: huge}\n",
     ["engine.partition_size: found 'huge', expected a size such as 32MiB"]),
    ("engine: {partition_size: 1KiB}\n",
     ["engine.partition_size: found '1KiB', expected at least 65536 bytes."]),
    ("engine: {type: dask, local_cluster: {n_workers: 0}}\n",
     ["engine.local_cluster.n_workers: found 0, expected at least 1 worker."]),
    ("engine: {type: spark}\n", ["engine", "spark"]),
    ("engine: {threads: 0}\n", ["engine.threads: found 0, expected at least 1 thread."]),
], ids=["neither", "no-protocol", "address-on-local", "size", "tiny", "workers", "type",
        "threads"])
def test_a_broken_engine_is_named_precisely(load_r, extra, fragments) -> None:
    with pytest.raises(RecipeErrors, match=expect(*fragments)):
        load_r(extra)


def test_an_override_of_the_engine_is_blamed(load_r) -> None:
    with pytest.raises(RecipeErrors, match=expect("engine.partition_size: found 'big'",
                                                  "It comes from the override")):
        load_r("", "engine.partition_size=big")


def test_the_local_engine_maps_in_order_in_this_process() -> None:
    with running(EngineConfig()) as engine:
        assert isinstance(engine, LocalEngine)
        assert engine.map(divmod, [7, 8, 9], 4) == [(1, 3), (2, 0), (2, 1)]
        assert engine.map(divmod, [], 4) == []


def test_local_threads_keep_the_order_and_take_items_only_as_threads_free_up() -> None:
    import threading
    import time

    taken, running_now, most = [], [0], [0]
    lock = threading.Lock()

    def items():
        for i in range(12):
            with lock:
                taken.append((i, running_now[0]))
            yield i

    def work(i: int) -> int:
        with lock:
            running_now[0] += 1
            most[0] = max(most[0], running_now[0])
        time.sleep(0.01 * (i % 3))  # later items may finish first
        with lock:
            running_now[0] -= 1
        return i * i

    assert list(ordered_map(work, items(), 3)) == [i * i for i in range(12)]
    assert most[0] <= 3  # never more than `workers` items at once
    assert all(busy <= 3 for _, busy in taken)
    with running(EngineConfig(threads=3)) as engine:
        assert engine.map(divmod, list(range(20)), 3) == [divmod(i, 3) for i in range(20)]


def test_one_thread_runs_in_the_calling_thread() -> None:
    import threading

    names = list(ordered_map(lambda _: threading.current_thread().name, range(3), 1))
    assert names == [threading.current_thread().name] * 3
