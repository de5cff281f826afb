"""Benchmark: the backbone against the fastest straightforward hand-written pipeline.

The sides do the same job on the same generated 1,000,000-row CSV (an id, a text, numeric and
categorical columns, a label, ~5% duplicated rows): read, filter, dedup, split 80/10/10, write
parquet per split and load it as Hugging Face datasets.

- builder: a recipe run through the real stages (`builder.pipeline.runner.build`, every artifact written
  atomically, the `DatasetDict` saved, the Hub layout and card written).
- by hand: pandas with the pyarrow engine, `drop_duplicates`, a seeded split column,
  `to_parquet` per split, `Dataset.from_parquet`.
- floor: the least memory the job can take: pure Arrow streaming in small CSV blocks
  (`--floor-block`, KiB; `--floor-pool` picks Arrow's allocator), the first row of each key kept
  through a hash table of keys, a split from a hash of the id, each split's rows written as they
  come to parquet and to an Arrow file that `Dataset.from_file` memory-maps. It does less than
  the builder (no ids, provenance columns, stage artifacts, features or card) and has no target:
  it shows what the targets leave room for. `--floor-pandas` filters each block as a pandas frame,
  as the builder's row-wise steps work (ARCHITECTURE.md), to show what pandas batches cost.

Each side runs in its own subprocess, which imports pandas, pyarrow and datasets before its clock
starts and reports its own wall time and peak RSS. Targets: time ratio <= 1.3, and the builder's
peak memory above its post-import baseline <= 3x the parquet it publishes.

    python bench/backbone.py [--rows N] [--repeat K] [--override engine.threads=1 ...]
                             [--floor-block KIB] [--floor-pool jemalloc] [--floor-pandas]
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
SEED = 20260101
CLASSES = ["neg", "neu", "pos"]
FILTER = "rating >= 2"
DEDUP = ["text", "category"]
FRACTIONS = {"train": 0.8, "validation": 0.1, "test": 0.1}


def generate_csv(path: Path, rows: int) -> None:
    """A CSV with an id, ~12-word texts, numbers, categories, a label and repeated rows."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    rng = np.random.default_rng(SEED)
    syllables = np.array(["ka", "lo", "mi", "ne", "ru", "sa", "te", "vo", "zu", "pe", "da", "gi"])
    vocab = pa.array(["".join(rng.choice(syllables, size=rng.integers(1, 4)))
                      for _ in range(5000)])
    unique = rows - rows // 20
    lengths = rng.integers(6, 18, size=unique)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    words = vocab.take(pa.array(rng.zipf(1.3, size=int(offsets[-1])) % len(vocab)))
    text = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), words), " ")
    table = pa.table({
        "text": text,
        "rating": rng.integers(1, 6, size=unique),
        "price": np.round(rng.gamma(2.0, 20.0, size=unique), 2),
        "category": pa.array(np.array([f"cat_{i:02d}" for i in range(12)])[
            rng.integers(0, 12, size=unique)]),
        "label": pa.array(np.array(CLASSES)[rng.integers(0, 3, size=unique)]),
    })
    repeats = rng.integers(0, unique, size=rows - unique)  # exact repeats of earlier rows
    table = pa.concat_tables([table, table.take(pa.array(repeats))])
    order = rng.permutation(rows)
    table = table.take(pa.array(order)).combine_chunks()
    table = table.add_column(0, "id", pa.array(np.arange(1, rows + 1)))
    tmp = path.with_suffix(".tmp")
    pcsv.write_csv(table, tmp)
    os.replace(tmp, path)


def recipe_text(csv: Path) -> str:
    return textwrap.dedent(f"""\
        defaults: [base, _self_]
        name: bench
        seed: {SEED}
        task: {{type: text-classification, text: text, label: label, classes: {CLASSES}}}
        sources:
          rows: {{type: csv, path: "{csv}", key: [id]}}
        transforms:
          rated: {{type: filter, query: "{FILTER}"}}
          dedup: {{type: dedup, columns: {DEDUP}}}
        split:
          fractions: {json.dumps(FRACTIONS)}
          stratify: false
        """)


# --- the sides, each run in a fresh subprocess (`python bench/backbone.py --side NAME`) ---

def side_builder(csv: Path, work: Path, args: argparse.Namespace) -> dict:
    from builder.pipeline import runner

    shutil.copytree(REPO / "conf", work / "conf")
    (work / "recipes").mkdir()
    (work / "recipes" / "bench.yaml").write_text(recipe_text(csv))
    ctx = runner.build("bench", work, args.override, progress=False)
    shards = sorted((ctx.artifact("hub") / "data").glob("*.parquet"))
    arrow = sorted(ctx.artifact("dataset").rglob("*.arrow"))
    return {"rows": json.loads(ctx.artifact("metrics.json").read_text())["export"]["rows_per_split"],
            "parquet_bytes": sum(p.stat().st_size for p in shards),
            "arrow_bytes": sum(p.stat().st_size for p in arrow),
            "stage_seconds": {k: round(v, 3) for k, v in ctx.timings.items()}}


def side_hand(csv: Path, work: Path, args: argparse.Namespace) -> dict:
    import datasets
    import numpy as np
    import pandas as pd

    df = pd.read_csv(csv, engine="pyarrow", dtype_backend="pyarrow")
    df = df[df["rating"] >= 2]
    df = df.drop_duplicates(subset=DEDUP)
    rng = np.random.default_rng(SEED)
    df["split"] = rng.choice(list(FRACTIONS), size=len(df), p=list(FRACTIONS.values()))
    rows, size = {}, 0
    for name in FRACTIONS:
        part = df[df["split"] == name].drop(columns="split")
        path = work / f"{name}.parquet"
        part.to_parquet(path, index=False)
        size += path.stat().st_size
        dataset = datasets.Dataset.from_parquet(str(path), cache_dir=str(work / "cache"))
        rows[name] = dataset.num_rows
    return {"rows": rows, "parquet_bytes": size}


def side_floor(csv: Path, work: Path, args: argparse.Namespace) -> dict:
    """Stream the CSV block by block through filter, dedup and split into the split files."""
    import datasets
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq
    from pandas._libs.hashtable import UInt64HashTable  # a set of uint64 that takes arrays

    from builder.columns import text_hashes

    flush_bytes = 2**21  # a split's rows are buffered up to this much (a parquet row group)
    reader = pcsv.open_csv(csv, read_options=pcsv.ReadOptions(block_size=args.floor_block << 10))
    seen = UInt64HashTable()
    edges = np.cumsum(list(FRACTIONS.values()))[:-1]
    parquet, arrow, pending = {}, {}, {name: [] for name in FRACTIONS}
    pending_bytes = dict.fromkeys(FRACTIONS, 0)

    def flush(name: str) -> None:
        table = pa.concat_tables(pending[name]).combine_chunks()
        pending[name], pending_bytes[name] = [], 0
        if name not in parquet:
            parquet[name] = pq.ParquetWriter(work / f"{name}.parquet", table.schema)
            arrow[name] = pa.ipc.new_stream(str(work / f"{name}.arrow"), table.schema)
        parquet[name].write_table(table)
        arrow[name].write_table(table)

    for batch in reader:
        table = pa.Table.from_batches([batch])
        if args.floor_pandas:  # the filter as a row-wise step of the builder: on a pandas batch
            frame = table.to_pandas(types_mapper=pd.ArrowDtype)
            table = pa.Table.from_pandas(frame.query(FILTER), preserve_index=False)
        else:
            table = table.filter(pc.greater_equal(table["rating"], 2))  # FILTER
        keys = text_hashes(pc.binary_join_element_wise(*(table[c] for c in DEDUP), "\x1f"))
        keep = np.zeros(len(keys), bool)
        keep[np.unique(keys, return_index=True)[1]] = True
        keep &= seen.lookup(keys) < 0
        seen.map_locations(keys[keep])
        table = table.filter(pa.array(keep))
        where = pd.util.hash_array(table["id"].to_numpy() + SEED) / 2.0**64
        assigned = np.searchsorted(edges, where, side="right")
        for index, name in enumerate(FRACTIONS):
            part = table.filter(pa.array(assigned == index))
            pending[name].append(part)
            pending_bytes[name] += part.nbytes
            if pending_bytes[name] >= flush_bytes:
                flush(name)
    rows, size = {}, 0
    for name in FRACTIONS:
        flush(name)
        parquet[name].close()
        arrow[name].close()
        size += (work / f"{name}.parquet").stat().st_size
        rows[name] = datasets.Dataset.from_file(str(work / f"{name}.arrow")).num_rows
    return {"rows": rows, "parquet_bytes": size}


def run_side(name: str, csv: Path, args: argparse.Namespace) -> None:
    """Import the common libraries, then time one side; print its figures as JSON."""
    import resource
    import time

    import datasets  # noqa: F401
    import pandas  # noqa: F401
    import pyarrow

    datasets.disable_progress_bars()
    if name == "floor" and args.floor_pool != "default":
        pyarrow.set_memory_pool(getattr(pyarrow, f"{args.floor_pool}_memory_pool")())
    baseline = _rss_now()
    work = Path(tempfile.mkdtemp(prefix=f"bench-{name}-", dir=RESULTS))
    try:
        cpu = _cpu_seconds()
        started = time.perf_counter()
        sides = {"builder": side_builder, "hand": side_hand, "floor": side_floor}
        figures = sides[name](csv, work, args)
        figures["seconds"] = time.perf_counter() - started
        figures["cpu_seconds"] = _cpu_seconds() - cpu
    finally:
        shutil.rmtree(work, ignore_errors=True)
    figures["baseline_rss"] = baseline
    figures["peak_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps(figures))


def _cpu_seconds() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _rss_now() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure(name: str, csv: Path, args: argparse.Namespace) -> dict:
    env = dict(os.environ, PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    options = [f"--floor-block={args.floor_block}", f"--floor-pool={args.floor_pool}",
               *(["--floor-pandas"] if args.floor_pandas else []),
               *(f"--override={o}" for o in args.override)]
    done = subprocess.run([sys.executable, __file__, "--side", name, "--csv", str(csv), *options],
                          env=env, capture_output=True, text=True, cwd=REPO)
    if done.returncode != 0:
        raise SystemExit(f"{name} failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def input_csv(rows: int) -> Path:
    """The generated CSV of `rows` rows (made once, kept under bench/results/)."""
    csv = RESULTS / f"backbone-{rows}.csv"
    if not csv.is_file():
        print(f"generating {csv} ...", flush=True)
        generate_csv(csv, rows)
    return csv


def mib(n: float) -> str:
    return f"{n / 2**20:.0f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5, help="runs per side; the best time counts")
    parser.add_argument("--small-rows", type=int, default=10_000,
                        help="rows of a second, small input that shows each side's fixed costs")
    parser.add_argument("--override", action="append", default=[],
                        help="a Hydra override for the builder's recipe, e.g. engine.threads=1")
    parser.add_argument("--floor-block", type=int, default=256,
                        help="KiB of CSV per block of the floor side's streaming reader")
    parser.add_argument("--floor-pool", choices=["default", "jemalloc", "mimalloc", "system"],
                        default="default", help="the floor side's Arrow memory pool")
    parser.add_argument("--floor-pandas", action="store_true",
                        help="the floor side filters each block as a pandas frame")
    parser.add_argument("--side", choices=["builder", "hand", "floor"], help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    if args.side:
        run_side(args.side, args.csv.resolve(), args)
        return
    # Both sides import compiled modules: site-packages were compiled when installed, and the
    # builder's own modules would otherwise be compiled inside its timed run wherever
    # PYTHONDONTWRITEBYTECODE is set (0.2-0.4 s here).
    compileall.compile_dir(REPO / "builder", quiet=1)
    csv, small = (input_csv(rows) for rows in (args.rows, args.small_rows))
    print(f"input: {args.rows:,} rows, {mib(csv.stat().st_size)} of CSV")
    runs: dict[str, list[dict]] = {"builder": [], "hand": [], "floor": []}
    for _ in range(args.repeat):
        for name in runs:  # alternate, so that both sides see the same machine load
            runs[name].append(measure(name, csv, args))
    best = {name: min(r, key=lambda f: f["seconds"]) for name, r in runs.items()}
    for name, figures in best.items():
        print(f"{name:8s} {figures['seconds']:6.2f} s, CPU {figures['cpu_seconds']:.2f} s (runs: "
              f"{', '.join(format(r['seconds'], '.2f') for r in runs[name])})  "
              f"peak RSS {mib(figures['peak_rss'])}, {mib(figures['peak_rss'] - figures['baseline_rss'])}"
              f" above its post-import {mib(figures['baseline_rss'])}; "
              f"parquet {mib(figures['parquet_bytes'])}; rows {figures['rows']}")
    if "stage_seconds" in best["builder"]:
        print(f"builder stages: {best['builder']['stage_seconds']}")
    ratio = best["builder"]["seconds"] / best["hand"]["seconds"]
    b = best["builder"]
    memory = (b["peak_rss"] - b["baseline_rss"]) / b["parquet_bytes"]
    print(f"time ratio builder/hand: {ratio:.2f} (target <= 1.3) "
          f"{'ok' if ratio <= 1.3 else 'MISSED'}")
    print(f"builder working memory / parquet output: {memory:.2f}x (target <= 3) "
          f"{'ok' if memory <= 3 else 'MISSED'}; peak RSS / parquet: "
          f"{b['peak_rss'] / b['parquet_bytes']:.2f}x")
    h = best["hand"]
    fixed = {name: measure(name, small, args) for name in runs}
    print(f"fixed costs ({args.small_rows:,} rows): " + "; ".join(
        f"{name} {f['seconds']:.2f} s, {mib(f['peak_rss'] - f['baseline_rss'])} above imports"
        for name, f in fixed.items()))
    print(f"working memory: builder {(b['peak_rss'] - b['baseline_rss']) / b['arrow_bytes']:.2f}x "
          f"the published data uncompressed ({mib(b['arrow_bytes'])} of arrow); builder/hand "
          f"{(b['peak_rss'] - b['baseline_rss']) / (h['peak_rss'] - h['baseline_rss']):.2f}")
    f = best["floor"]
    print(f"floor ({args.floor_block} KiB blocks, {args.floor_pool} pool"
          f"{', pandas filter' if args.floor_pandas else ''}): time ratio floor/hand "
          f"{f['seconds'] / h['seconds']:.2f}, working memory / parquet output "
          f"{(f['peak_rss'] - f['baseline_rss']) / f['parquet_bytes']:.2f}x")


if __name__ == "__main__":
    main()
