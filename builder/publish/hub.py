"""The Hub calls of a publish: read the repository (`fetch_remote`), send a plan as one commit
(`commit_plan`), remove what a failed run created (`Rollback`). `huggingface_hub` is imported
inside the functions."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder.publish.local import LocalBuild
from builder.publish.plan import Plan, PublishOptions, Remote, RemoteFile


def fetch_remote(api: Any, repo_id: str, revision: str) -> Remote:
    """The target branch's files and card (or main's when the branch does not exist yet)."""
    from huggingface_hub import RepoFile
    from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError

    try:
        info = api.repo_info(repo_id, repo_type="dataset", revision=revision)
        branch_exists = True
    except RevisionNotFoundError:
        info = api.repo_info(repo_id, repo_type="dataset")
        branch_exists = False
    except RepositoryNotFoundError:
        return Remote()
    remote = Remote(exists=True, private=info.private, branch_exists=branch_exists, head=info.sha)
    for entry in api.list_repo_tree(repo_id, repo_type="dataset", revision=info.sha, recursive=True):
        if isinstance(entry, RepoFile):
            remote.files[entry.path] = RemoteFile(entry.path, entry.blob_id, entry.size,
                                                  entry.lfs.sha256 if entry.lfs else None)
    if "README.md" in remote.files:
        with tempfile.TemporaryDirectory() as cache:
            path = api.hf_hub_download(repo_id, "README.md", repo_type="dataset",
                                       revision=info.sha, cache_dir=cache)
            remote.card = Path(path).read_text(encoding="utf-8")
    return remote


def commit_plan(api: Any, plan: Plan, local: LocalBuild, parent: str | None) -> Any:
    """Send the plan as one commit; returns `CommitInfo`."""
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete

    operations: list[Any] = []
    for path in plan.uploads:
        content: Any = plan.card.encode() if path == "README.md" else str(local.files[path])
        operations.append(CommitOperationAdd(path_in_repo=path, path_or_fileobj=content))
    operations += [CommitOperationDelete(path_in_repo=path) for path in plan.deletes]
    return api.create_commit(plan.options.repo_id, operations, commit_message=plan.message,
                             commit_description=plan.description, repo_type="dataset",
                             revision=plan.options.revision, parent_commit=parent)


@dataclass
class Rollback:
    """Things this run created on the Hub, removed again if publishing fails in the end."""

    repo: bool = False
    branch: bool = False

    def undo(self, api: Any, options: PublishOptions) -> str:
        done = []
        try:
            if self.repo:
                api.delete_repo(options.repo_id, repo_type="dataset")
                done.append(f"deleted the repository {options.repo_id} this run created")
            elif self.branch:
                api.delete_branch(options.repo_id, repo_type="dataset", branch=options.revision)
                done.append(f"deleted the branch {options.revision} this run created")
        except Exception:  # noqa: BLE001 - reported, the original error matters more
            what = "repository" if self.repo else "branch"
            return (f" The empty {what} this run created could not be removed (it holds no data "
                    "from this build).")
        return (" " + "; ".join(done).capitalize() + ".") if done else ""
