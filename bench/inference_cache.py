"""Benchmark: the pseudo-labeler's models and predictions through the partition cache
(issue 19, item 1).

A synthetic text log (`--rows` records, each two Rotten Tomatoes snippets of the reviews
example joined, 30% with a gold label, the first snippet's class) through a text recipe with
pseudo-labels (`--encoder sentence_transformers`: the reviews example's all-MiniLM-L6-v2
embeddings, or `tfidf`) and `label_errors`. After the first build, two edits, each rebuilt
twice from the same state in a fresh subprocess:

- (a) `--append` of the rows appended without a label (new log records);
- (b) then `labeling.pseudo.target_precision` 0.8 -> 0.9 (the acceptance threshold);

once with the partition cache as the builds before left it (`cache`), once with the same cache
without its `label: model inference` and `label: fitted fold models` entries (`no inference
cache`: votes, pieces, embeddings still cached). Both write the same bytes (checked).

With embeddings, the fold models learn nothing from rows without a label: after (a) they are
fitted again (their sample holds the new rows) and come out the same, so only the changed
partitions are predicted; after (b) nothing is fitted nor predicted. TF-IDF learns its
vocabulary from every text of the sample, so (a) changes the models and every partition is
predicted in both runs.

The embeddings live in one folder kept across runs (`--embeddings`, default
`$TMPDIR/flywheel-bench-embeddings`), so only the first run encodes every text; the second
project of each edit gets a copy of it.

    python bench/inference_cache.py [--rows 20000] [--append 0.01] [--encoder tfidf]
"""

from __future__ import annotations

import argparse
import bz2
import csv
import hashlib
import io
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MINILM = REPO / ".cache" / "models" / "all-MiniLM-L6-v2"
INFERENCE_KINDS = ("label: model inference", "label: fitted fold models")

RECIPE = """
defaults: [base, _self_]
name: bench
seed: 1
task: {{type: text-classification, text: text, label: label, classes: [fresh, rotten, plot]}}
sources:
  log: {{type: jsonl, path: "logs/*.jsonl"}}
labeling:
  unlabeled: pseudo
  pseudo: {{type: text, encoder: {encoder}, folds: 5}}
  label_errors: {{action: flag}}
engine: {{type: local, partition_size: 1MiB, cache: {{path: cache}}}}
"""


def snippets() -> list[tuple[str, str]]:
    text = bz2.decompress((REPO / "recipes/data/rotten_tomatoes.csv.bz2").read_bytes()).decode()
    return [(r["text"], r["category"]) for r in csv.DictReader(io.StringIO(text))]


def write_log(path: Path, start: int, rows: int, labeled: float) -> None:
    pool = snippets()
    rng = random.Random(start)
    lines = []
    for i in range(start, start + rows):
        (first, category), (second, _) = rng.choice(pool), rng.choice(pool)
        record = {"id": f"r{i}", "text": f"{first} {second}"}
        if rng.random() < labeled:
            record["label"] = category
        lines.append(json.dumps(record))
    with path.open("a") as fh:
        fh.write("\n".join(lines) + "\n")


def build(root: Path) -> dict:
    """`builder build` in a subprocess: wall time and stage times."""
    code = ("import json, sys, time; from pathlib import Path; from builder.pipeline import "
            "runner; t = time.perf_counter(); ctx = runner.build('bench', Path(sys.argv[1]), "
            "progress=False); print(json.dumps({'wall': time.perf_counter() - t, "
            "'stages': ctx.timings}))")
    done = subprocess.run([sys.executable, "-c", code, str(root)], check=True,
                          capture_output=True, text=True, cwd=REPO)
    return json.loads(done.stdout.strip().splitlines()[-1])


def outputs(root: Path) -> dict[str, str]:
    data = root / "data" / "bench"
    return {str(p.relative_to(data)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(data.rglob("*")) if p.is_file() and ".cache" not in p.parts
            and p.name not in ("engine.yaml", ".hashes.json")}


def drop_inference_entries(cache: Path) -> int:
    """Remove the cache's model inference entries; how many."""
    removed = 0
    for meta in cache.glob("*/*/meta.json"):
        if json.loads(meta.read_text()).get("kind") in INFERENCE_KINDS:
            shutil.rmtree(meta.parent)
            removed += 1
    return removed


def rebuild_both(root: Path, other: Path, title: str) -> None:
    """Rebuild `root` with its cache and `other` (a copy) without its inference entries."""
    removed = drop_inference_entries(other / "cache")
    for name, where in (("cache", root), ("no inference cache", other)):
        result = build(where)
        print(f"{title}, {name}: build {result['wall']:.1f} s, "
              f"label stage {result['stages']['label']:.1f} s")
    print(f"  ({removed} inference entries removed for the second run)")
    assert outputs(root) == outputs(other), "the two rebuilds wrote different bytes"


def copy_project(root: Path, other: Path) -> None:
    """`root` copied to `other`, its embedding folder (a link) copied too."""
    shutil.rmtree(other, ignore_errors=True)
    shutil.copytree(root, other, symlinks=True)
    link = other / ".cache" / "embeddings"
    link.unlink()
    shutil.copytree(root / ".cache" / "embeddings", link)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--append", type=float, default=0.01)
    parser.add_argument("--encoder", choices=["sentence_transformers", "tfidf"],
                        default="sentence_transformers")
    parser.add_argument("--embeddings", type=Path,
                        default=Path(tempfile.gettempdir()) / "flywheel-bench-embeddings")
    args = parser.parse_args()
    encoder = ("tfidf" if args.encoder == "tfidf" else
               f"{{type: sentence_transformers, model: {MINILM}, batch_size: 64}}")
    with tempfile.TemporaryDirectory(prefix="bench-inference-") as tmp:
        root, other = Path(tmp) / "a", Path(tmp) / "b"
        shutil.copytree(REPO / "conf", root / "conf")
        (root / "recipes").mkdir()
        recipe = root / "recipes" / "bench.yaml"
        recipe.write_text(RECIPE.format(encoder=encoder))
        (root / "logs").mkdir()
        (root / ".cache").mkdir()
        args.embeddings.mkdir(parents=True, exist_ok=True)
        (root / ".cache" / "embeddings").symlink_to(args.embeddings.resolve())
        write_log(root / "logs" / "a.jsonl", 0, args.rows, labeled=0.3)
        first = build(root)
        print(f"{args.rows:,} rows, encoder {args.encoder}: first build {first['wall']:.1f} s "
              f"(label {first['stages']['label']:.1f} s)")
        write_log(root / "logs" / "a.jsonl", args.rows, round(args.rows * args.append), 0.0)
        copy_project(root, other)
        rebuild_both(root, other, f"(a) {args.append:.0%} rows appended")
        for project in (root, other):
            edited = project / "recipes" / "bench.yaml"
            edited.write_text(edited.read_text().replace("folds: 5}",
                                                         "folds: 5, target_precision: 0.9}"))
        rebuild_both(root, other, "(b) target_precision edited")
        print("same bytes: yes")


if __name__ == "__main__":
    main()
