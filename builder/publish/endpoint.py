"""Where the Hub is: `HF_ENDPOINT` as set now. Its own module so that a source reading from the
Hub needs nothing else of publishing."""

from __future__ import annotations

import os


def hub_endpoint() -> str:
    """`HF_ENDPOINT` as set now (the client library reads it only once, at import)."""
    from huggingface_hub import constants

    return (os.environ.get("HF_ENDPOINT") or constants.ENDPOINT).rstrip("/")
