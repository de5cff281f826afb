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
- (c) `one LF edited`: one labeling function's keywords changed: target <= 50%.

Then, under DVC (`--dvc`, in a copy of the repository's tracked files): `dvc repro` (first),
then `dvc repro -f` with nothing changed (every stage's `builder stage` process restores its
outputs from the cache): target <= 10%.

Printed: each build's wall time and ratio to `first`, its stage times, the cache's size on
disk, and the peak RSS of the first build with and without the cache (target: at most 10%
more).

    python bench/incremental.py [--rows 1000000] [--keep] [--dvc]
"""

from __future__ import annotations

import argparse
import json
import os
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


def recipe_text(log: Path, extra_word: bool = False) -> str:
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
          model: {{type: dawid_skene}}
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

    from builder.pipeline import runner

    datasets.disable_progress_bars()
    started = time.perf_counter()
    ctx = runner.build("incremental", work, overrides, progress=False)
    seconds = time.perf_counter() - started
    import resource

    print(json.dumps({"seconds": seconds,
                      "stages": {k: round(v, 2) for k, v in ctx.timings.items()},
                      "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))


def measure(work: Path, *overrides: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    done = subprocess.run([sys.executable, __file__, "--side", str(work), *overrides], env=env,
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


def dvc_runs(work: Path, log: Path) -> tuple[float, float]:
    """`dvc repro` of the recipe in a copy of the repository, then `dvc repro -f`: seconds."""
    from tests.conftest import cli_env, copy_tracked_files, pipeline_for

    repo = copy_tracked_files(work / "repo")
    (repo / "recipes" / "incremental.yaml").write_text(recipe_text(log))
    (repo / "dvc.yaml").write_text(pipeline_for(["incremental"]))
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "copy"]):
        subprocess.run(["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid",
                        *args], cwd=repo, check=True, capture_output=True)
    env = {**cli_env(), "PYTHONPATH": str(repo), "HF_DATASETS_OFFLINE": "1"}
    seconds = []
    for args in ([], ["-f"]):
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "dvc", "repro", *args], cwd=repo, env=env,
                              capture_output=True, text=True)
        seconds.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise SystemExit(f"dvc repro {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return seconds[0], seconds[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--dvc", action="store_true", help="also time dvc repro and repro -f")
    parser.add_argument("--side", help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args()
    if args.side:
        run_side(Path(args.side), rest)
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
        incremental = outputs(work)
        shutil.move(cache, work / "kept-cache")
        shutil.rmtree(work / "data")
        measure(work, "engine.cache.max_size=0")
        identical = outputs(work) == incremental

        base = dict(runs)["first"]["seconds"]
        targets = {"(a) append 1%": 0.15, "(b) unchanged": 0.10, "(c) one LF edited": 0.50}
        for name, figures in runs:
            ratio = figures["seconds"] / base
            verdict = ""
            if name in targets:
                verdict = (f"  (target <= {targets[name]:.0%}: "
                           f"{'ok' if ratio <= targets[name] else 'MISSED'})")
            print(f"{name:18s} {figures['seconds']:7.1f} s  {ratio:6.1%} of first{verdict}")
            print(f"{'':18s} stages {figures['stages']}")
        print(f"cache on disk: {first_size / 2**20:.0f} MiB after the first build, "
              f"{folder_bytes(work / 'kept-cache') / 2**20:.0f} MiB at the end")
        without, with_cache = dict(runs)["no cache"]["peak_rss"], dict(runs)["first"]["peak_rss"]
        growth = with_cache / without - 1
        print(f"peak RSS of the first build: {without / 2**30:.2f} GiB without the cache, "
              f"{with_cache / 2**30:.2f} GiB with it ({growth:+.1%}, target <= +10%: "
              f"{'ok' if growth <= 0.10 else 'MISSED'})")
        print(f"final outputs byte-identical to a clean build without the cache: {identical}")
        if args.dvc:
            first_dvc, forced = dvc_runs(work, log)
            ratio = forced / first_dvc
            print(f"dvc repro          {first_dvc:7.1f} s; dvc repro -f (nothing changed) "
                  f"{forced:5.1f} s = {ratio:.1%} (target <= 10%: "
                  f"{'ok' if ratio <= 0.10 else 'MISSED'})")
        print(f"load average after: {os.getloadavg()}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
