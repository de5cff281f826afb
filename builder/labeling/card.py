"""The labeling section of the dataset card and of the build summary, from `metrics["label"]`."""

from __future__ import annotations

from typing import Any

from builder.markdown import table


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def number(value: float | None) -> str:
    """A figure with three decimals, `n/a` when missing (the card sections of `builder.labeling`)."""
    return "n/a" if value is None else f"{value:.3f}"


def _accuracy(figures: dict | None) -> str:
    if not figures or figures.get("rows", 0) == 0:
        return "n/a"
    return (f"{number(figures['accuracy_labeled'])} on the {figures['labeled']} rows it labels, "
            f"{number(figures['accuracy_all'])} on all {figures['rows']} rows with a gold label")


def function_rows(label: dict) -> list[list[str]]:
    """One row per labeling function: type, polarity, coverage, overlaps, conflicts, accuracies."""
    rows = []
    for name, entry in label["functions"]["functions"].items():
        rows.append([name, entry["type"], ", ".join(entry["polarity"]) or "-",
                     _percent(entry["coverage"]), _percent(entry["overlaps"]),
                     _percent(entry["conflicts"]), number(entry.get("empirical_accuracy")),
                     number(entry.get("learned_accuracy", entry.get("dev_accuracy")))])
    return rows


def dependent_functions(functions: dict) -> str:
    """The pairs of functions the Dawid-Skene model found dependent and modelled jointly."""
    pairs = functions["model"].get("dependent_functions") or []
    if not pairs:
        return ""
    names = functions["conflict_matrix"]["names"]
    listed = "; ".join(
        f"`{names[pair['functions'][0]]}` and `{names[pair['functions'][1]]}` "
        f"({pair['co_votes']} rows together where {pair['expected']:g} were expected)"
        for pair in pairs)
    return ("It models these functions jointly, as they vote together more often than their "
            f"classes explain (a shared trigger word, say): {listed}.")


#: Models whose per-function figure is an accuracy learned without gold labels.
LEARNED = ("dawid_skene", "anchored_dawid_skene")


def model_used(model: dict) -> str:
    """The label model that made the weak labels (the one `auto` chose, under `auto`)."""
    return model["auto"]["chosen"] if model.get("auto") else model["type"]


def auto_choice(model: dict) -> str:
    """What `model: auto` chose, on how many trusted rows, and every candidate's accuracy on
    them ("" for another model)."""
    auto = model.get("auto")
    if not auto:
        return ""
    scored = ", ".join(f"`{name}` {number(value)}" for name, value in auto["dev_accuracy"].items()
                       if value is not None)
    rows = auto["trusted_rows"]
    if rows < auto["min_dev_rows"]:
        text = (f"`model: auto` kept the default `{auto['chosen']}`: {rows} voted rows have a "
                f"trusted label (gold dev, human or feedback), fewer than auto.min_dev_rows "
                f"({auto['min_dev_rows']}) to tell the models apart")
    else:
        text = (f"`model: auto` chose `{auto['chosen']}`, the most accurate on the {rows} voted "
                "rows with a trusted label (gold dev, human or feedback)")
    return text + (f"; accuracy there: {scored} (weighted out of fold)." if scored else ".")


def section_labeling(composed: Any, metrics: dict) -> str:
    """How the labels were made: functions, label model, pseudo-labels, suspected errors."""
    label = metrics.get("label") or {}
    parts = []
    gold = label.get("gold") or {}
    if gold.get("use") == "evaluate":
        parts.append(f"The source's label column `{gold['column']}` was kept only to measure the "
                     "labels below; it is not published and no model saw it.")
    functions = label.get("functions")
    if functions:
        model = model_used(functions["model"])
        parts.append(
            f"{len(functions['functions'])} labeling functions voted on "
            f"{_percent(functions['coverage'])} of the rows; {_percent(functions['overlap'])} "
            f"got two votes or more and {_percent(functions['conflict'])} conflicting votes. "
            f"The `{model}` label model turned the votes into weak labels.")
        if functions["model"].get("auto"):
            parts.append(auto_choice(functions["model"]))
        parts.append(f"Weak-label accuracy: {_accuracy(functions.get('weak_accuracy'))} "
                     f"(majority vote: {_accuracy(functions.get('majority_accuracy'))}).")
        # The label model's own figure per function: learned without gold (LEARNED) or
        # measured on the gold dev rows (weighted); majority vote has none.
        estimate = "learned accuracy" if model in LEARNED else \
            {"weighted": "dev accuracy"}.get(model)
        header = ["function", "type", "polarity", "coverage", "overlaps", "conflicts",
                  "empirical accuracy"] + ([estimate] if estimate else [])
        parts.append(table(header, [row[:len(header)] for row in function_rows(label)]))
        if model in LEARNED:
            parts.append(" ".join(filter(None, [
                "Learned accuracy is the label model's estimate, made without gold labels.",
                dependent_functions(functions)])))
    pseudo = label.get("pseudo")
    if pseudo:
        trained = pseudo["training_rows"]
        text = (f"Model-assisted labels: a `{pseudo['type']}` model{_encoder(pseudo)} predicted "
                f"every row out of fold ({pseudo['folds']} folds), trained on "
                f"{trained['strong']} gold, human or feedback labels and "
                f"{trained['confident_weak']} confident weak labels")
        if "accepted" in pseudo:
            text += f"; {pseudo['accepted']} unlabeled rows took its label"
            accepted = pseudo.get("accepted_accuracy") or {}
            if accepted.get("accuracy_labeled") is not None:
                text += (f" (accuracy of the {accepted['labeled']} of them with a gold label: "
                         f"{number(accepted['accuracy_labeled'])})")
            text += _acceptance(pseudo.get("acceptance"))
        parts.append(text + f". Its accuracy: {_accuracy(pseudo.get('model_accuracy'))}.")
    if label.get("unlabeled_dropped"):
        parts.append(f"{label['unlabeled_dropped']} rows left without a label were dropped "
                     "(`labeling.unlabeled`; only `keep` publishes them).")
    errors = label.get("label_errors")
    if errors:
        text = (f"Confident learning flagged {errors['count']} suspected label errors "
                f"(action: {errors['action']})")
        if "precision_against_gold" in errors:
            text += f"; {_percent(errors['precision_against_gold'])} of them disagree with gold"
        if errors.get("human_kept"):
            text += (f"; {errors['human_kept']} of them are human labels, flagged but kept "
                     "(humans outrank models)")
        parts.append(text + ".")
    if gold.get("use") == "evaluate" and label.get("final_accuracy"):
        parts.append(f"Published labels against gold: {_accuracy(label['final_accuracy'])}.")
    if not parts:
        return ""
    return "## Labeling\n\n" + "\n\n".join(parts)


def summary_rows(label: dict) -> list[list[str]]:
    """Rows for the build summary's labeling table: function, coverage, conflicts, accuracy."""
    if not label.get("functions"):
        return []
    rows = [[r[0], r[3], r[5], r[6]] for r in function_rows(label)]
    functions = label["functions"]
    weak = functions.get("weak_accuracy") or {}
    rows.append(["(weak labels)", _percent(functions["coverage"]), _percent(functions["conflict"]),
                 number(weak.get("accuracy_labeled"))])
    return rows


def _encoder(pseudo: dict) -> str:
    """How the card names the pseudo-labeler's text encoder ('' for tabular models)."""
    encoder = pseudo.get("encoder")
    if not encoder:
        return ""
    if encoder["type"] == "sentence_transformers":
        return f" on `{encoder['model']}` sentence embeddings"
    return f" on `{encoder['type']}` features"


def _acceptance(acceptance: dict | None) -> str:
    """The acceptance threshold and the precision estimated for it, as a clause."""
    if not acceptance:
        return ""
    rows = acceptance["rows"]
    if acceptance["threshold"] is None:
        return (f"; none, as no confidence threshold reaches the target precision "
                f"{number(acceptance['target_precision'])} on the {rows} rows with a label")
    how = (f"the lowest that reaches the target precision {number(acceptance['target_precision'])}"
           if acceptance.get("target_precision") is not None else "`min_confidence`")
    return (f", at confidence >= {acceptance['threshold']:g} ({how}; estimated precision "
            f"{number(acceptance['estimated_precision'])} from out-of-fold predictions on the "
            f"{rows} rows with a label)")
