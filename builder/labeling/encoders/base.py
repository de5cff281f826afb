"""What every text encoder of the pseudo-labeler shares: its registry, its config and its API.

An encoder turns an array of texts into a feature matrix, one row per text: `fit_transform` on
the texts the fold models are fitted on, `transform` on any texts later (a partition at a time).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from builder.recipe.registry import Registry

if TYPE_CHECKING:
    import numpy as np

    from builder.recipe.schema import CheckContext

Problems = Iterator[tuple[str, str]]

#: Encoders by `type:` (`labeling.pseudo.encoder`, or its string shorthand).
ENCODERS = Registry("pseudo-label encoder", "builder.labeling.encoders")

#: Where messages point: the recipe key of the encoder.
KEY = "labeling.pseudo.encoder"

Track = Callable[[Iterable[Any], str], Iterator[Any]]


@dataclass(kw_only=True)
class EncoderConfig:
    """Keys every encoder has: its `type`."""

    registry: ClassVar[Registry] = ENCODERS
    type: str

    def check(self, ctx: CheckContext) -> Problems:
        return iter(())

    def input_files(self, root: Path) -> list[Path]:
        """Files whose content decides the features (fingerprinted by the compose stage)."""
        return []


def encoder_config(value: str | EncoderConfig) -> EncoderConfig:
    """The config of `encoder: name` (every key at its default), or the mapping's config."""
    if isinstance(value, str):
        return ENCODERS.get(value).Config(type=value)
    return value


class Encoder:
    """One text encoder. Subclasses set `Config` and implement `fit_transform` and `transform`.

    `root` resolves relative paths, `file` names the recipe in messages, `track` shows progress
    (`Context.track`, or None), `max_features` is `labeling.pseudo.max_features`.
    """

    Config: ClassVar[type[EncoderConfig]] = EncoderConfig
    type_name: ClassVar[str]
    #: True for bag-of-words features, whose columns are words: the pseudo-labeler then trains
    #: its rule-free models on the columns that occur in rows without a weak label.
    sparse: ClassVar[bool] = False
    #: True when `fit_transform` learns from the texts (a vocabulary): the fitted models then
    #: depend on every text they were fitted on, not only on their training rows.
    learns: ClassVar[bool] = False

    def __init__(self, config: EncoderConfig, *, root: Path, file: str = "recipe",
                 track: Track | None = None, max_features: int = 100_000):
        self.config, self.root, self.file = config, root, file
        self.track, self.max_features = track, max_features

    def fit_transform(self, texts: np.ndarray) -> Any:
        """Features of `texts` (strings), fitting whatever the encoder learns from texts."""
        raise NotImplementedError

    def transform(self, texts: np.ndarray) -> Any:
        """Features of `texts` with what `fit_transform` learned."""
        raise NotImplementedError

    def learned(self) -> Any:
        """What `fit_transform` learned (picklable, no paths), for the fitted models' cache
        entry; None for encoders that learn nothing."""
        return None

    def load_learned(self, learned: Any) -> None:
        """Take what `learned` returned (from a cache entry) as if fitted."""

    def identity(self) -> str:
        """What decides the features before any fitting: the encoder's type and settings (and
        its model's files, for encoders that load one). Part of the fitted models' cache key."""
        import dataclasses

        from builder.cache import key

        return key(self.type_name, dataclasses.asdict(self.config), self.max_features)

    def fingerprint(self) -> str:
        """What decides the features `transform` gives once fitted: two encoders with the same
        fingerprint give the same features (part of the fold models' fingerprint, which keys
        their cached predictions). Encoders that learn from texts add what they learned."""
        return self.identity()

    def __getstate__(self) -> dict[str, Any]:
        # What a task on another process gets: no progress display.
        return {**self.__dict__, "track": None}


def make_encoder(value: str | EncoderConfig, **kwargs: Any) -> Encoder:
    """The encoder a recipe's `labeling.pseudo.encoder` names."""
    config = encoder_config(value)
    return ENCODERS.get(config.type)(config, **kwargs)
