"""Benchmark: a 10,000,000-row feedback log built out of core and on a two-worker Dask cluster.

One generated JSON Lines prediction log (request id, ~12-word text, prediction, score, a
correction on ~4% of the records, timestamps over three months, consent on ~97%) runs through
one recipe: the feedback source (window and consent filters, corrections as labels), a text
transform, three keyword labeling functions and a Dawid-Skene label model, a hash split and the
export (Hub shards and the saved `DatasetDict`). Three builds, each in its own subprocess:

- `local 1M`: the first 1,000,000 records with the local engine: the single-process baseline;
- `local 10M`: all 10,000,000 records with the local engine (one process, out of core);
- `dask 10M`: the same on a `LocalCluster` of two worker processes (1 thread, 4 GiB each),
  started before the clock and reached through `engine.address`.

Printed: rows per second (records read / build wall time) for each, and the peak RSS of every
process (the driver, which also hosts the scheduler and the nannies, from getrusage; each Dask
worker from getrusage run on it). Targets: no process above 4 GiB; the 10M throughputs within
1.3x of the 1M one.

    python bench/scale.py [--rows 10000000] [--baseline-rows 1000000] [--keep-data]
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
SEED = 20261128
CHUNK = 1_000_000
CLASSES = ["neg", "neu", "pos"]
GIB = 2**30


def log_chunk(index: int, rows: int, first_id: int) -> bytes:
    """`rows` JSON Lines records, generated column-wise from a seed derived from `index`."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    rng = np.random.default_rng([SEED, index])
    vocab = vocabulary()
    lengths = rng.integers(6, 18, size=rows)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    words = vocab.take(pa.array(rng.zipf(1.3, size=int(offsets[-1])) % len(vocab)))
    text = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), words), " ")
    ids = pc.utf8_lpad(pa.array(np.arange(first_id, first_id + rows)).cast(pa.string()), 9, "0")
    seconds = rng.integers(0, 90 * 86400, size=rows) + 1764547200  # from 2025-12-01
    stamps = pc.strftime(pa.array(seconds, pa.timestamp("s")),
                         format="%Y-%m-%dT%H:%M:%SZ")
    prediction = pa.array(np.array(CLASSES)[rng.integers(0, 3, size=rows)])
    score = pc.cast(pa.array(np.round(rng.uniform(0.34, 1.0, size=rows), 4)), pa.string())
    corrected = rng.random(rows) < 0.04
    correction = np.where(corrected, np.char.add(np.char.add('"', np.array(CLASSES)[
        rng.integers(0, 3, size=rows)]), '"'), "null")
    consent = np.where(rng.random(rows) < 0.97, "true", "false")
    pieces = ['{"id": "req-', ids, '", "timestamp": "', stamps, '", "inputs": {"text": "', text,
              '"}, "prediction": "', prediction, '", "score": ', score, ', "correction": ',
              pa.array(correction), ', "consent": ', pa.array(consent), "}\n"]
    lines = pc.binary_join_element_wise(*pieces, "").cast(pa.large_string())
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)[lines.offset:][:len(lines) + 1]
    # The values buffer of a string array holds its strings back to back: the lines, joined.
    return lines.buffers()[2].to_pybytes()[offsets[0]:offsets[-1]] if rows else b""


def vocabulary():
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(SEED)
    syllables = np.array(["ka", "lo", "mi", "ne", "ru", "sa", "te", "vo", "zu", "pe", "da", "gi"])
    return pa.array(["".join(rng.choice(syllables, size=rng.integers(1, 4))) for _ in range(5000)])


def generate_log(path: Path, rows: int) -> None:
    """Write the log in chunks of a million records (never the whole log in memory)."""
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as fh:
        for index, start in enumerate(range(0, rows, CHUNK)):
            fh.write(log_chunk(index, min(CHUNK, rows - start), start + 1))
    os.replace(tmp, path)


def recipe_text(log: Path, address: str | None) -> str:
    words = vocabulary().to_pylist()
    engine = ("engine: {type: local}" if address is None
              else f"engine: {{type: dask, address: '{address}'}}")
    return textwrap.dedent(f"""\
        defaults: [base, _self_]
        name: scale
        seed: 3
        task: {{type: text-classification, text: text, label: label, classes: {CLASSES}}}
        sources:
          log: {{type: feedback, path: "{log}", since: 2026-01-01}}
        transforms:
          tidy: {{type: normalize_text, columns: [text], lower: true}}
        labeling:
          functions:
            good: {{type: keyword, label: pos, words: {words[0:2]}}}
            bad: {{type: keyword, label: neg, words: {words[2:4]}}}
            flat: {{type: keyword, label: neu, words: {words[4:6]}}}
          model: {{type: dawid_skene}}
          unlabeled: keep
        split:
          fractions: {{train: 0.8, validation: 0.1, test: 0.1}}
          stratify: false
        {engine}
        """)


# --- one build, in a fresh subprocess (`python bench/scale.py --side local|dask --log FILE`) ---

def run_side(side: str, log: Path, rows: int) -> None:
    import datasets
    import pandas  # noqa: F401
    import pyarrow  # noqa: F401

    from builder.pipeline import runner

    datasets.disable_progress_bars()
    work = Path(tempfile.mkdtemp(prefix=f"scale-{side}-", dir=RESULTS))
    cluster = client = None
    figures: dict = {"side": side, "rows_in": rows}
    try:
        address = None
        if side == "dask":
            import logging

            from distributed import Client, LocalCluster

            started = time.perf_counter()
            cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                   host="127.0.0.1", dashboard_address=None, memory_limit="4GiB",
                                   silence_logs=logging.ERROR, local_directory=str(work))
            client = Client(cluster)
            address = cluster.scheduler_address
            figures["cluster_start_seconds"] = time.perf_counter() - started
        shutil.copytree(REPO / "conf", work / "conf")
        (work / "recipes").mkdir()
        (work / "recipes" / "scale.yaml").write_text(recipe_text(log, address))
        started = time.perf_counter()
        ctx = runner.build("scale", work, progress=False)
        figures["seconds"] = time.perf_counter() - started
        figures["stage_seconds"] = {k: round(v, 1) for k, v in ctx.timings.items()}
        metrics = json.loads(ctx.artifact("metrics.json").read_text())
        figures["rows_out"] = metrics["export"]["rows_per_split"]
        figures["parquet_bytes"] = sum(p.stat().st_size
                                       for p in (ctx.artifact("hub") / "data").glob("*.parquet"))
        if client is not None:
            peaks = client.run(_peak_rss)
            figures["workers_peak_rss"] = [peaks[w] for w in sorted(peaks)]
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
        shutil.rmtree(work, ignore_errors=True)
    figures["driver_peak_rss"] = _peak_rss()
    print(json.dumps(figures))


def _peak_rss() -> int:
    """This process's peak resident set size in bytes (Linux reports KiB)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def measure(side: str, log: Path, rows: int) -> dict:
    env = dict(os.environ, PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    done = subprocess.run([sys.executable, __file__, "--side", side, "--log", str(log),
                           "--rows", str(rows)], env=env, capture_output=True, text=True,
                          cwd=REPO)
    if done.returncode != 0:
        raise SystemExit(f"{side} build of {rows:,} rows failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def gib(n: float) -> str:
    return f"{n / GIB:.2f} GiB"


def report(name: str, figures: dict) -> float:
    rate = figures["rows_in"] / figures["seconds"]
    processes = [("driver", figures["driver_peak_rss"])]
    processes += [(f"worker {i}", rss) for i, rss in enumerate(figures.get("workers_peak_rss",
                                                                            []))]
    extra = (f", cluster started in {figures['cluster_start_seconds']:.1f} s before the clock"
             if "cluster_start_seconds" in figures else "")
    print(f"{name:10s} {figures['rows_in']:>11,} records in {figures['seconds']:7.1f} s = "
          f"{rate:>9,.0f} rows/s; peak RSS " + ", ".join(f"{p} {gib(r)}" for p, r in processes)
          + extra)
    print(f"{'':10s} stages {figures['stage_seconds']}; published {figures['rows_out']} "
          f"({figures['parquet_bytes'] / 2**20:.0f} MiB of parquet)")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--baseline-rows", type=int, default=1_000_000)
    parser.add_argument("--keep-data", action="store_true", help="keep the generated logs")
    parser.add_argument("--side", choices=["local", "dask"], help=argparse.SUPPRESS)
    parser.add_argument("--log", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    if args.side:
        run_side(args.side, args.log.resolve(), args.rows)
        return
    logs = {}
    for rows in (args.baseline_rows, args.rows):
        logs[rows] = RESULTS / f"scale-feedback-{rows}.jsonl"
        if not logs[rows].is_file():
            started = time.perf_counter()
            generate_log(logs[rows], rows)
            print(f"generated {logs[rows].name}: {rows:,} records, "
                  f"{logs[rows].stat().st_size / GIB:.2f} GiB in "
                  f"{time.perf_counter() - started:.0f} s", flush=True)
    print(f"machine: {os.cpu_count()} cores; load average before: "
          f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    runs = {}
    small, large = (f"{args.baseline_rows / 1e6:g}M", f"{args.rows / 1e6:g}M")
    for name, side, rows in ((f"local {small}", "local", args.baseline_rows),
                             (f"local {large}", "local", args.rows),
                             (f"dask {large}", "dask", args.rows)):
        runs[name] = measure(side, logs[rows], rows)
        report(name, runs[name])
        sys.stdout.flush()
    base = runs[f"local {small}"]["rows_in"] / runs[f"local {small}"]["seconds"]
    peaks = [r["driver_peak_rss"] for r in runs.values()]
    peaks += [p for r in runs.values() for p in r.get("workers_peak_rss", [])]
    for name in (f"local {large}", f"dask {large}"):
        rate = runs[name]["rows_in"] / runs[name]["seconds"]
        ratio = base / rate
        print(f"throughput {name} vs local {small}: {ratio:.2f}x the time per row "
              f"(target <= 1.3) {'ok' if ratio <= 1.3 else 'MISSED'}")
    print(f"largest process: {gib(max(peaks))} (target <= 4 GiB) "
          f"{'ok' if max(peaks) <= 4 * GIB else 'MISSED'}")
    print(f"load average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if not args.keep_data:
        for path in logs.values():
            path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
