"""Transform types; importing this package registers them all."""

from builder.transforms import (  # noqa: F401
    cast,
    convert,
    dedup,
    dedup_images,
    drop,
    drop_missing,
    filter,
    normalize_text,
    rename,
    resize,
    select,
)
