"""The `publish` section of a recipe."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(kw_only=True)
class PublishConfig:
    """Where and how the dataset is published on the Hugging Face Hub."""

    repo_id: str | None = None
    private: bool = True
    license: str = "other"
    pretty_name: str | None = None
    description: str = ""
    tags: list[str] = field(default_factory=list)
    language: list[str] = field(default_factory=list)
