"""`type: hf`: a Hugging Face dataset on disk (`save_to_disk`, or a parquet/CSV folder)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from builder.recipe.registry import SOURCES
from builder.recipe.schema import CheckContext, Problems, SourceConfig
from builder.sources.base import Source, concat_tables


@dataclass(kw_only=True)
class HfConfig(SourceConfig):
    """A dataset folder; `splits` picks some of its splits (all by default)."""

    path: str
    splits: list[str] | None = None
    class_names: bool = True

    def folder(self, root: Path) -> Path:
        return Path(self.path) if Path(self.path).is_absolute() else root / self.path

    def input_files(self, root: Path) -> list[Path]:
        return sorted(p for p in self.folder(root).rglob("*") if p.is_file())

    def check(self, ctx: CheckContext) -> Problems:
        yield from super().check(ctx)
        if not self.folder(ctx.root).is_dir():
            yield "path", (
                f"found '{self.path}', which is not a folder; expected a `save_to_disk` folder "
                "or a folder of parquet/CSV files that `datasets.load_dataset` reads."
            )


def _reason(error: BaseException) -> str:
    """The error and its cause on one line (`datasets` wraps the useful part as the cause)."""
    parts = [" ".join(str(e).split()).rstrip(".") for e in (error, error.__cause__) if e]
    return ": ".join(p for p in parts if p) + "."


def is_saved_to_disk(folder: Path) -> bool:
    """True for a folder written by `Dataset(Dict).save_to_disk`."""
    return (folder / "dataset_dict.json").is_file() or (folder / "state.json").is_file()


@SOURCES.register("hf")
class HfSource(Source):
    """Reads every (or the chosen) split of a local Hugging Face dataset into one table."""

    Config = HfConfig

    def read(self):
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
        splits = loaded if isinstance(loaded, datasets.DatasetDict) else {"train": loaded}
        wanted = self.config.splits or list(splits)
        missing = [s for s in wanted if s not in splits]
        if missing:
            raise self.error(f"has no split {missing}; it has {sorted(splits)}.")
        tables = [self._table(splits[name]) for name in wanted]
        return concat_tables(tables, self.error)

    def _table(self, dataset):
        import datasets
        import pyarrow as pa
        import pyarrow.compute as pc

        table = dataset.with_format("arrow")[:]
        if not self.config.class_names:
            return table
        for name, feature in dataset.features.items():
            if isinstance(feature, datasets.ClassLabel):
                codes = table[name]
                valid = pc.greater_equal(codes, 0)
                names = pc.take(pa.array(feature.names), pc.if_else(valid, codes, None))
                table = table.set_column(table.schema.get_field_index(name), name, names)
        return table
