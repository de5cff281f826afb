"""Benchmark: incremental rebuilds through the partition cache (issue 19).

A 1,000,000-record JSON Lines prediction log (`bench/scale.py`'s generator: ~12-word texts,
predictions, corrections, consent) through one text recipe: the feedback source, a text
transform, three keyword labeling functions and the Dawid-Skene label model, a hash split and
the export. Each build runs in a fresh subprocess (`builder build`, every stage run, as `dvc
repro -f` would), in this order:

- `no cache`: the first build with the cache turned off (`engine.cache.max_size=0`): the
  memory baseline;
- `first`: the first build with an empty cache: the time baseline;
- (a) `append 1%`: 1% new records appended to the log: target <= 15% of `first`;
- (b) `unchanged`: nothing changed, the cache kept, every stage run again: target <= 10%;
- (c) `one LF edited`: one labeling function's keywords changed: target <= 50%;
- (d) `model refit`: the label model's `smoothing` changed, nothing else: every row's weak
  confidence changes (as when rows are appended: the model is refitted on the whole table's
  vote patterns), while nothing is read or voted again: what (a) costs beyond its new rows.

Then the floor of a rebuild in which every row's confidence changes: the time to rewrite the
label, split and augment stages' parts and the export's shards and `save_to_disk` files of the
build as they stand (read back memory-mapped, written to a scratch folder, `engine.threads` at
a time, no other work), plus the fixed costs of a build that restores every stage ((b)).

Then, under DVC (`--dvc`, in a copy of the repository's tracked files): `dvc repro` (first),
then `dvc repro -f` with nothing changed (every stage's `builder stage` process restores its
outputs from the cache): target <= 10%.

Printed: each build's wall time and ratio to `first`, its stage times, the cache's size on
disk, the floor, and the peak RSS of the first build with and without the cache (target: at
most 10% more).

    python bench/incremental.py [--rows 1000000] [--keep] [--dvc]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
sys.path.insert(0, str(REPO))

from bench.scale import CHUNK, log_chunk, vocabulary  # noqa: E402


def recipe_text(log: Path, extra_word: bool = False, smoothing: float = 1.0) -> str:
    words = vocabulary().to_pylist()
    flat = words[4:7] if extra_word else words[4:6]
    return textwrap.dedent(f"""\
        defaults: [base, _self_]
        name: incremental
        seed: 3
        task: {{type: text-classification, text: text, label: label, classes: [neg, neu, pos]}}
        sources:
          log: {{type: feedback, path: "{log}", since: 2026-01-01}}
        transforms:
          tidy: {{type: normalize_text, columns: [text], lower: true}}
        labeling:
          functions:
            good: {{type: keyword, label: pos, words: {words[0:2]}}}
            bad: {{type: keyword, label: neg, words: {words[2:4]}}}
            flat: {{type: keyword, label: neu, words: {flat}}}
          model: {{type: dawid_skene, smoothing: {smoothing}}}
          unlabeled: keep
        split:
          fractions: {{train: 0.8, validation: 0.1, test: 0.1}}
          stratify: false
        engine: {{type: local}}
        """)


def append_log(path: Path, rows: int, first_id: int, index: int) -> None:
    with path.open("ab") as fh:
        for start in range(0, rows, CHUNK):
            fh.write(log_chunk(index + start // CHUNK, min(CHUNK, rows - start),
                               first_id + start))


# --- one build, in a fresh subprocess (`python bench/incremental.py --side DIR [overrides]`) ---

def run_side(work: Path, overrides: list[str]) -> None:
    import datasets
    import pandas  # noqa: F401
    import pyarrow  # noqa: F401

    import resource

    from builder.pipeline import runner

    datasets.disable_progress_bars()
    cpu: dict[str, float] = {}
    run_stage = runner.run_stage

    def timed_stage(name, ctx, deferred=None):  # CPU seconds of each stage, all its threads
        started = cpu_seconds()
        try:
            return run_stage(name, ctx, deferred)
        finally:
            cpu[name] = round(cpu_seconds() - started, 2)

    runner.run_stage = timed_stage
    started, cpu_started = time.perf_counter(), cpu_seconds()
    ctx = runner.build("incremental", work, overrides, progress=False)
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "cpu": cpu_seconds() - cpu_started,
                      "stages": {k: round(v, 2) for k, v in ctx.timings.items()},
                      "stages_cpu": cpu,
                      "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))


def cpu_seconds() -> float:
    """User and system CPU time of this process so far, every thread."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_writes(work: Path) -> None:
    """The floor's writes: every part of the label, split and augment stages' artifacts read
    back and written again, then the export's files of every split, into a scratch folder,
    `engine.threads` at a time as the stages run them; seconds per stage."""
    import datasets  # imported before the clock starts, as a build has by then

    from builder.context import open_context
    from builder.engine import ordered_map
    from builder.export.schema import published_schema
    from builder.export.writer import write_split
    from builder.partitions import Partitions, read_table, write_part
    from builder.rows import SPLIT

    datasets.disable_progress_bars()
    ctx = open_context("incremental", work)
    threads = ctx.recipe.engine_config.threads
    data = work / "data" / "incremental"
    scratch = Path(tempfile.mkdtemp(prefix="writes-", dir=work))
    seconds: dict[str, float] = {}
    cpu: dict[str, float] = {}
    try:
        for stage, folder in (("label", "labeled"), ("split", "split"), ("augment", "augmented")):
            parts = Partitions.open(data / folder)
            (scratch / folder).mkdir()
            groups = None if stage == "label" else SPLIT
            started, cpu_started = time.perf_counter(), cpu_seconds()
            list(ordered_map(lambda n: write_part(read_table(parts.folder / n),
                                                  scratch / folder / n, groups=groups),
                             parts.names, threads))
            seconds[stage] = time.perf_counter() - started
            cpu[stage] = cpu_seconds() - cpu_started
        parts = Partitions.open(data / "augmented")
        started, cpu_started = time.perf_counter(), cpu_seconds()
        columns, features = published_schema(ctx, parts)
        list(ordered_map(lambda split: write_split(split, ctx, parts, columns, features,
                                                   scratch / "hub", scratch / "dataset"),
                         list(ctx.recipe.split.fractions), threads))
        seconds["export"] = time.perf_counter() - started
        cpu["export"] = cpu_seconds() - cpu_started
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(json.dumps({"seconds": {k: round(v, 2) for k, v in seconds.items()},
                      "cpu": {k: round(v, 2) for k, v in cpu.items()}}))


def measure(work: Path, *overrides: str, side: str = "--side") -> dict:
    env = dict(os.environ, PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    done = subprocess.run([sys.executable, __file__, side, str(work), *overrides], env=env,
                          capture_output=True, text=True, cwd=REPO)
    if done.returncode != 0:
        raise SystemExit(f"build failed:\n{done.stdout}\n{done.stderr}")
    for line in done.stderr.splitlines():  # the cache's warnings (a folder it cannot write)
        if line.startswith("warning: the partition cache"):
            print(f"  {line}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def outputs(work: Path) -> dict[str, int]:
    import hashlib

    data = work / "data" / "incremental"
    return {str(p.relative_to(data)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(data.rglob("*")) if p.is_file() and ".cache" not in p.parts
            and p.name not in ("engine.yaml", ".hashes.json")}


def dvc_runs(work: Path, log: Path, cache_type: str | None = None) -> dict[str, tuple]:
    """In a fresh copy of the repository (DVC's `cache.type` set to `cache_type`, if given):
    `dvc repro` of the recipe, then `dvc repro -f` with nothing changed, then DVC's floor: the
    same `dvc repro -f` where each stage's command only puts its outputs back by hard links
    from a saved copy (DVC removes a stage's outputs before it runs it, and hashes and caches
    them after). (wall seconds, CPU seconds of DVC and its commands) of each."""
    from builder.pipeline import STAGES, runner
    from tests.conftest import cli_env, copy_tracked_files, pipeline_for

    repo = copy_tracked_files(work / f"repo-{cache_type or 'default'}")
    (repo / "recipes" / "incremental.yaml").write_text(recipe_text(log))
    (repo / "dvc.yaml").write_text(pipeline_for(["incremental"]))
    # As in a checkout that has run Python once: its bytecode written (this environment may
    # set PYTHONDONTWRITEBYTECODE, which would compile every module in every stage process).
    subprocess.run([sys.executable, "-m", "compileall", "-q", "builder"], cwd=repo, check=True)
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "copy"]):
        subprocess.run(["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid",
                        *args], cwd=repo, check=True, capture_output=True)
    env = {**cli_env(), "PYTHONPATH": str(repo), "HF_DATASETS_OFFLINE": "1"}
    if cache_type:
        subprocess.run([sys.executable, "-m", "dvc", "config", "cache.type", cache_type],
                       cwd=repo, env=env, check=True, capture_output=True)

    def repro(*args: str) -> tuple[float, float]:
        cpu = _children_cpu()
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "dvc", "repro", *args], cwd=repo, env=env,
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"dvc repro {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return time.perf_counter() - started, _children_cpu() - cpu

    times = {"first": repro(), "forced": repro("-f")}
    data, saved = repo / "data" / "incremental", work / f"saved-{cache_type or 'default'}"
    lines = ["#!/bin/sh", "set -e", f"cd {data}", "mkdir -p metrics", 'case "$1" in']
    for stage in STAGES:
        outputs = runner.stage_outputs(stage)
        for name in outputs:
            (saved / name).parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(["cp", "-al", str(data / name), str(saved / name)], check=True)
        lines.append(f"  {stage.name})")
        lines += [f"    rm -rf {name}; cp -al {saved / name} {name}" for name in outputs]
        lines.append("    ;;")
    lines.append("esac")
    noop = work / f"noop-{cache_type or 'default'}.sh"
    noop.write_text("\n".join(lines) + "\n")
    noop.chmod(0o755)
    (repo / "dvc.yaml").write_text(re.sub(r"cmd: python -m builder stage (\w+) \$\{item\}",
                                          rf"cmd: {noop} \1", (repo / "dvc.yaml").read_text()))
    repro()  # the commands changed: every stage runs once
    times["floor"] = repro("-f")
    return times


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--dvc", action="store_true", help="also time dvc repro and repro -f")
    parser.add_argument("--side", help=argparse.SUPPRESS)
    parser.add_argument("--writes", help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args()
    if args.side:
        run_side(Path(args.side), rest)
        return
    if args.writes:
        run_writes(Path(args.writes))
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="incremental-", dir=RESULTS))
    try:
        shutil.copytree(REPO / "conf", work / "conf")
        (work / "recipes").mkdir()
        log = work / "log.jsonl"
        started = time.perf_counter()
        append_log(log, args.rows, 1, 0)
        print(f"generated {args.rows:,} records ({log.stat().st_size / 2**20:.0f} MiB) in "
              f"{time.perf_counter() - started:.0f} s; load average {os.getloadavg()}")
        recipe = work / "recipes" / "incremental.yaml"
        recipe.write_text(recipe_text(log))
        cache = work / "data" / "incremental" / ".cache" / "partitions"

        runs: list[tuple[str, dict]] = [("no cache", measure(work, "engine.cache.max_size=0"))]
        shutil.rmtree(work / "data")
        runs.append(("first", measure(work)))
        first_size = folder_bytes(cache)
        append_log(log, args.rows // 100, args.rows + 1, 97)
        runs.append(("(a) append 1%", measure(work)))
        runs.append(("(b) unchanged", measure(work)))
        recipe.write_text(recipe_text(log, extra_word=True))
        runs.append(("(c) one LF edited", measure(work)))
        recipe.write_text(recipe_text(log, extra_word=True, smoothing=1.5))
        runs.append(("(d) model refit", measure(work)))
        writes = measure(work, side="--writes")
        incremental = outputs(work)
        shutil.move(cache, work / "kept-cache")
        shutil.rmtree(work / "data")
        measure(work, "engine.cache.max_size=0")
        identical = outputs(work) == incremental

        base = dict(runs)["first"]["seconds"]
        targets = {"(a) append 1%": 0.15, "(b) unchanged": 0.10, "(c) one LF edited": 0.50}
        base_cpu = dict(runs)["first"]["cpu"]
        for name, figures in runs:
            ratio = figures["seconds"] / base
            verdict = ""
            if name in targets:
                verdict = (f"  (target <= {targets[name]:.0%}: "
                           f"{'ok' if ratio <= targets[name] else 'MISSED'})")
            print(f"{name:18s} {figures['seconds']:7.1f} s  {ratio:6.1%} of first{verdict}; "
                  f"CPU {figures['cpu']:.1f} s = {figures['cpu'] / base_cpu:.1%} of first's")
            print(f"{'':18s} stages {figures['stages']}")
            print(f"{'':18s} CPU    {figures['stages_cpu']}")
        fixed = dict(runs)["(b) unchanged"]
        floor = fixed["seconds"] + sum(writes["seconds"].values())
        floor_cpu = fixed["cpu"] + sum(writes["cpu"].values())
        print(f"floor when every row's confidence changes: {floor:.1f} s = {floor / base:.1%} of "
              f"first (CPU {floor_cpu:.1f} s = {floor_cpu / base_cpu:.1%}): (b)'s fixed costs "
              f"{fixed['seconds']:.1f} s + rewriting every row {writes['seconds']} s "
              f"(CPU {writes['cpu']})")
        print(f"cache on disk: {first_size / 2**20:.0f} MiB after the first build, "
              f"{folder_bytes(work / 'kept-cache') / 2**20:.0f} MiB at the end")
        without, with_cache = dict(runs)["no cache"]["peak_rss"], dict(runs)["first"]["peak_rss"]
        growth = with_cache / without - 1
        print(f"peak RSS of the first build: {without / 2**30:.2f} GiB without the cache, "
              f"{with_cache / 2**30:.2f} GiB with it ({growth:+.1%}, target <= +10%: "
              f"{'ok' if growth <= 0.10 else 'MISSED'})")
        print(f"final outputs byte-identical to a clean build without the cache: {identical}")
        if args.dvc:
            for cache_type in (None, "hardlink"):
                times = dvc_runs(work, log, cache_type)
                (first_dvc, first_cpu), (forced, forced_cpu) = times["first"], times["forced"]
                (floor, floor_cpu) = times["floor"]
                print(f"dvc repro (cache.type {cache_type or 'default, reflink,copy'}) "
                      f"{first_dvc:.1f} s (CPU {first_cpu:.1f} s); dvc repro -f (nothing "
                      f"changed) {forced:.1f} s (CPU {forced_cpu:.1f} s) = {forced / first_dvc:.1%}"
                      f" (target <= 10%: {'ok' if forced / first_dvc <= 0.10 else 'MISSED'}); "
                      f"DVC's floor {floor:.1f} s (CPU {floor_cpu:.1f} s) = "
                      f"{floor / first_dvc:.1%}")
        print(f"load average after: {os.getloadavg()}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
