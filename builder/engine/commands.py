"""`builder cache status|clear RECIPE`: the partition cache of a recipe (`builder.cache`).
Imports nothing heavy at module level."""

from __future__ import annotations

import argparse


def _cache_of(args: argparse.Namespace):
    from pathlib import Path

    from builder.cache import PartitionCache, cache_folder
    from builder.recipe.compose import load

    root = Path(args.root).resolve()  # the command line's --root (not imported: a kernel module)
    recipe = load(args.recipe, root, args.overrides).recipe
    config = recipe.engine_config.cache
    folder = cache_folder(root / "data" / recipe.name, root, config.path)
    return PartitionCache(folder, config.max_bytes), config


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


def cmd_status(args: argparse.Namespace) -> int:
    """The cache's folder, entries and size on disk per kind of work, and its cap."""
    import time

    cache, config = _cache_of(args)
    kinds: dict[str, list[int]] = {}
    entries = cache.entries(kinds)
    total = sum(size for _, size, _ in entries)
    state = "off (max_size 0)" if config.max_bytes <= 0 else f"max_size {_size(config.max_bytes)}"
    print(f"partition cache: {cache.folder} ({state})")
    print(f"  {len(entries)} entries, {_size(total)} on disk")
    for kind, (count, size) in sorted(kinds.items()):
        print(f"  {kind}: {count} entries, {_size(size)}")
    if entries:
        oldest = time.localtime(min(used for used, _, _ in entries))
        print(f"  least recently used entry: {time.strftime('%Y-%m-%d %H:%M:%S', oldest)}")
    return 0


def cmd_clear(args: argparse.Namespace) -> int:
    """Remove every entry of the cache."""
    cache, _ = _cache_of(args)
    freed = cache.clear()
    print(f"partition cache: {cache.folder} cleared ({_size(freed)} freed)")
    return 0


def add_commands(sub) -> None:
    """`cache status` and `cache clear`."""
    cache = sub.add_parser(
        "cache", help="inspect or clear a recipe's partition cache",
        description="The partition cache keeps the row-wise work of each stage per partition "
        "(engine.cache: path, max_size), so rebuilds redo only what changed.")
    actions = cache.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name, handler, text in (("status", cmd_status, "entries and size on disk"),
                                ("clear", cmd_clear, "remove every entry")):
        p = actions.add_parser(name, help=text, description=text)
        p.add_argument("recipe", help="recipe name (recipes/NAME.yaml) or path to a YAML file")
        p.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. engine.cache.path=...")
        p.set_defaults(handler=handler)
