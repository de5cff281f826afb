"""`builder label export|import|status`: the review queue out, human labels in, and a summary.

    builder label export RECIPE --tool T [--budget N] [--strategy S] [--seed N] [--out DIR]
    builder label import RECIPE FILE --tool T [--annotator NAME] [--by WHO]
    builder label status RECIPE [--show N]

Export reads `data/<recipe>/labeled/`; import checks row ids against
`data/<recipe>/ingested/` and appends a batch to the label store; a rebuild (`dvc repro`
or `builder build`) merges the store. Nothing heavy is imported at module level.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from builder.labeling.human.config import LABELING_TOOLS, QUEUE_STRATEGIES

if TYPE_CHECKING:
    import pandas as pd

    from builder.recipe.compose import Composed

#: Columns of labeled.parquet that are bookkeeping, never content to show annotators.
BOOKKEEPING = {"label_source", "label_confidence", "weak_label", "weak_confidence",
               "lf_conflict", "model_label", "model_confidence", "suspect_label", "split"}


def _load(args: argparse.Namespace) -> tuple[Composed, Path]:
    from builder.cli import root_of
    from builder.recipe.compose import load

    root = root_of(args)
    return load(args.recipe, root, args.overrides), root


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def _artifact(composed: Composed, root: Path, name: str) -> Path:
    return root / "data" / composed.recipe.name / name


def read_labeled(composed: Composed, root: Path) -> pd.DataFrame:
    """The labeled rows (`labeled/`), or an error saying how to build them."""
    from builder.errors import StageError
    from builder.partitions import read_artifact

    path = _artifact(composed, root, "labeled")
    if not path.is_dir():
        raise StageError(f"{_shown(path, root)}: not found; build the dataset first "
                         f"(`builder build {composed.recipe.name}` or `dvc repro`).")
    return read_artifact(path)


def store_of(composed: Composed, root: Path):
    from builder.labeling.human.store import LabelStore

    return LabelStore(composed.recipe.labeling.human.store_dir(root, composed.recipe.name))


def consensus(composed: Composed, root: Path, ids: Any = None):
    """The store's consensus per row (restricted to `ids` when given), or None when empty."""
    from builder.labeling.human.agreement import aggregate

    store = store_of(composed, root)
    annotations = store.annotations()
    if ids is not None:
        annotations = annotations[annotations["_id"].isin(ids)]
    if annotations.empty:
        return None
    recipe = composed.recipe
    known = annotations["label"].isin(recipe.task.classes)
    return aggregate(annotations[known], list(recipe.task.classes), recipe.labeling.human.aggregate)


def human_labeled(composed: Composed, root: Path) -> set[str]:
    """Row ids with a human consensus label: never sent to annotators again."""
    result = consensus(composed, root)
    if result is None:
        return set()
    return set(result.rows.loc[result.rows["label"].notna(), "_id"])


def content_columns(df: pd.DataFrame, composed: Composed) -> list[str]:
    task = composed.recipe.task
    if task.features is not None:
        return list(task.features)
    return [c for c in df.columns if not str(c).startswith("_") and c not in BOOKKEEPING
            and c != task.label]


def plan_queue(composed: Composed, root: Path, strategy: str | None, budget: int | None,
               seed: int | None):
    """The review queue the recipe (and options) asks for."""
    from builder.labeling.human.queue import check_declared, select
    from builder.context import derive_seed

    recipe = composed.recipe
    human = recipe.labeling.human
    strategy = strategy or human.strategy
    check_declared(strategy, recipe.labeling, recipe.name)
    df = read_labeled(composed, root)
    seed = derive_seed(recipe.seed, "queue", strategy) if seed is None else seed
    source = _shown(_artifact(composed, root, "labeled"), root)
    return df, select(df, recipe.task, strategy, budget or human.budget, seed,
                      human_labeled(composed, root), source=source)


def cmd_export(args: argparse.Namespace) -> int:
    from builder.errors import FlywheelError
    from builder.labeling.human.tools import ExportRequest, get_tool

    composed, root = _load(args)
    if args.budget is not None and args.budget < 1:
        raise FlywheelError(f"--budget: found {args.budget}, expected at least 1 row.")
    df, queue = plan_queue(composed, root, args.strategy, args.budget, args.seed)
    recipe = composed.recipe
    if queue.rows.empty:
        print(f"{recipe.name}: no row to send ({queue.strategy}: {queue.candidates} candidates); "
              "nothing written.")
        return 0
    folder = Path(args.out) if args.out else _artifact(composed, root, f"queue/{args.tool}")
    request = ExportRequest(rows=queue.rows, task=recipe.task,
                            instructions=recipe.labeling.human.instructions,
                            content_columns=content_columns(df, composed),
                            strategy=queue.strategy, model_version=f"flywheel-{recipe.name}",
                            image_url_prefix=recipe.labeling.human.image_url_prefix)
    files = write_export(get_tool(args.tool), request, folder)
    print(f"{recipe.name}: {len(queue.rows)} of {queue.candidates} candidate rows "
          f"({queue.strategy}, seed {queue.seed}) exported for {args.tool}:")
    for path in files:
        print(f"  {_shown(path, root)}")
    print(f"Then: builder label import {recipe.name} <their export> --tool {args.tool}")
    return 0


def write_export(tool, request, folder: Path) -> list[Path]:
    """Write a tool's files into `folder`, each renamed into place only once all are written."""
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".export-", dir=folder) as tmp:
        written = tool.export(request, Path(tmp))
        targets = []
        for path in written:
            target = folder / path.name
            if path.is_dir() and target.is_dir():  # an image task's images/ of an earlier export
                shutil.rmtree(target)
            os.replace(path, target)
            targets.append(target)
    return targets


def who_imports(root: Path) -> str:
    """The importer: git's user.email, else the login name."""
    import getpass

    try:
        email = subprocess.run(["git", "config", "user.email"], cwd=root, capture_output=True,
                               text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        email = ""
    return email or getpass.getuser()


def known_row_ids(composed: Composed, root: Path) -> set[str]:
    from builder.errors import StageError
    from builder.partitions import Partitions, read_table

    path = _artifact(composed, root, "ingested")
    if not path.is_dir():
        raise StageError(f"{_shown(path, root)}: not found; labels are checked against the "
                         f"built rows, so build first (`builder build {composed.recipe.name}`).")
    parts = Partitions.open(path)
    return {i for n in parts.names for i in read_table(parts.folder / n, ["_id"])["_id"]
            .to_pylist()}


def cmd_import(args: argparse.Namespace) -> int:
    from builder.errors import DataError
    from builder.labeling.human.tools import get_tool
    from builder.labeling.human.store import check_records, import_records, problems_error

    composed, root = _load(args)
    recipe = composed.recipe
    path = Path(args.file)
    if not path.is_file():
        raise DataError(f"{args.file}: not found; expected the file exported by {args.tool}.")
    store = store_of(composed, root)
    parsed = get_tool(args.tool).parse(path, annotator=args.annotator)
    problems = parsed.problems + check_records(parsed.records, known_row_ids(composed, root),
                                               list(recipe.task.classes))
    if problems:
        raise problems_error(path, args.tool, Path(_shown(store.folder, root)), problems)
    skipped = ", ".join(f"{n} {reason}" for reason, n in sorted(parsed.skipped.items()))
    if not parsed.records:
        print(f"{path}: no labels to import" + (f" (skipped: {skipped})" if skipped else "")
              + "; the store is unchanged.")
        return 0
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    result = import_records(store, parsed.records, tool=args.tool, source=path,
                            imported_by=args.by or who_imports(root), imported_at=now,
                            skipped=parsed.skipped)
    print(result.message.replace(str(store.folder), _shown(store.folder, root))
          + (f" Skipped: {skipped}." if skipped else ""))
    if result.batch is not None:
        print(f"Commit it (git add {_shown(store.folder, root)}) and rebuild: dvc repro, or "
              f"builder build {recipe.name}.")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from builder.errors import DataError

    composed, root = _load(args)
    recipe = composed.recipe
    task = recipe.task
    df = read_labeled(composed, root)
    store = store_of(composed, root)
    batches = store.batches()
    lines = [f"{recipe.name}: {len(df)} rows in "
             f"{_shown(_artifact(composed, root, 'labeled'), root)}; label store "
             f"{_shown(store.folder, root)}: {len(batches)} batches, "
             f"{sum(b.table.num_rows for b in batches)} records."]
    sources = df["label_source"].astype("string").fillna("unlabeled").value_counts().sort_index()
    lines.append("Rows by label source: " + ", ".join(f"{k} {v}" for k, v in sources.items()))
    classes = df[task.label].astype("string").value_counts().reindex(task.classes, fill_value=0)
    lines.append("Classes: " + ", ".join(f"{k} {v}" for k, v in classes.items())
                 + f" (unlabeled {int(df[task.label].isna().sum())})")
    lines += agreement_lines(consensus(composed, root, ids=set(df["_id"].astype(str))))
    try:
        _, queue = plan_queue(composed, root, args.strategy, args.budget, None)
    except DataError as error:
        lines.append(f"Queue: {error}")
    else:
        lines.append(f"Queue ({queue.strategy}, seed {queue.seed}): {queue.candidates} candidate "
                     f"rows; the next export would pick {len(queue.rows)}"
                     + (f", first {min(args.show, len(queue.rows))}:" if len(queue.rows) else "."))
        lines += preview_lines(queue.rows.head(args.show), composed)
    print("\n".join(lines))
    return 0


def agreement_lines(result) -> list[str]:
    if result is None:
        return ["Human labels: none yet."]
    m = result.metrics
    lines = [f"Human labels ({m['method']}): {int(result.rows['label'].notna().sum())} rows, "
             f"{m['rows_with_several_annotators']} with several annotators, {m['ties']} ties; "
             f"Krippendorff's alpha {_fmt(m['krippendorff_alpha'])}, Fleiss' kappa "
             f"{_fmt(m['fleiss_kappa'])}."]
    for pair in m["cohen_kappa"]:
        lines.append(f"  Cohen's kappa {pair['annotators'][0]} / {pair['annotators'][1]}: "
                     f"{_fmt(pair['kappa'])} over {pair['rows']} rows")
    for name, stats in m["annotators"].items():
        lines.append(f"  {name}: {stats['labels']} labels, accuracy vs consensus "
                     f"{_fmt(stats['accuracy_vs_consensus'])} over {stats['compared']} rows")
    return lines


def preview_lines(rows: pd.DataFrame, composed: Composed) -> list[str]:
    task = composed.recipe.task
    lines = []
    for values in rows.to_dict("records"):
        text = values.get(task.text) if task.text else None
        shown = " ".join(str(text).split())[:60] if text is not None else ""
        guess = values.get("prediction")
        guess = "-" if guess is None or guess != guess else guess
        lines.append(f"  {values['_id']}  priority {_fmt(values.get('priority'))}  guess {guess}"
                     + (f"  {shown}" if shown else ""))
    return lines


def _fmt(value: Any) -> str:
    return "n/a" if value is None or value != value else f"{value:.3f}"


def add_commands(sub) -> None:
    """`builder label export|import|status`."""
    label = sub.add_parser(
        "label", help="review queues and human labels (export, import, status)",
        description="The data flywheel: send uncertain rows to a labeling tool, bring the "
                    "labels back into the label store, and see where labels come from.")
    actions = label.add_subparsers(dest="label_command", required=True, metavar="ACTION")

    export = actions.add_parser("export", help="write the review queue in a tool's format",
                                description="Pick rows for humans from labeled/ and "
                                            "write them in a labeling tool's format.")
    export.add_argument("recipe", help="recipe name (recipes/NAME.yaml) or path")
    export.add_argument("--tool", required=True, choices=LABELING_TOOLS.names())
    export.add_argument("--budget", type=int, help="rows to send (default labeling.human.budget)")
    export.add_argument("--strategy", choices=QUEUE_STRATEGIES.names(),
                        help="how to pick rows (default labeling.human.strategy)")
    export.add_argument("--seed", type=int, help="tie-break and audit seed (default: derived "
                                                 "from the recipe seed)")
    export.add_argument("--out", help="folder for the files (default data/RECIPE/queue/TOOL)")
    export.add_argument("overrides", nargs="*", help="Hydra overrides")
    export.set_defaults(handler=cmd_export)

    imports = actions.add_parser("import", help="add a tool's annotations to the label store",
                                 description="Check a labeling tool's export against the data "
                                             "and append it to the label store as one batch "
                                             "(all or nothing).")
    imports.add_argument("recipe", help="recipe name (recipes/NAME.yaml) or path")
    imports.add_argument("file", help="the file the tool exported")
    imports.add_argument("--tool", required=True, choices=LABELING_TOOLS.names())
    imports.add_argument("--annotator", help="annotator name for CSV files without that column "
                                             "(and for Scale)")
    imports.add_argument("--by", help="who imports (default: git user.email, else the login)")
    imports.add_argument("overrides", nargs="*", help="Hydra overrides")
    imports.set_defaults(handler=cmd_import)

    status = actions.add_parser("status", help="label sources, agreement, classes and the queue",
                                description="Rows by label source, the label store, agreement, "
                                            "class counts and what the next export would pick.")
    status.add_argument("recipe", help="recipe name (recipes/NAME.yaml) or path")
    status.add_argument("--strategy", choices=QUEUE_STRATEGIES.names())
    status.add_argument("--budget", type=int)
    status.add_argument("--show", type=int, default=10, help="queue rows to preview")
    status.add_argument("overrides", nargs="*", help="Hydra overrides")
    status.set_defaults(handler=cmd_status)
