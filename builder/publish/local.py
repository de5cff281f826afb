"""The build a publish uploads: the files of `data/<recipe>/hub/`, checked against the shard
checksums in `metrics.json`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from builder import artifacts
from builder.errors import FlywheelError

PLACEHOLDER_REPO = "<namespace>/<name>"


@dataclass
class LocalBuild:
    """The files of `data/<recipe>/hub/` and the figures that name them."""

    recipe: str
    folder: Path
    files: dict[str, Path]
    sha256: dict[str, str]
    card: str
    content_hash: str
    card_repo_id: str | None

    @classmethod
    def read(cls, data_dir: Path, recipe: str, card_repo_id: str | None) -> LocalBuild:
        """Read and check a build: every shard must match the checksums in `metrics.json`."""
        folder = data_dir / "hub"
        metrics = artifacts.read_json(data_dir / "metrics.json")
        if not (folder / "README.md").is_file() or "export" not in metrics:
            raise FlywheelError(
                f"{folder}: no finished build to publish; run `builder build {recipe}` or "
                "`dvc repro` first.")
        files = {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()}
        shards = metrics["export"]["shards"]
        sha256 = {path: artifacts.sha256_file(p) for path, p in files.items() if path != "README.md"}
        if sha256 != shards:
            raise FlywheelError(
                f"{folder}: the files differ from the shard checksums in {data_dir / 'metrics.json'} "
                f"(a build was interrupted or a file was edited); rebuild with `builder build {recipe}`.")
        return cls(recipe=recipe, folder=folder, files=files, sha256=sha256,
                   card=(folder / "README.md").read_text(), content_hash=metrics["export"]["content_hash"],
                   card_repo_id=card_repo_id)

    def card_for(self, repo_id: str) -> str:
        """The card, with the load snippet naming the repository it is published to."""
        old = self.card_repo_id or PLACEHOLDER_REPO
        return self.card.replace(f'load_dataset("{old}")', f'load_dataset("{repo_id}")')
