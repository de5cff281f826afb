"""Text encodings of source files: `encoding: auto` and the error for undecodable bytes."""

from __future__ import annotations

import codecs
from pathlib import Path

from builder.errors import DataError

BOMS = ((codecs.BOM_UTF8, "utf8"), (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"))


def detect_encoding(head: bytes, path: Path) -> str:
    """The encoding of a file whose first bytes are `head`: UTF-8 (with or without a BOM),
    UTF-16 with a BOM, or what charset-normalizer finds most likely."""
    for bom, name in BOMS:
        if head.startswith(bom):
            return name
    try:
        head.decode("utf-8")
        return "utf8"
    except UnicodeDecodeError as error:
        if error.start >= len(head) - 3 and error.reason == "unexpected end of data":
            return "utf8"  # a character cut at the end of the sample
    encoding = likely_encoding(head)
    if encoding is None:
        raise DataError(undecodable(path, "utf-8", True))
    return encoding


#: Among encodings that read a sample equally well, the one most files are in.
PREFERRED = "cp1252"


def likely_encoding(data: bytes) -> str | None:
    """charset-normalizer's most likely encoding of `data`; cp1252 (a superset of printable
    Latin-1) when it reads the sample about as well (within 0.05 of chaos and coherence),
    since a short sample of Western text fits many code pages (French: Baltic cp1257)."""
    from charset_normalizer import from_bytes

    results = from_bytes(data)
    best = results.best()
    if best is None:
        return None
    for match in results:
        if (match.encoding == PREFERRED and match.chaos <= best.chaos + 0.05
                and match.coherence >= best.coherence - 0.05):
            return PREFERRED
    return codecs.lookup(best.encoding).name


def first_bad_byte(path: Path, encoding: str) -> tuple[int, int, str] | None:
    """(byte offset, line, reason) of the first bytes of `path` (decompressed by its
    extension) that are not valid `encoding`, or None when all of it decodes."""
    import pyarrow as pa

    name = "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding
    decoder = codecs.getincrementaldecoder(name)()
    offset, lines = 0, 0
    with pa.input_stream(str(path), compression="detect") as stream:
        while chunk := stream.read(1 << 20):
            pending = len(decoder.getstate()[0])  # bytes of a character the last chunk cut
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as error:
                at = max(0, error.start - pending)
                return (offset + at, lines + chunk[:at].count(b"\n") + 1, error.reason)
            offset += len(chunk)
            lines += chunk.count(b"\n")
    return None


def undecodable(path: Path, encoding: str, auto: bool) -> str:
    """The message for a file that does not decode as `encoding`, naming where."""
    found = first_bad_byte(path, encoding)
    where = f"line {found[1]}, byte offset {found[0]}: " if found else ""
    reason = f" ({found[2]})" if found else ""
    how = "detected from its first MiB (`encoding: auto`)" if auto else "set by `encoding:`"
    return (f"{path}: {where}is not valid {encoding} text{reason}; the encoding was {how}. "
            f"Expected the file's encoding in the source's `encoding:` (utf-8, latin-1, "
            "cp1252, ...).")
