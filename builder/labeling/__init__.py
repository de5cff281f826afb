"""Labeling: where each row's label comes from."""
