"""What one publish would change, planned against the repository's current state (`make_plan`),
and the lines that say so (`describe_plan`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder.export.card import merge_card, split_card
from builder.publish.local import LocalBuild

DATA_PREFIX = "data/"


@dataclass(frozen=True)
class PublishOptions:
    """What the command line asked for."""

    repo_id: str
    revision: str = "main"
    private: bool = True
    dry_run: bool = False


@dataclass(frozen=True)
class RemoteFile:
    path: str
    blob_id: str
    size: int
    lfs_sha256: str | None


@dataclass
class Remote:
    """The repository as it is on the Hub (at `head` of the target branch, or of main)."""

    exists: bool = False
    private: bool | None = None
    branch_exists: bool = False
    head: str | None = None
    files: dict[str, RemoteFile] = field(default_factory=dict)
    card: str | None = None


@dataclass
class Plan:
    """What one publish would change."""

    options: PublishOptions
    remote: Remote
    message: str
    description: str
    uploads: dict[str, str] = field(default_factory=dict)  # path -> "new" | "changed"
    deletes: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    card: str | None = None  # the merged card, when it differs from the remote one
    metadata_changes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.uploads and not self.deletes


@dataclass
class Result:
    """What publishing did: the commit made (None when up to date) and the plan behind it."""

    plan: Plan
    commit: str | None = None
    commit_url: str | None = None


def git_blob_sha1(data: bytes) -> str:
    """The git object id of a blob (how the Hub names a regular file's content)."""
    import hashlib

    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def same_content(local: Path, sha256: str, remote: RemoteFile) -> bool:
    if remote.lfs_sha256 is not None:
        return remote.lfs_sha256 == sha256
    return remote.blob_id == git_blob_sha1(local.read_bytes())


def metadata_changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Human-readable changes between two metadata mappings, by top-level key."""
    changes = [f"{k} added" for k in after if k not in before]
    changes += [f"{k} changed" for k in after if k in before and before[k] != after[k]]
    return changes + [f"{k} removed" for k in before if k not in after]


def make_plan(local: LocalBuild, remote: Remote, options: PublishOptions) -> Plan:
    """Compare the build with the remote repository file by file."""
    plan = Plan(
        options=options, remote=remote,
        message=f"Publish {local.recipe} (content sha256 {local.content_hash})",
        description=(f"Built by Flywheel from the recipe `{local.recipe}`. Content hash: sha256 "
                     f"over the parquet shards' sha256s, `export.content_hash` in metrics.json."))
    for path, file in local.files.items():
        if path == "README.md":
            continue
        theirs = remote.files.get(path)
        if theirs is None:
            plan.uploads[path] = "new"
        elif same_content(file, local.sha256[path], theirs):
            plan.unchanged.append(path)
        else:
            plan.uploads[path] = "changed"
    plan.deletes = sorted(p for p in remote.files if p.startswith(DATA_PREFIX) and p not in local.files)
    card = merge_card(remote.card, local.card_for(options.repo_id))
    if card == remote.card:
        plan.unchanged.append("README.md")
    else:
        plan.card = card
        plan.uploads["README.md"] = "new" if remote.card is None else "changed"
        before = split_card(remote.card)[0] if remote.card is not None else {}
        plan.metadata_changes = metadata_changes(before, split_card(card)[0])
    return plan


def describe_plan(plan: Plan, local: LocalBuild, endpoint: str, anonymous: bool = False) -> list[str]:
    """The lines `--dry-run` (and a real publish) prints."""
    options, remote = plan.options, plan.remote
    visibility = "private" if options.private else "public"
    lines = [f"publish {local.recipe} -> dataset {options.repo_id} (branch {options.revision}) at {endpoint}"]
    if not remote.exists:
        unseen = " (or it is private: without a token it cannot be seen)" if anonymous else ""
        lines.append(f"  repository: will be created ({visibility}){unseen}")
    else:
        lines.append(f"  repository: exists ({'private' if remote.private else 'public'}), head {remote.head}")
        if remote.private != options.private:
            lines.append(f"  note: an existing repository keeps its visibility (asked: {visibility})")
    if not remote.branch_exists and options.revision != "main":
        lines.append(f"  branch {options.revision}: will be created from main")
    for path, why in plan.uploads.items():
        size = len(plan.card.encode()) if path == "README.md" and plan.card else local.files[path].stat().st_size
        lines.append(f"  upload {path} ({why}, {size:,} bytes)")
    if "README.md" in plan.uploads:
        kept = " (their other keys and prose outside the generated block are kept)" if remote.card else ""
        changed = ", ".join(plan.metadata_changes) or "no metadata change"
        lines.append(f"  card: {changed}{kept}")
    lines += [f"  delete {path} (not in this build)" for path in plan.deletes]
    if plan.unchanged:
        lines.append(f"  unchanged: {len(plan.unchanged)} file(s)")
    lines.append(f"  commit message: {plan.message}" if not plan.empty else
                 f"  up to date (content sha256 {local.content_hash}): no commit needed")
    return lines
