"""SDV generator options, and the training budget of a per-class neural model."""

from __future__ import annotations

from builder.synthetic.config import GENERATORS


def generator(kind: str, **options):
    return GENERATORS.get(kind)(GENERATORS.get(kind).Config(type=kind, **options))


def test_a_class_model_trains_the_steps_of_a_whole_table_model() -> None:
    ctgan = generator("ctgan", epochs=5, batch_size=500)
    assert ctgan.steps_per_epoch(8000) == 16 and ctgan.steps_per_epoch(266) == 1
    assert ctgan.epochs_for(266, 8000) == 80  # 5 epochs x 16 steps of the whole table
    assert ctgan.epochs_for(1200, 8000) == 40  # 2 steps an epoch
    assert ctgan.epochs_for(8000, 8000) == 5 and ctgan.epochs_for(266, None) == 5
    tvae = generator("tvae", epochs=5, batch_size=500)  # TVAE keeps the last partial batch
    assert tvae.steps_per_epoch(8000) == 16 and tvae.steps_per_epoch(1200) == 3
    assert tvae.epochs_for(1200, 8000) == 27
    assert generator("copulagan", epochs=3, batch_size=100).epochs_for(150, 1000) == 30


def test_options_are_the_config_with_the_class_epochs() -> None:
    assert generator("ctgan", epochs=5, batch_size=500).options(266, 8000) == {
        "enforce_min_max_values": True, "enforce_rounding": True, "epochs": 80,
        "batch_size": 500, "pac": 10, "enable_gpu": False}
    assert generator("gaussian_copula").options(266, 8000) == {
        "enforce_min_max_values": True, "enforce_rounding": True, "default_distribution": "norm"}
