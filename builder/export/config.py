"""The `publish` section of a recipe."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from builder.recipe.schema import CheckContext, Problems

#: `namespace/name`, as the Hub spells repository ids.
REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]{0,95}/[A-Za-z0-9][\w.-]{0,95}$")


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
    #: The card's "intended use" paragraph; generated from the task when empty.
    intended_use: str = ""
    #: Limitations the card lists before the ones drawn from the build's figures.
    limitations: list[str] = field(default_factory=list)

    def check(self, ctx: CheckContext) -> Problems:
        if self.repo_id is not None and not REPO_ID.match(self.repo_id):
            yield "repo_id", (f"found '{self.repo_id}', expected a Hub repository id "
                              "'namespace/name' (letters, digits, '-', '_', '.').")
