"""Recipe thresholds fail the build with a message naming the score and the threshold."""

from __future__ import annotations

import pytest

from builder.synthetic.gates import GateError, enforce, evaluate

QUALITY = {"score": 0.71, "column_shapes": 0.66, "column_pair_trends": 0.76}
PRIVACY = {"exact_copies": 0.02, "exact_copy_rows": 12, "dcr_ratio": 0.4, "dcr_median": 0.02,
           "holdout_dcr_median": 0.05}
EFFICACY = {"balanced_accuracy_ratio": 0.8, "split": "test", "raw": {"balanced_accuracy": 0.8},
            "built": {"balanced_accuracy": 0.64}}


def test_records_say_what_passed() -> None:
    records = evaluate({"min_quality": 0.7, "max_exact_copies": 0.01, "min_dcr_ratio": 0.5},
                       QUALITY, PRIVACY)
    assert [(r["gate"], r["value"], r["passed"]) for r in records] == [
        ("min_quality", 0.71, True), ("max_exact_copies", 0.02, False),
        ("min_dcr_ratio", 0.4, False)]


def test_failures_name_the_score_and_the_threshold() -> None:
    gates = {"min_quality": 0.8, "max_exact_copies": 0.01, "min_dcr_ratio": 0.5,
             "min_efficacy_ratio": 0.9}
    records = evaluate(gates, QUALITY, PRIVACY, EFFICACY)
    with pytest.raises(GateError) as caught:
        enforce(records, QUALITY, PRIVACY, EFFICACY)
    text = str(caught.value)
    assert text.startswith("the build fails its synthetic-data gates:\n")
    assert ("synthetic.min_quality: the SDMetrics quality score of the synthetic rows is 0.7100, "
            "below the threshold 0.8 (column shapes 0.66, column pair trends 0.76).") in text
    assert ("synthetic.max_exact_copies: 2.00% of the synthetic rows are exact copies of real rows "
            "(12 rows), above the threshold 1.00%.") in text
    assert ("synthetic.min_dcr_ratio: the DCR ratio of the synthetic rows is 0.4000 (median "
            "distance to the closest train row 0.02, real holdout baseline 0.05), below the "
            "threshold 0.5.") in text
    assert ("synthetic.min_efficacy_ratio: a model trained on the built train split reaches 0.8000 "
            "of the balanced accuracy of one trained on the raw train split (0.64 against 0.8 on "
            "the real test split), below the threshold 0.9.") in text


def test_a_dcr_gate_without_a_holdout_cannot_pass() -> None:
    privacy = {**PRIVACY, "dcr_ratio": None}
    records = evaluate({"min_dcr_ratio": 0.5}, QUALITY, privacy)
    assert records[0]["passed"] is None
    with pytest.raises(GateError, match=r"synthetic.min_dcr_ratio: cannot be checked: the DCR "
                                        r"ratio needs real holdout rows"):
        enforce(records, QUALITY, privacy)
    enforce(evaluate({"min_quality": 0.5}, QUALITY, PRIVACY), QUALITY, PRIVACY)  # passes
