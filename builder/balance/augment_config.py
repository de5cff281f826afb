"""The `balance.augment` section (`builder.images.augment` applies it); imports nothing, so
that the recipe schema can hold it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(kw_only=True)
class AugmentConfig:
    """`flip` (horizontal, half the copies), `crop` (least share of the area a random resized
    crop keeps; 1: none), `rotate` (most degrees either way), `color_jitter` (brightness,
    contrast and saturation strength; 0: none), `near_copy_bits` (see the module)."""

    flip: bool = True
    crop: float = 1.0
    rotate: float = 0.0
    color_jitter: float = 0.0
    near_copy_bits: int = 6

    def problems(self) -> list[tuple[str, str]]:
        found = []
        if not 0 < self.crop <= 1:
            found.append(("crop", f"found {self.crop}, expected a share of the area in (0, 1]."))
        if not 0 <= self.rotate <= 180:
            found.append(("rotate", f"found {self.rotate}, expected degrees from 0 to 180."))
        if not 0 <= self.color_jitter <= 1:
            found.append(("color_jitter", f"found {self.color_jitter}, expected 0 to 1."))
        if not 0 <= self.near_copy_bits <= 16:
            found.append(("near_copy_bits", f"found {self.near_copy_bits}, expected 0 to 16."))
        return found
