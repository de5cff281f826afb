"""Balancing the train split to a target class distribution."""
