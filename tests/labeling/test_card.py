"""The labeling section of the card, from the label metrics alone."""

from __future__ import annotations

from builder.labeling.card import dependent_functions, section_labeling


def test_suspected_errors_say_which_human_labels_were_kept() -> None:
    metrics = {"label": {"gold": {"use": "evaluate", "column": "label"},
                         "label_errors": {"action": "review", "count": 22, "human_kept": 8,
                                          "precision_against_gold": 0.4737}}}
    assert section_labeling(None, metrics) == (
        "## Labeling\n\nThe source's label column `label` was kept only to measure the labels "
        "below; it is not published and no model saw it.\n\nConfident learning flagged 22 "
        "suspected label errors (action: review); 47.4% of them disagree with gold; 8 of them "
        "are human labels, flagged but kept (humans outrank models).")


def test_dependent_functions_are_named_with_their_co_votes() -> None:
    functions = {
        "model": {"type": "dawid_skene", "dependent_functions": [
            {"functions": [2, 0], "test": "conflicting votes", "co_votes": 11, "expected": 3.22,
             "residual": 20.38}]},
        "conflict_matrix": {"names": ["warmth", "pans", "negated_praise"], "shares": []}}
    assert dependent_functions(functions) == (
        "It models these functions jointly, as they vote together more often than their "
        "classes explain (a shared trigger word, say): `negated_praise` and `warmth` (11 rows "
        "together where 3.22 were expected).")
    functions["model"]["dependent_functions"] = []
    assert dependent_functions(functions) == ""


def test_accepted_pseudo_labels_say_how_many_were_judged() -> None:
    metrics = {"label": {"pseudo": {
        "type": "text", "folds": 5, "training_rows": {"strong": 103, "confident_weak": 1464},
        "accepted": 4, "accepted_accuracy": {"rows": 3, "labeled": 3, "accuracy_labeled": 1.0,
                                             "accuracy_all": 1.0},
        "model_accuracy": {"rows": 10, "labeled": 10, "accuracy_labeled": 0.6,
                           "accuracy_all": 0.6}}}}
    assert section_labeling(None, metrics) == (
        "## Labeling\n\nModel-assisted labels: a `text` model predicted every row out of fold "
        "(5 folds), trained on 103 gold, human or feedback labels and 1464 confident weak "
        "labels; 4 unlabeled rows took its label (accuracy of the 3 of them with a gold label: "
        "1.000). Its accuracy: 0.600 on the 10 rows it labels, 0.600 on all 10 rows with a "
        "gold label.")


def test_function_table_names_the_label_models_own_figure() -> None:
    def card(model: str, extra: dict) -> str:
        entry = {"type": "keyword", "polarity": ["pos"], "coverage": 0.5, "overlaps": 0.25,
                 "conflicts": 0.0, "empirical_accuracy": 0.8, **extra}
        functions = {"model": {"type": model}, "functions": {"great": entry}, "coverage": 0.5,
                     "overlap": 0.25, "conflict": 0.0,
                     "conflict_matrix": {"names": ["great"], "shares": [[0.0]]}}
        return section_labeling(None, {"label": {"functions": functions}})

    assert ("| empirical accuracy | dev accuracy |\n|---|---|---|---|---|---|---|---|\n"
            "| great | keyword | pos | 50.0% | 25.0% | 0.0% | 0.800 | 0.750 |"
            in card("weighted", {"dev_accuracy": 0.75}))
    assert ("| empirical accuracy |\n|---|---|---|---|---|---|---|\n"
            "| great | keyword | pos | 50.0% | 25.0% | 0.0% | 0.800 |" in card("majority", {}))
    learned = card("dawid_skene", {"learned_accuracy": 0.7})
    assert "| empirical accuracy | learned accuracy |" in learned and "| 0.800 | 0.700 |" in learned
    assert "Learned accuracy is the label model's estimate, made without gold labels." in learned
