"""The dataset card's section on human labels and user feedback (reads only the metrics)."""

from __future__ import annotations

from typing import Any

from builder.labeling.card import number
from builder.markdown import table


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in counts.items()) or "none"


def feedback_text(metrics: dict) -> str:
    sources = {name: s for name, s in metrics.get("ingest", {}).get("sources", {}).items()
               if s.get("type") == "feedback"}
    if not sources:
        return ""
    rows = [[name, s.get("records"), s.get("without_consent"), s.get("outside_window"),
             s.get("duplicates_of_other_sources"), s.get("rows"), s.get("corrections")]
            for name, s in sources.items()]
    text = ("### User feedback\n\nPrediction logs of the deployed model. Records without the "
            "user's consent never enter the dataset.\n\n"
            + table(["source", "records", "without consent", "outside the window",
                     "duplicates of other sources", "rows kept", "corrections"], rows))
    feedback = metrics.get("label", {}).get("feedback")
    if feedback:
        text += (f"\n\n{feedback.get('applied', 0)} corrections became labels (label source "
                 f"`feedback`), {feedback.get('corrections_changing_prediction', 0)} of "
                 f"{feedback.get('corrections', 0)} corrections changed the model's prediction; "
                 f"outranked by: {_counts(feedback.get('outranked_by', {}))}.")
    return text


def human_text(human: dict) -> str:
    if not human.get("batches"):
        return (f"### Human labels\n\nThe label store `{human.get('store', 'labels/')}` is empty: "
                "no human labels yet.")
    batches = [[b["file"], b["tool"], b["records"], b.get("imported_by"), b.get("imported_at")]
               for b in human["batches"]]
    text = (f"### Human labels\n\n{human.get('applied', 0)} rows carry a human label (replacing: "
            f"{_counts(human.get('replaced', {}))}), from {human['annotations']} annotations in "
            f"the label store `{human['store']}`, aggregated by {human.get('method')}"
            + (f"; {human['annotations_for_missing_rows']} annotations are for rows no longer "
               "in the data" if human.get("annotations_for_missing_rows") else "")
            + ".\n\n" + table(["batch", "tool", "records", "imported by", "imported at"],
                              batches))
    several = human.get("rows_with_several_annotators", 0)
    text += (f"\n\nAgreement over the {several} rows with several annotators: Krippendorff's "
             f"alpha {number(human.get('krippendorff_alpha'))}, Fleiss' kappa "
             f"{number(human.get('fleiss_kappa'))}; {human.get('ties', 0)} rows tied.")
    pairs = human.get("cohen_kappa") or []
    if pairs:
        text += " Cohen's kappa: " + "; ".join(
            f"{p['annotators'][0]} and {p['annotators'][1]} {number(p['kappa'])} "
            f"({p['rows']} rows)" for p in pairs) + "."
    low = human.get("low_agreement") or {}
    if low.get("min_agreement") is not None:
        dropped = " (dropped from the dataset)" if low.get("dropped") else ""
        text += (f" Rows need at least {low['min_agreement']:g} of their annotators to agree; "
                 f"rows under it: {low['rows']}{dropped}.")
    annotators = human.get("annotators") or {}
    if annotators:
        estimated = any("estimated_accuracy" in a for a in annotators.values())
        header = ["annotator", "labels", "compared with consensus", "accuracy vs consensus"]
        header += ["estimated accuracy (Dawid-Skene)"] if estimated else []
        rows = [[name, a["labels"], a["compared"], number(a["accuracy_vs_consensus"])]
                + ([number(a.get("estimated_accuracy"))] if estimated else [])
                for name, a in annotators.items()]
        text += "\n\n" + table(header, rows)
    return text


def section_human(composed: Any, metrics: dict) -> str:
    """`## Human labels and feedback`: the label store, agreement, annotators, feedback logs."""
    human = metrics.get("label", {}).get("human")
    parts = ["## Human labels and feedback",
             "When a row has labels from several sources, the most trusted wins: human > gold > "
             "feedback > weak > pseudo."]
    feedback = feedback_text(metrics)
    if feedback:
        parts.append(feedback)
    if human is not None:
        parts.append(human_text(human))
    return "\n\n".join(parts)
