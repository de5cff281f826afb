"""The `labeling` section is checked before any row is read; each message names its key."""

from __future__ import annotations

import time

import pytest

from builder.errors import RecipeErrors
from builder.recipe.compose import load

HEADER = """
defaults: [base, _self_]
name: r
task: {type: text-classification, text: text, label: label, classes: [pos, neg]}
sources:
  s: {type: csv, path: data.csv}
"""


def recipe(project, labeling: str):
    project.write("data.csv", "text,label\ngreat,pos\n")
    project.recipe("r", HEADER + labeling)
    return load("r", project.root)


def errors(project, labeling: str) -> str:
    with pytest.raises(RecipeErrors) as caught:
        recipe(project, labeling)
    return str(caught.value)


def test_a_good_section_validates(project) -> None:
    project.write("lfs/rules.py", "def vote(batch):\n    return batch['text'].str.len() > 3\n")
    project.write("lists/names.txt", "# one a line\nalice\n\nbob\n")
    composed = recipe(project, """
labeling:
  functions:
    great: {type: keyword, label: pos, words: [great, superb]}
    bad: {type: regex, label: neg, pattern: "\\\\bbad\\\\b"}
    short: {type: threshold, label: neg, of: length, op: between, low: 1, high: 5}
    both: {type: expression, label: pos, expression: "text.str.len() > 3"}
    people: {type: lookup, label: pos, column: text, file: lists/names.txt}
    mine: {type: python, label: pos, function: "lfs.rules:vote"}
  model: {type: majority, tie_break: prior}
  gold: {use: evaluate}
""")
    functions = composed.recipe.labeling.functions
    assert list(functions) == ["great", "bad", "short", "both", "people", "mine"]
    assert functions["great"].words == ["great", "superb"]
    files = composed.recipe.labeling.input_files(project.root)
    assert [f.relative_to(project.root).as_posix() for f in files] == [
        "lfs/rules.py", "lists/names.txt"]


def test_regex_that_does_not_compile(project) -> None:
    message = errors(project, """
labeling:
  functions:
    great: {type: regex, label: pos, pattern: "(great"}
""")
    assert "labeling.functions.great.pattern: found '(great', which does not compile" in message


def test_regex_that_re2_cannot_run(project) -> None:
    message = errors(project, """
labeling:
  functions:
    great: {type: regex, label: pos, pattern: "great(?!ly)"}
""")
    assert "labeling.functions.great.pattern" in message
    assert "uses a look-around" in message and "RE2" in message


def test_regex_checks_follow_re2_not_python(project) -> None:
    # Unicode classes and \z are RE2 (Python's `re` rejects them); \Z is Python only.
    composed = recipe(project, """
labeling:
  functions:
    letters: {type: regex, label: pos, pattern: "^\\\\p{Lu}\\\\pL+ great\\\\z"}
""")
    assert composed.recipe.labeling.functions["letters"].pattern == "^\\p{Lu}\\pL+ great\\z"
    message = errors(project, """
labeling:
  functions:
    ending: {type: regex, label: pos, pattern: "great\\\\Z"}
""")
    assert ("labeling.functions.ending.pattern: found 'great\\Z', which uses \\Z (RE2 writes "
            "the end of the text \\z)") in message


def test_class_not_in_task_classes_with_did_you_mean(project) -> None:
    message = errors(project, """
labeling:
  functions:
    great: {type: keyword, label: poss, words: [great]}
""")
    assert "labeling.functions.great.label: found 'poss', expected a class of task.classes " \
           "('neg' or 'pos'). Did you mean 'pos'?" in message


def test_unknown_function_type_with_did_you_mean(project) -> None:
    message = errors(project, """
labeling:
  functions:
    great: {type: keywords, label: pos, words: [great]}
""")
    assert "labeling.functions.great.type: unknown labeling function type 'keywords'" in message
    assert "Did you mean 'keyword'?" in message


def test_python_path_whose_module_cannot_be_found(project) -> None:
    message = errors(project, """
labeling:
  functions:
    mine: {type: python, label: pos, function: "nowhere.rules:vote"}
""")
    assert "labeling.functions.mine.function: found 'nowhere.rules:vote', but the module " \
           "'nowhere.rules' cannot be found" in message


def test_python_path_whose_function_is_not_defined(project) -> None:
    project.write("lfs/rules.py", "def other(batch):\n    return None\n")
    message = errors(project, """
labeling:
  functions:
    mine: {type: python, label: pos, function: "lfs.rules:vote"}
""")
    assert "labeling.functions.mine.function" in message
    assert "defines no 'vote' at top level" in message


def test_bad_thresholds(project) -> None:
    message = errors(project, """
labeling:
  functions:
    a: {type: threshold, label: pos, column: n, op: between, low: 5}
    b: {type: threshold, label: pos, column: n, op: between, low: 5, high: 1}
    c: {type: threshold, label: pos, column: n, op: ">"}
""")
    assert "labeling.functions.a.op: is 'between'; expected both `low` and `high`." in message
    assert "labeling.functions.b.low: found 5.0 > high 1.0; expected low <= high." in message
    assert "labeling.functions.c.value: is missing; op '>' compares with a number" in message
    message = errors(project, """
labeling:
  functions:
    d: {type: threshold, label: pos, column: n, op: "=>", value: 1}
""")
    assert "labeling.functions.d.op: found '=>', expected one of '<', '<=', '>', '>=' or " \
           "'between'. Did you mean '>'?" in message


def test_keyword_and_lookup_problems(project) -> None:
    message = errors(project, """
labeling:
  functions:
    empty: {type: keyword, label: pos, words: []}
    blank: {type: keyword, label: pos, words: [good, " "]}
    nofile: {type: lookup, label: pos, column: text, file: missing.txt}
    both: {type: lookup, label: pos, column: text, values: [a], file: missing.txt}
""")
    assert "labeling.functions.empty.words: is empty; expected at least one word." in message
    assert "labeling.functions.blank.words[1]: is blank" in message
    assert "labeling.functions.nofile.file: found 'missing.txt', which is not a file" in message
    assert "labeling.functions.both.values: expected exactly one of `values`" in message


def test_section_level_problems(project) -> None:
    message = errors(project, """
labeling:
  unlabeled: pseudo
  min_confidence: 1.5
  model: {type: weighted}
  gold: {use: evaluate}
""")
    assert "labeling.unlabeled: found 'pseudo', but labeling.pseudo is not set" in message
    assert "labeling.min_confidence: found 1.5, expected a number in [0, 1]." in message
    assert "labeling.model.type: found 'weighted', which learns from gold dev rows" in message


def test_gold_for_evaluation_cannot_be_published(project) -> None:
    project.write("data.csv", "text,label\ngreat,pos\n")
    project.recipe("r", HEADER.replace("classes: [pos, neg]}", "classes: [pos, neg], "
                                       "features: [text, _gold]}") + "labeling: {gold: {use: evaluate}}\n")
    with pytest.raises(RecipeErrors, match="labeling.gold.use: is 'evaluate', but task.features "
                                           "lists '_gold'"):
        load("r", project.root)


def test_validation_stays_light(project) -> None:
    """Loading the labeling config imports no pandas, pyarrow or scikit-learn."""
    import subprocess
    import sys

    code = ("import sys; import builder.labeling.config, builder.labeling.kinds; "
            "print(sorted(m for m in ('pandas', 'pyarrow', 'sklearn', 'numpy') if m in sys.modules))")
    from tests.conftest import REPO, cli_env

    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=cli_env(),
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    assert time.perf_counter() - started < 5
