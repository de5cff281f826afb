"""What the augment stage asks the generator for, and how it names and counts what it got.

Requests are balance gaps (classes whose strategy is `synthetic`), `synthetic.rows` in the
train split's class mix, scenarios, or (release mode) every class of every split. A request for
more than `CHUNK_ROWS` rows is cut: the driver samples the first chunk, the rest are sampled as
tasks with seeds derived from the chunk number (`sample_chunk`).
"""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from builder.synthetic.synthesize import Request

if TYPE_CHECKING:
    from builder.synthetic.config import SyntheticConfig
    from builder.synthetic.synthesize import Synthesizer

TRAIN = "train"
#: A synthetic request for more rows than this is sampled in chunks of this many, as tasks.
CHUNK_ROWS = 100_000
#: (request, chunk number, number of its first row)
Chunk = tuple[Request, int, int]


def train_requests(config: SyntheticConfig, label: str, gaps: dict[str, int],
                   rows: dict[str, int]) -> list[Request]:
    """Requests for train rows: the balance `gaps` per class, `synthetic.rows` as `rows` per
    class, then the scenarios."""
    requests = [Request("balance", name, name, n) for name, n in gaps.items() if n > 0]
    requests += [Request("rows", name, name, n) for name, n in rows.items() if n > 0]
    for name, scenario in config.scenarios.items():
        klass = scenario.conditions.get(label)
        requests.append(Request("scenario", name, None if klass is None else str(klass),
                                scenario.rows, conditions=dict(scenario.conditions)))
    return requests


def release_requests(splits: list[str], counts: dict[str, dict[str, int]],
                     trainable: set[str]) -> tuple[list[Request], list[str]]:
    """Requests for a fully synthetic copy of every split (`counts`: rows per split and class),
    and warnings for the classes no train row lets a model make."""
    requests, warnings = [], []
    for split in splits:
        for name, rows in counts[split].items():
            if rows > 0 and name not in trainable:
                warnings.append(f"class '{name}' has no train row, so the release copy of "
                                f"split '{split}' lacks its {rows} rows")
            elif rows > 0:
                requests.append(Request("release", name, name, rows, split=split))
    return requests, warnings


def chunked(requests: list[Request]) -> tuple[list[Request], list[Chunk]]:
    """Requests of at most `CHUNK_ROWS` rows for the driver, and the rest of larger requests as
    chunks, sampled as tasks with seeds derived from the chunk number."""
    kept, chunks = [], []
    for request in requests:
        if request.rows <= CHUNK_ROWS or request.conditions:
            kept.append(request)
            continue
        kept.append(replace(request, rows=CHUNK_ROWS))
        for chunk, first in enumerate(range(CHUNK_ROWS, request.rows, CHUNK_ROWS), start=1):
            rows = min(CHUNK_ROWS, request.rows - first)
            chunks.append((replace(request, rows=rows), chunk, first + 1))
    return kept, chunks


def sample_chunk(synthesizer: Synthesizer, chunk: Chunk, seed: int,
                 label: str) -> tuple[pd.DataFrame, list[str]]:
    """The rows of one chunk and their ids; a `DataError` if a privacy canary shows in them."""
    from builder.errors import DataError
    from builder.synthetic import privacy

    request, _, first = chunk
    rows = synthesizer.sample(request, seed)
    hits = privacy.canary_hits(rows, synthesizer.markers)
    if hits:
        raise DataError(f"synthetic: privacy canary failed in a chunk of '{request.name}': "
                        f"marker values of {', '.join(hits)} appear in generated rows.")
    head = request.split if request.purpose == "release" else request.purpose
    ids = [f"synthetic/{head}/{request.name}/{n:06d}" for n in range(first, first + len(rows))]
    return rows, ids


def chunk_seed_names(chunk: Chunk) -> tuple[str, ...]:
    """The step names a chunk's sampling seed derives from."""
    request, number, _ = chunk
    return ("sample", request.purpose, request.name, request.split, f"chunk{number}")


def request_ids(tags: pd.DataFrame) -> list[str]:
    """`synthetic/<purpose>/<name>/<n>` (release: `synthetic/<split>/<class>/<n>`) per row."""
    if tags.empty:
        return []
    head = np.where(tags["purpose"] == "release", tags["split"], tags["purpose"])
    prefix = pd.Series(head, index=tags.index).astype(str) + "/" + tags["name"].astype(str)
    number = prefix.groupby(prefix, sort=False).cumcount() + 1
    return ("synthetic/" + prefix + "/" + number.astype(str).str.zfill(6)).tolist()


def request_counts(tags: pd.DataFrame, chunks: list[Chunk] = ()) -> dict[str, dict[str, int]]:
    """Rows made per purpose and name (class or scenario), the chunks' rows included."""
    counts: dict[str, dict[str, int]] = {}
    for (purpose, name), n in tags.groupby(["purpose", "name"], sort=False).size().items():
        counts.setdefault(purpose, {})[name] = int(n)
    for request, _, _ in chunks:
        counts[request.purpose][request.name] += request.rows
    return counts


def method_name(config: SyntheticConfig) -> str:
    """How the card names the generator's work: `gaussian_copula (one model per class)`."""
    how = ("one model per class" if config.sampling == "per_class"
           else "one model, sample_from_conditions")
    return f"{config.generator_config.type} ({how})"


def synthetic_metrics(config: SyntheticConfig, made: dict[str, Any],
                      dropped: list[str]) -> dict[str, Any]:
    """The `synthetic` section of the augment metrics: the generator, its sampling and
    constraints, what it made (`made`), the PII columns release mode dropped."""
    section = {
        "generator": asdict(config.generator_config),
        "sampling": config.sampling,
        "constraints": {n: {"type": c.type, "columns": c.column_names()}
                        for n, c in config.constraints.items()},
        **made,
    }
    if dropped:
        section["dropped_columns"] = dropped
    return section
