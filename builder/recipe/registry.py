"""Registries that map a recipe's `type:` names to step classes.

Each step kind (sources, transforms, ...) has one registry. Step modules register themselves on
import; a registry imports its package the first time it is asked, so nothing is imported before
it is needed.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, TypeVar

from builder.errors import did_you_mean, one_of

T = TypeVar("T")


class UnknownType(KeyError):
    """Raised by `Registry.get` for a name nobody registered; `str()` is the user message."""

    def __str__(self) -> str:
        return self.args[0]


class Registry:
    """A name -> step class table for one step kind, e.g. `source` or `transform`."""

    def __init__(self, kind: str, package: str):
        self.kind = kind
        self.package = package
        self._classes: dict[str, type] = {}
        self._loaded = False

    def register(self, name: str) -> Callable[[type[T]], type[T]]:
        """Class decorator: make the class available as `type: name`."""

        def decorate(cls: type[T]) -> type[T]:
            if name in self._classes and self._classes[name] is not cls:
                raise ValueError(f"{self.kind} type '{name}' is registered twice")
            self._classes[name] = cls
            cls.type_name = name  # type: ignore[attr-defined]
            return cls

        return decorate

    def _load(self) -> None:
        if not self._loaded:
            importlib.import_module(self.package)
            self._loaded = True

    def names(self) -> list[str]:
        """All registered type names, sorted."""
        self._load()
        return sorted(self._classes)

    def get(self, name: Any) -> type:
        """The class registered as `name`; `UnknownType` with a did-you-mean otherwise."""
        self._load()
        if name not in self._classes:
            raise UnknownType(
                f"unknown {self.kind} type '{name}'; expected {one_of(self._classes)}."
                + did_you_mean(name, self._classes)
            )
        return self._classes[name]


SOURCES = Registry("source", "builder.sources")
TRANSFORMS = Registry("transform", "builder.transforms")
