"""Image statistics for labeling functions over images: `python` functions get each batch's
encoded images and may call `image_stats(batch["image"])` for per-image figures to vote on.

```python
from builder.images.stats import image_stats

def dark(batch):
    return image_stats(batch["image"])["brightness"] < 60   # with `label: night`
```
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

#: The figures `image_stats` gives per image.
STATS = ("brightness", "contrast", "saturation", "aspect")


def image_stats(images: pd.Series) -> pd.DataFrame:
    """Per encoded image: mean brightness and its standard deviation (contrast) of the grey
    image (0-255), mean saturation (0-255, 0 for grey images) and width / height; NaN for a
    missing image. Indexed like `images`."""
    import io

    import numpy as np
    import pandas as pd
    from PIL import Image

    rows = []
    for data in images.to_numpy(dtype=object):
        if not isinstance(data, bytes | bytearray):
            rows.append((np.nan,) * len(STATS))
            continue
        with Image.open(io.BytesIO(data)) as image:
            grey = np.asarray(image.convert("L"), dtype=np.float64)
            hsv = np.asarray(image.convert("RGB").convert("HSV"), dtype=np.float64)
            rows.append((grey.mean(), grey.std(), hsv[..., 1].mean(), image.width / image.height))
    return pd.DataFrame(rows, columns=list(STATS), index=images.index)
