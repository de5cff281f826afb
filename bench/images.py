"""Benchmark: images through the builder against a hand-written Pillow + `datasets` loop.

Both sides do the same job on the same generated folder of small PNG files (one sub-folder per
class, ~2% exact copies and ~1% re-encoded near copies planted): list and read every file,
verify it with Pillow (`Image.verify`, then a full decode), drop exact copies (a hash of the
bytes) and near copies (imagehash's phash within 6 bits), split 80/20 by a hash, and publish
parquet with a `datasets.Image()` feature and a `save_to_disk` folder.

- builder: a recipe (`imagefolder` -> `dedup_images` -> split -> export) run through the real
  stages (`builder.pipeline.runner.build`: every artifact written atomically, the Hub layout,
  the saved `DatasetDict` and the card).
- by hand: a loop over the files holding every image in memory, `Dataset.from_dict` with the
  features, `to_parquet` per split and `DatasetDict.save_to_disk`. It finds near copies with the
  builder's banded search (`builder.images.hashing.near_duplicate_mask`): a pairwise loop would
  take hours, and the search is not what is measured.

Each side runs in its own subprocess that imports the libraries before its clock starts and
reports its wall time and peak RSS. Targets: time ratio builder/hand <= 1.3; the builder's peak
memory for the full folder and for a folder of half as many images within 20% of each other.

    python bench/images.py [--images N] [--repeat K] [--override engine.threads=1 ...]
"""

from __future__ import annotations

import argparse
import compileall
import io
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
SEED = 20261205
CLASSES = ["circle", "square", "stripe"]
THRESHOLD = 6
SIZE = 24


def generate(folder: Path, count: int) -> None:
    """`count` PNG files of random 8x8 colour cells, enlarged to SIZE x SIZE, in one folder per
    class; 2% are byte copies and 1% slightly brighter re-encodings of earlier files."""
    import numpy as np
    from PIL import Image, ImageEnhance

    rng = np.random.default_rng(SEED)
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    for name in CLASSES:
        (tmp / name).mkdir(parents=True)
    made: list[tuple[str, bytes]] = []
    for i in range(count):
        label = CLASSES[int(rng.integers(len(CLASSES)))]
        roll = rng.random()
        if made and roll < 0.02:
            data = made[int(rng.integers(len(made)))][1]
        elif made and roll < 0.03:
            source = Image.open(io.BytesIO(made[int(rng.integers(len(made)))][1]))
            out = io.BytesIO()
            ImageEnhance.Brightness(source).enhance(1.03).save(out, format="PNG")
            data = out.getvalue()
        else:
            cells = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
            image = Image.fromarray(cells).resize((SIZE, SIZE), Image.Resampling.NEAREST)
            out = io.BytesIO()
            image.save(out, format="PNG")
            data = out.getvalue()
        path = f"{label}/{i:06d}.png"
        (tmp / path).write_bytes(data)
        made.append((path, data))
    os.replace(tmp, folder)


def recipe_text(folder: Path) -> str:
    return textwrap.dedent(f"""\
        defaults: [base, _self_]
        name: bench
        seed: {SEED}
        task: {{type: image-classification, image: image, label: label, classes: {CLASSES}}}
        sources:
          shapes: {{type: imagefolder, path: "{folder}", extensions: [.png]}}
        transforms:
          unique: {{type: dedup_images, threshold: {THRESHOLD}}}
        split:
          fractions: {{train: 0.8, validation: null, test: 0.2}}
          stratify: false
        """)


# --- the sides, each run in a fresh subprocess (`python bench/images.py --side NAME`) ---

def side_builder(folder: Path, work: Path, args: argparse.Namespace) -> dict:
    from builder.pipeline import runner

    shutil.copytree(REPO / "conf", work / "conf")
    (work / "recipes").mkdir()
    (work / "recipes" / "bench.yaml").write_text(recipe_text(folder))
    ctx = runner.build("bench", work, args.override, progress=False)
    shards = sorted((ctx.artifact("hub") / "data").glob("*.parquet"))
    return {"rows": json.loads(ctx.artifact("metrics.json").read_text())["export"]["rows_per_split"],
            "parquet_bytes": sum(p.stat().st_size for p in shards),
            "stage_seconds": {k: round(v, 3) for k, v in ctx.timings.items()}}


def side_hand(folder: Path, work: Path, args: argparse.Namespace) -> dict:
    import hashlib

    import datasets
    import imagehash
    import numpy as np
    from PIL import Image

    from builder.images.hashing import near_duplicate_mask

    images, labels, files, widths, heights, modes = [], [], [], [], [], []
    seen: set[bytes] = set()
    for path in sorted(folder.glob("*/*.png")):
        data = path.read_bytes()
        try:
            with Image.open(io.BytesIO(data)) as image:
                image.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                size, mode = image.size, image.mode
        except Exception:
            continue
        digest = hashlib.blake2b(data, digest_size=8).digest()
        if digest in seen:
            continue
        seen.add(digest)
        images.append(data)
        labels.append(path.parent.name)
        files.append(path.relative_to(folder).as_posix())
        widths.append(size[0])
        heights.append(size[1])
        modes.append(mode)
    hashes = np.zeros(len(images), dtype=np.uint64)
    for i, data in enumerate(images):
        with Image.open(io.BytesIO(data)) as image:
            bits = imagehash.phash(image).hash.ravel()
        hashes[i] = int.from_bytes(np.packbits(bits).tobytes(), "big")
    keep = near_duplicate_mask(hashes, THRESHOLD)
    test = np.array([hashlib.blake2b(d, digest_size=8).digest()[0] < 52 for d in images])
    features = datasets.Features({
        "image": datasets.Image(), "width": datasets.Value("int64"),
        "height": datasets.Value("int64"), "mode": datasets.Value("string"),
        "file": datasets.Value("string"), "label": datasets.ClassLabel(names=CLASSES)})
    splits, rows, size = {}, {}, 0
    for name, chosen in (("train", keep & ~test), ("test", keep & test)):
        index = np.flatnonzero(chosen)
        dataset = datasets.Dataset.from_dict({
            "image": [{"bytes": images[i], "path": None} for i in index],
            "width": [widths[i] for i in index], "height": [heights[i] for i in index],
            "mode": [modes[i] for i in index], "file": [files[i] for i in index],
            "label": [CLASSES.index(labels[i]) for i in index]}, features=features)
        path = work / f"{name}.parquet"
        dataset.to_parquet(str(path))
        size += path.stat().st_size
        splits[name] = dataset
        rows[name] = dataset.num_rows
    datasets.DatasetDict(splits).save_to_disk(str(work / "dataset"))
    return {"rows": rows, "parquet_bytes": size}


def run_side(name: str, folder: Path, args: argparse.Namespace) -> None:
    """Import the common libraries, then time one side; print its figures as JSON."""
    import resource
    import time

    import datasets
    import imagehash  # noqa: F401
    import pandas  # noqa: F401
    import PIL.PngImagePlugin  # noqa: F401

    datasets.disable_progress_bars()
    baseline = _rss_now()
    work = Path(tempfile.mkdtemp(prefix=f"bench-images-{name}-", dir=RESULTS))
    try:
        cpu = _cpu_seconds()
        started = time.perf_counter()
        figures = {"builder": side_builder, "hand": side_hand}[name](folder, work, args)
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


def measure(name: str, folder: Path, args: argparse.Namespace) -> dict:
    env = dict(os.environ, PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    options = [f"--override={o}" for o in args.override]
    done = subprocess.run([sys.executable, __file__, "--side", name, "--folder", str(folder),
                           *options], env=env, capture_output=True, text=True, cwd=REPO)
    if done.returncode != 0:
        raise SystemExit(f"{name} failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def input_folder(count: int) -> Path:
    """The generated folder of `count` images (made once, kept under bench/results/)."""
    folder = RESULTS / f"images-{count}"
    if not folder.is_dir():
        print(f"generating {folder} ...", flush=True)
        generate(folder, count)
    return folder


def mib(n: float) -> str:
    return f"{n / 2**20:.0f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per side; the best time counts")
    parser.add_argument("--override", action="append", default=[],
                        help="a Hydra override for the builder's recipe, e.g. engine.threads=1")
    parser.add_argument("--side", choices=["builder", "hand"], help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    if args.side:
        run_side(args.side, args.folder.resolve(), args)
        return
    compileall.compile_dir(REPO / "builder", quiet=1)
    full, half = input_folder(args.images), input_folder(args.images // 2)
    print(f"input: {args.images:,} PNG files of {SIZE}x{SIZE}, "
          f"{mib(sum(p.stat().st_size for p in full.rglob('*.png')))}")
    runs: dict[str, list[dict]] = {"builder": [], "hand": []}
    for _ in range(args.repeat):
        for name in runs:  # alternate, so that both sides see the same machine load
            runs[name].append(measure(name, full, args))
    best = {name: min(r, key=lambda f: f["seconds"]) for name, r in runs.items()}
    for name, figures in best.items():
        print(f"{name:8s} {figures['seconds']:6.2f} s, CPU {figures['cpu_seconds']:.2f} s (runs: "
              f"{', '.join(format(r['seconds'], '.2f') for r in runs[name])})  peak RSS "
              f"{mib(figures['peak_rss'])} ({mib(figures['peak_rss'] - figures['baseline_rss'])} "
              f"above imports); parquet {mib(figures['parquet_bytes'])}; rows {figures['rows']}")
    print(f"builder stages: {best['builder'].get('stage_seconds')}")
    ratio = best["builder"]["seconds"] / best["hand"]["seconds"]
    print(f"time ratio builder/hand: {ratio:.2f} (target <= 1.3) {'ok' if ratio <= 1.3 else 'MISSED'}")
    small = measure("builder", half, args)
    peaks = [min(r["peak_rss"] for r in runs["builder"]), small["peak_rss"]]
    spread = max(peaks) / min(peaks) - 1
    print(f"builder peak RSS: {mib(peaks[0])} for {args.images:,} images, {mib(peaks[1])} for "
          f"{args.images // 2:,}: {spread:.0%} apart (target <= 20%) "
          f"{'ok' if spread <= 0.2 else 'MISSED'}")


if __name__ == "__main__":
    main()
