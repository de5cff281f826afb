"""`type: hf`: a Hugging Face dataset on disk (`save_to_disk`, or a parquet/CSV folder), or a
dataset repository on the Hub (`repo_id` at `revision`), e.g. another recipe's published build.

A Hub source is read at one commit: the compose stage resolves `revision` to its commit id and
records it in `inputs.yaml`, so `dvc repro` re-runs ingest when the branch moves, and the card
names the commit that was read. Pin `revision` to a commit id to build offline from the cache.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from builder.errors import DataError
from builder.recipe.registry import SOURCES
from builder.recipe.schema import CheckContext, Problems, SourceConfig
from builder.sources.base import Source, concat_tables


@dataclass(kw_only=True)
class HfConfig(SourceConfig):
    """A dataset folder (`path`) or Hub repository (`repo_id`, `revision`); `splits` picks some
    of its splits (all by default)."""

    path: str | None = None
    repo_id: str | None = None
    revision: str = "main"
    splits: list[str] | None = None
    class_names: bool = True

    def folder(self, root: Path) -> Path:
        assert self.path is not None
        return Path(self.path) if Path(self.path).is_absolute() else root / self.path

    def input_files(self, root: Path) -> list[Path]:
        if self.path is None:
            return []
        return sorted(p for p in self.folder(root).rglob("*") if p.is_file())

    def remote_inputs(self) -> dict[str, str]:
        """{`hub:<repo_id>@<revision>`: commit id} for a Hub source (network, unless pinned)."""
        if self.repo_id is None:
            return {}
        return {f"hub:{self.repo_id}@{self.revision}": resolve_commit(self.repo_id, self.revision)}

    def check(self, ctx: CheckContext) -> Problems:
        yield from super().check(ctx)
        from builder.export.config import REPO_ID

        if (self.path is None) == (self.repo_id is None):
            yield "path", ("expected either `path` (a dataset folder) or `repo_id` (a Hub dataset "
                           "repository), not both or neither.")
        elif self.repo_id is not None and not REPO_ID.match(self.repo_id):
            yield "repo_id", f"found '{self.repo_id}', expected a Hub repository id 'namespace/name'."
        elif self.path is not None and not self.folder(ctx.root).is_dir():
            yield "path", (
                f"found '{self.path}', which is not a folder; expected a `save_to_disk` folder "
                "or a folder of parquet/CSV files that `datasets.load_dataset` reads."
            )


def _reason(error: BaseException) -> str:
    """The error and its cause on one line (`datasets` wraps the useful part as the cause)."""
    parts = [" ".join(str(e).split()).rstrip(".") for e in (error, error.__cause__) if e]
    return ": ".join(p for p in parts if p) + "."
COMMIT_ID = re.compile(r"^[0-9a-f]{40}$")


def resolve_commit(repo_id: str, revision: str) -> str:
    """The commit id `revision` of a Hub dataset repository points at now."""
    if COMMIT_ID.match(revision):
        return revision
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError, RevisionNotFoundError

    from builder.publish.endpoint import hub_endpoint

    try:
        return HfApi(endpoint=hub_endpoint()).dataset_info(repo_id, revision=revision).sha
    except RepositoryNotFoundError as error:
        raise DataError(f"hf source: the Hub dataset {repo_id} was not found at {hub_endpoint()} "
                        "(or this token may not read it); check `repo_id` and HF_TOKEN.") from error
    except RevisionNotFoundError as error:
        raise DataError(f"hf source: {repo_id} has no revision '{revision}'; expected a branch, "
                        "tag or commit id.") from error
    except (HfHubHTTPError, OSError) as error:
        raise DataError(f"hf source: cannot resolve {repo_id}@{revision} on the Hub at "
                        f"{hub_endpoint()} ({' '.join(str(error).split())[:300]}); check the "
                        "network, or pin `revision` to a commit id to build from the cache.") from error


def is_saved_to_disk(folder: Path) -> bool:
    """True for a folder written by `Dataset(Dict).save_to_disk`."""
    return (folder / "dataset_dict.json").is_file() or (folder / "state.json").is_file()


@SOURCES.register("hf")
class HfSource(Source):
    """Reads every (or the chosen) split of a local Hugging Face dataset into one table."""

    Config = HfConfig

    def read(self):
        return concat_tables(list(self.read_piece(None, 2**62)), self.error)

    def columns(self) -> list[str] | None:
        """A local dataset's column names from its `dataset_info.json` files (save_to_disk)
        or its parquet schemas; None for a Hub repository or other folders."""
        import json

        if self.config.repo_id is not None:
            return None
        folder = self.config.folder(self.root)
        infos = [*sorted(folder.glob("dataset_info.json")),
                 *sorted(folder.glob("*/dataset_info.json"))]
        if self.config.splits and (folder / "dataset_dict.json").is_file():
            infos = [folder / s / "dataset_info.json" for s in self.config.splits]
        names: dict[str, None] = {}
        if is_saved_to_disk(folder):
            for info in infos:
                try:
                    features = json.loads(info.read_text()).get("features") or {}
                except (OSError, ValueError):
                    return None
                names.update(dict.fromkeys(features))
            return list(names) if infos else None
        files = sorted(folder.rglob("*.parquet"))
        if not files or any(folder.rglob("*.csv")) or any(folder.rglob("*.json*")):
            return None
        import pyarrow.parquet as pq

        for file in files:
            names.update(dict.fromkeys(pq.read_schema(file).names))
        return list(names)

    def read_piece(self, piece, partition_bytes):
        """Every wanted split, memory-mapped, in slices of about `partition_bytes`."""
        loaded = self.read_hub() if self.config.repo_id is not None else self.read_folder()
        splits = self._splits(loaded)
        for name in self.config.splits or list(splits):
            dataset = splits[name]
            table = dataset.with_format("arrow")[:]
            rows = max(1, int(partition_bytes * table.num_rows / max(table.nbytes, 1)))
            for start in range(0, max(table.num_rows, 1), rows):
                yield self._images(dataset, self._class_names(dataset, table.slice(start, rows)))

    def read_folder(self):
        import datasets

        datasets.disable_progress_bars()  # the build shows its own progress
        folder = self.config.folder(self.root)
        try:
            if is_saved_to_disk(folder):
                loaded = datasets.load_from_disk(str(folder))
            else:
                loaded = datasets.load_dataset(str(folder))
        except (OSError, ValueError, datasets.exceptions.DatasetsError) as error:
            raise self.error(
                f"cannot load {folder}: {_reason(error)} Expected a dataset folder written by "
                "`save_to_disk`, or parquet/CSV files `load_dataset` reads."
            ) from error
        return loaded

    def read_hub(self):
        """Read the Hub repository at the commit its revision points at (see `resolve_commit`)."""
        import datasets
        from huggingface_hub import get_token

        config = self.config
        self.commit = resolve_commit(config.repo_id, config.revision)
        try:
            loaded = datasets.load_dataset(config.repo_id, revision=self.commit, token=get_token())
        except (OSError, ValueError, datasets.exceptions.DatasetsError) as error:
            raise self.error(
                f"cannot load {config.repo_id} at {self.commit}: {_reason(error)[:300]} "
                "Expected a dataset repository that `datasets.load_dataset` reads.") from error
        return loaded

    def _splits(self, loaded):
        import datasets

        splits = loaded if isinstance(loaded, datasets.DatasetDict) else {"train": loaded}
        wanted = self.config.splits or list(splits)
        missing = [s for s in wanted if s not in splits]
        if missing:
            raise self.error(f"has no split {missing}; it has {sorted(splits)}.")
        return splits

    def _images(self, dataset, table):
        """`datasets.Image` columns as encoded bytes, verified like an image source's
        (`builder.sources.images.image_feature_columns`)."""
        import datasets

        from builder.sources.images import image_feature_columns

        for name, feature in dataset.features.items():
            if isinstance(feature, datasets.Image) and name in table.column_names:
                table = image_feature_columns(table, name, self)
        return table

    def _class_names(self, dataset, table):
        """ClassLabel columns as their class names (unless `class_names: false`)."""
        import datasets
        import pyarrow as pa
        import pyarrow.compute as pc

        if not self.config.class_names:
            return table
        for name, feature in dataset.features.items():
            if isinstance(feature, datasets.ClassLabel):
                codes = table[name]
                valid = pc.greater_equal(codes, 0)
                names = pc.take(pa.array(feature.names), pc.if_else(valid, codes, None))
                table = table.set_column(table.schema.get_field_index(name), name, names)
        return table
