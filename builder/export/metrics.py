"""The export stage's own metrics: rows, classes, origins and label sources per split, the
shards' checksums and content hash, and the versions of the libraries that wrote them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from builder.export.hashes import content_hash

if TYPE_CHECKING:
    from builder.context import Context


def export_metrics(results: dict[str, dict], ctx: Context,
                   checksums: dict[str, str]) -> dict[str, Any]:
    """Rows and classes per split (from the published label codes), shard checksums."""
    classes = ctx.recipe.task.classes
    return {
        "rows_per_split": {s: int(r["rows"]) for s, r in results.items()},
        "classes_per_split": {s: {c: int(n) for c, n in zip(classes, r["classes"])}
                              for s, r in results.items()},
        "origins_per_split": _per_split(results, "origins"),
        "label_sources_per_split": _per_split(results, "label_sources"),
        "shards": checksums,
        "content_hash": content_hash(checksums),
        "versions": library_versions(),
    }


def _per_split(results: dict[str, dict], key: str) -> dict[str, dict[str, int]]:
    """{split: {value: rows}} sorted by value ({} when the column is not published)."""
    if any(r[key] is None for r in results.values()):
        return {}
    return {s: dict(sorted(r[key].items())) for s, r in results.items()}


def library_versions() -> dict[str, str]:
    """Versions of the libraries whose output bytes depend on them (part of reproducing)."""
    from importlib.metadata import version

    return {name: version(name) for name in ("datasets", "pyarrow")}
