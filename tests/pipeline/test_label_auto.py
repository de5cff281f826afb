"""`labeling.model.type: auto` through the label stage: the trusted rows it compares the models
on (gold dev rows and the label store's human labels), and where its choice is reported."""

from __future__ import annotations

from builder.pipeline import runner
from builder.labeling.card import section_labeling
from builder.labeling.human.store import LabelStore, import_records

#: Praise and pans, each word of one class; "but" rows carry both and their gold label says
#: the pan wins.
ROWS = ([("great fun", "pos")] * 12 + [("dull mess", "neg")] * 12
        + [("great but dull", "neg")] * 12 + [("nothing", "pos")] * 4)


def write_project(project, dev_fraction: float, min_dev_rows: int) -> None:
    lines = ["id,text,label"] + [f"{i},{text},{label}" for i, (text, label) in enumerate(ROWS)]
    project.write("data.csv", "\n".join(lines) + "\n")
    project.recipe("r", f"""
defaults: [base, _self_]
name: r
seed: 3
task: {{type: text-classification, text: text, label: label, classes: [pos, neg]}}
sources:
  s: {{type: csv, path: data.csv, key: [id]}}
labeling:
  gold: {{use: evaluate, dev_fraction: {dev_fraction}}}
  unlabeled: keep
  model: {{type: auto, auto: {{min_dev_rows: {min_dev_rows}}}}}
  functions:
    praise: {{type: keyword, label: pos, words: [great, fun]}}
    pans: {{type: keyword, label: neg, words: [dull, mess]}}
""")


def run_label(project) -> dict:
    ctx = runner.compose_stage("r", project.root)
    runner.run_stage("ingest", ctx)
    return runner.run_stage("label", ctx)


def test_auto_compares_the_models_on_gold_dev_rows(project) -> None:
    write_project(project, dev_fraction=0.5, min_dev_rows=5)
    metrics = run_label(project)
    auto = metrics["functions"]["model"]["auto"]
    assert metrics["functions"]["model"]["type"] == "auto"
    dev = metrics["gold"]["dev_rows"]
    voted_dev = auto["trusted_rows"]
    assert 5 <= voted_dev <= dev < len(ROWS)  # dev rows without a vote are not counted
    assert auto["dev_accuracy"]["majority"] < 1.0  # it leaves the "but" rows unlabeled
    assert auto["dev_accuracy"][auto["chosen"]] == max(
        a for a in auto["dev_accuracy"].values() if a is not None)
    card = section_labeling(None, {"label": metrics})
    assert f"`model: auto` chose `{auto['chosen']}`, the most accurate on the {voted_dev} " \
           "voted rows with a trusted label" in card
    assert f"The `{auto['chosen']}` label model turned the votes into weak labels." in card


def test_auto_counts_human_labels_and_keeps_the_default_below_min_dev_rows(project) -> None:
    write_project(project, dev_fraction=0.0, min_dev_rows=50)
    metrics = run_label(project)
    auto = metrics["functions"]["model"]["auto"]
    assert (auto["chosen"], auto["trusted_rows"]) == ("anchored_dawid_skene", 0)
    assert "`model: auto` kept the default `anchored_dawid_skene`: 0 voted rows" in \
        section_labeling(None, {"label": metrics})
    # Three human labels in the store (one on a row without a vote, which does not count).
    source = project.root / "source.txt"
    source.write_text("t")
    records = [{"_id": f"s/{i}", "annotator": "a", "label": label, "where": "x"}
               for i, label in [(0, "pos"), (24, "neg"), (39, "pos")]]
    import_records(LabelStore(project.root / "labels" / "r"), records, tool="csv", source=source,
                   imported_by="t", imported_at="2026-01-01T00:00:00+00:00")
    metrics = run_label(project)
    assert metrics["functions"]["model"]["auto"]["trusted_rows"] == 2
