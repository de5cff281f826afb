"""Hostile recipes and overrides (issue 20: 'silent wrong results' 1-2 and 'tracebacks' 11)."""

from __future__ import annotations

import json

from tests.hostile.conftest import cli


def test_a_label_column_typo_fails_before_reading(tiny) -> None:
    ending = cli(tiny.root, "build", "tiny", "task.label=Label", "--quiet", code=2)
    assert "tiny.yaml: task.label: found 'Label', which is not a column" in ending.err
    assert "Did you mean 'label'?" in ending.err
    assert not (tiny.root / "data/tiny/ingested").exists()


def test_text_and_group_typos(tiny) -> None:
    ending = cli(tiny.root, "build", "tiny", "task.text=txt", "split.group=txt", "--quiet",
                 code=2)
    assert "task.text: found 'txt'" in ending.err and "split.group: found 'txt'" in ending.err


def test_feedback_field_typos_fail_with_did_you_mean(tiny) -> None:
    record = {"id": "r1", "inputs": {"text": "great film"}, "prediction": "pos",
              "correction": "neg", "consent": True, "timestamp": "2026-02-01T00:00:00Z"}
    tiny.write("logs/a.jsonl", json.dumps(record) + "\n")
    for option, close in (("consent_field=consnt", "consent"),
                          ("correction_field=corection", "correction")):
        ending = cli(tiny.root, "build", "tiny",
                     "+sources.app={type: feedback, path: logs/*.jsonl}",
                     f"+sources.app.{option}", "--quiet", code=2)
        assert "names no field of the records" in ending.err
        assert f"Did you mean '{close}'?" in ending.err


def test_an_override_typo_names_the_override(tiny) -> None:
    ending = cli(tiny.root, "validate", "tiny", "splt.seed=7", code=2)
    assert "override 'splt.seed=7': no key 'splt'" in ending.err
    assert "Did you mean 'split'?" in ending.err


def test_unquoted_yes_no_fail_at_validate_suggesting_quotes(tiny) -> None:
    tiny.recipe("yn", (tiny.root / "recipes/tiny.yaml").read_text()
                .replace("name: tiny", "name: yn")
                .replace("classes: [pos, neg]", "classes: ['no', 'yes']")
                .replace("path: shop.csv}", "path: shop.csv, label_map: {no: 'no', yes: 'yes'}}"))
    ending = cli(tiny.root, "validate", "yn", code=2)
    assert "label_map.false: is the boolean false, not a name" in ending.err
    assert "quote it" in ending.err
    ending = cli(tiny.root, "validate", "yn", "balance.target.counts={yes: 3}", code=2)
    ending = cli(tiny.root, "validate", "tiny", "+balance.target.counts={pos: 3, no: 3}", code=2)


def test_a_list_where_a_preset_defines_a_mapping(tiny) -> None:
    tiny.recipe("lst", (tiny.root / "recipes/tiny.yaml").read_text()
                .replace("name: tiny", "name: lst")
                .replace("[base, _self_]", "[base, {transforms: text_cleanup}, _self_]")
                + "transforms:\n  - {type: dedup}\n")
    ending = cli(tiny.root, "validate", "lst", code=2)
    assert "recipes/lst.yaml: transforms: found a list, but a preset " \
           "(conf/transforms/text_cleanup.yaml) defines it as a mapping" in ending.err


def test_a_group_override_with_a_list_value(tiny) -> None:
    cli(tiny.root, "validate", "tiny", "transforms=[1,2]", code=2)
    cli(tiny.root, "validate", "tiny", "split=[1,2]", code=2)
