"""The card's Images section: the sample picture, bad and skipped files the sources dropped,
near copies `dedup_images` dropped, and image modes and sizes per split."""

from __future__ import annotations

from typing import Any


def section_images(composed: Any, metrics: dict) -> str:
    """Markdown for an image task's build ("" for other tasks)."""
    figures = metrics.get("export", {}).get("images")
    if not figures:
        return ""
    lines = ["## Images", ""]
    if figures.get("samples"):
        lines += [f"Sample images per class (the first of each class in the "
                  f"`{figures['samples_split']}` split):", "",
                  f"![sample images per class]({figures['samples']})", ""]
    lines += _checks(composed, metrics)
    rows = []
    for split, entry in figures.get("splits", {}).items():
        modes = ", ".join(f"{m} {n:,}" for m, n in entry.get("modes", {}).items())
        sizes = ", ".join(f"{s} {n:,}" for s, n in entry.get("sizes", {}).items())
        more = entry.get("distinct_sizes", 0) - len(entry.get("sizes", {}))
        rows.append(f"| {split} | {entry['rows']:,} | {modes} | {sizes}"
                    f"{f' (+{more} more sizes)' if more > 0 else ''} |")
    if rows:
        lines += ["| split | images | modes | sizes (width x height) |", "|---|---|---|---|",
                  *rows]
    return "\n".join(lines)


def _checks(composed: Any, metrics: dict) -> list[str]:
    """What the checks dropped: bad images and skipped files per source, near copies."""
    ingest = metrics.get("ingest", {})
    lines = []
    for name, source in ingest.get("sources", {}).items():
        if "bad_images" not in source:
            continue
        text = (f"- Source `{name}`: {source['bad_images']:,} bad image(s) dropped "
                "(unreadable, truncated, empty or over `max_pixels`)")
        listed = source.get("bad_image_paths") or []
        if listed:
            text += ": " + "; ".join(f"`{b['path']}` ({b['problem']})" for b in listed[:10])
            if source["bad_images"] > 10:
                text += f"; and {source['bad_images'] - 10:,} more (see metrics.json)"
        lines.append(text + ".")
        if source.get("skipped_files"):
            paths = source.get("skipped_file_paths") or []
            lines.append(f"- Source `{name}`: {source['skipped_files']:,} file(s) skipped, not "
                         "images by their ending" + (": " + ", ".join(f"`{p}`" for p in paths[:10])
                                                     if paths else "") + ".")
    transforms = composed.recipe.transforms
    if not any(step.get("type") == "dedup_images" for step in ingest.get("steps", [])):
        lines.append("- No `dedup_images` transform: copies or near copies of an image may be "
                     "in more than one split.")
    for step in ingest.get("steps", []):
        if step.get("type") == "dedup_images":
            dropped = step["rows_in"] - step["rows_out"]
            threshold = getattr(transforms.get(step["name"]), "threshold", None)
            lines.append(f"- `{step['name']}` (dedup_images): {dropped:,} exact or near copies "
                         f"dropped (perceptual hashes at most {threshold} bits apart), before "
                         "the split: no copy of an evaluation image is in train.")
    return [*lines, ""] if lines else []
