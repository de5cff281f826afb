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
    )


def summary_rows(metrics: dict) -> list[list[str]]:
    """Rows of the build summary's class table: class, before, target, after, how."""
    balance = (metrics.get("augment") or {}).get("balance")
    if not balance:
        return []
    return [[name, str(c["before"]), str(c["target"]), str(c["after"]), str(c["method"])]
            for name, c in balance["classes"].items()]
