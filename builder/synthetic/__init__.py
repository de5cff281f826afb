"""Synthetic rows from SDV generators."""
