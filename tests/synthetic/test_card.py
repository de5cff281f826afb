"""The card's synthetic-data section: models and how they were fitted."""

from __future__ import annotations

from builder.synthetic.card import section_synthetic

GENERATOR = {"type": "gaussian_copula", "default_distribution": "norm"}


def test_models_name_what_fitted_them_and_why_sdv_did() -> None:
    metrics = {"augment": {"mode": "augment", "synthetic": {
        "generator": GENERATOR, "sampling": "per_class",
        "models": {"bad": {"rows": 266, "canary_rows": 0, "engine": "direct copula"},
                   "good": {"rows": 7734, "canary_rows": 3,
                            "engine": "SDV GaussianCopulaSynthesizer"}},
        "copula_fallback": "column 'email' has sdtype 'email'"}}}
    text = section_synthetic(None, metrics)
    assert "Generator: `gaussian_copula` (default_distribution norm); mode `augment`" in text
    assert ("| model | fitted on rows | canary rows | fitted by |\n|---|---|---|---|\n"
            "| bad | 266 | 0 | direct copula |\n"
            "| good | 7734 | 3 | SDV GaussianCopulaSynthesizer |") in text
    assert "`direct copula`: the model inside SDV's Gaussian copula synthesizer" in text
    assert ("fitted by SDV's synthesizer rather than directly, because column 'email' has "
            "sdtype 'email'.") in text
    assert "optimiser steps" not in text


def test_neural_models_show_their_epochs() -> None:
    metrics = {"augment": {"mode": "augment", "synthetic": {
        "generator": {"type": "ctgan", "epochs": 5}, "sampling": "per_class",
        "models": {"Yes": {"rows": 266, "canary_rows": 0, "engine": "SDV CTGANSynthesizer",
                           "epochs": 80}}}}}
    text = section_synthetic(None, metrics)
    assert "| Yes | 266 | 0 | SDV CTGANSynthesizer | 80 |" in text
    assert ("A model fitted on one class trains for as many optimiser steps as the configured "
            "epochs give a model of the whole train split.") in text
