"""The dataset card's balancing section and the build summary's class table, from the metrics."""

from __future__ import annotations

from typing import Any

from builder.balance.origins import origins as all_origins
from builder.markdown import table


def _share(count: int, total: int) -> str:
    return f"{count} ({count / total:.0%})" if total else str(count)


def section_balance(composed: Any, metrics: dict) -> str:
    """Each train class before and after, its target, the strategy and why it was chosen."""
    augment = metrics.get("augment") or {}
    balance = augment.get("balance")
    train = augment.get("train_classes")
    if not balance and not train:
        return ""
    if not balance:
        before, after = train["before"], train["after"]
        if before == after:
            return ""
        rows = [[c, _share(before[c], sum(before.values())), _share(after[c], sum(after.values()))]
                for c in before]
        return ("## Train split classes\n\nNo balance target; rows were added to the train split "
                "only.\n\n" + table(["class", "before", "after"], rows))
    classes = balance["classes"]
    total_before = sum(c["before"] for c in classes.values())
    total_after = sum(c["after"] for c in classes.values())
    rows = []
    for name, c in classes.items():
        origins = ", ".join(f"{o} {n}" for o, n in c.get("rows_by_origin", {}).items())
        rows.append([name, _share(c["before"], total_before), c["target"],
                     _share(c["after"], total_after), c["method"], origins,
                     f"{c['reason']} ({c['chosen_by']})"])
    return (
        "## Balancing\n\n"
        f"Target for the train split: {balance['target']}. Only the train split is balanced; "
        "validation and test rows are real and untouched. `_origin` marks every row "
        f"({', '.join(all_origins())}).\n\n"
        + table(["class", "before", "target", "after", "how", "rows by origin", "why"], rows)
        + "\n\n`after` also counts synthetic rows added by `synthetic.rows` or scenarios."
        + section_selection(balance.get("selection"))
    )


def selection_line(selection: dict | None) -> str:
    """One sentence on how the plan was chosen: auto's pick, the recipe's plan against it, or
    the fallback to the rule-based planner."""
    if not selection:
        return ""
    if "fallback" in selection:
        return f"Cross-validation was not possible: {selection['fallback']}."
    means = {n: c["mean"] for n, c in selection["candidates"].items()}
    metric, pick = selection["metric"], selection["auto_pick"]
    if selection["chosen_by"] == "recipe":
        chosen = selection["chosen"]
        return (f"The recipe's plan ({chosen}) scored {means[chosen]:.3f} cross-validated "
                f"{metric}; auto would have picked {pick} ({means[pick]:.3f}).")
    line = f"auto picked {pick} ({means[pick]:.3f} cross-validated {metric})"
    if selection["best"] != pick:
        best = selection["best"]
        line += (f", simpler than the best, {best} ({means[best]:.3f}), and within the "
                 f"tolerance {selection['tolerance']:g}")
    return line + "."


def section_selection(selection: dict | None) -> str:
    """The candidates' fold scores on the real train rows, and the choice."""
    if not selection:
        return ""
    if "fallback" in selection:
        return "\n\n" + selection_line(selection) + " The classes' reasons above are the planner's."
    chosen = selection["chosen"]
    rows = [[("**" + name + "**") if name == chosen else name,
             ", ".join(f"{c}: {s}" for c, s in candidate["plan"].items()),
             " / ".join(f"{v:.3f}" for v in candidate["fold_scores"]), f"{candidate['mean']:.3f}"]
            for name, candidate in selection["candidates"].items()]
    group = f", folds by `{selection['group']}`" if selection.get("group") else ""
    return ("\n\n### How the plan was chosen\n\n"
            f"Candidate plans were cross-validated on {selection['rows']} real train rows "
            f"({selection['folds']} folds{group}; validation and test rows unseen), scored by "
            f"the efficacy model's {selection['metric']} on each held-out fold. "
            + selection_line(selection) + "\n\n"
            + table(["plan", "strategies", "fold scores", "mean"], rows))


def summary_rows(metrics: dict) -> list[list[str]]:
    """Rows of the build summary's class table: class, before, target, after, how."""
    balance = (metrics.get("augment") or {}).get("balance")
    if not balance:
        return []
    return [[name, str(c["before"]), str(c["target"]), str(c["after"]), str(c["method"])]
            for name, c in balance["classes"].items()]


def summary_caption(metrics: dict) -> str:
    """The build summary's line under the class table: how the plan was chosen."""
    balance = (metrics.get("augment") or {}).get("balance") or {}
    return selection_line(balance.get("selection"))
