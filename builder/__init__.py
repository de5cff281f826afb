"""Flywheel: a declarative dataset builder (recipes -> Hugging Face datasets)."""

__version__ = "0.1.0"
