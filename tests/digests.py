"""sha256 of the files a build wrote, for tests that compare two builds' outputs byte for byte."""

from __future__ import annotations

import hashlib
from pathlib import Path

# Kept across builds on purpose, so never part of what a build outputs.
NOT_OUTPUTS = ("engine.yaml", ".hashes.json")


def output_digests(data: Path, ignore: tuple[str, ...] = NOT_OUTPUTS) -> dict[str, str]:
    """sha256 of every file under the recipe's folder `data`, by relative path, leaving out the
    partition cache (`.cache/`) and the files named in `ignore`."""
    return {str(p.relative_to(data)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(data.rglob("*")) if p.is_file()
            and ".cache" not in p.relative_to(data).parts and p.name not in ignore}
