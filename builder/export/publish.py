"""`builder publish`: put a build's Hub layout (`data/<recipe>/hub/`) in a Hub dataset repository.

One publish is one commit, planned against the repository's current state:
- shards under `data/` that are new or differ from the remote ones are uploaded; remote files
  under `data/` that the build no longer has are deleted; every other remote file (images,
  `.gitattributes`, the owner's extra files) is left alone;
- `README.md` is the build's card merged into the remote one (`card.merge_card`): metadata keys
  the build generates take the build's values, the owner's other keys are kept, and only the
  generated block between the `flywheel:begin`/`flywheel:end` markers is replaced;
- when nothing differs, no commit is made.

The commit's title names the recipe and the dataset's content hash. It is sent with the head the
plan was made against as `parent_commit`, so a push that happened in between makes it fail
instead of being overwritten. A commit is all or nothing on the Hub: a failed attempt changes
nothing there. Network errors and 429/5xx/412 answers are retried with backoff, re-planning
each time; after the last attempt, a repository or branch this run created is removed again.

The token comes from `HF_TOKEN` or the saved login (`huggingface_hub.get_token`); it is only
ever passed to the client, and scrubbed from any message shown.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder import artifacts
from builder.errors import FlywheelError
from builder.export.card import merge_card, split_card

PLACEHOLDER_REPO = "<namespace>/<name>"
RETRY_STATUS = frozenset({408, 412, 429, 500, 502, 503, 504})
DATA_PREFIX = "data/"


@dataclass(frozen=True)
class PublishOptions:
    """What the command line asked for."""

    repo_id: str
    revision: str = "main"
    private: bool = True
    dry_run: bool = False


@dataclass
class LocalBuild:
    """The files of `data/<recipe>/hub/` and the figures that name them."""

    recipe: str
    folder: Path
    files: dict[str, Path]
    sha256: dict[str, str]
    card: str
    content_hash: str
    card_repo_id: str | None

    @classmethod
    def read(cls, data_dir: Path, recipe: str, card_repo_id: str | None) -> LocalBuild:
        """Read and check a build: every shard must match the checksums in `metrics.json`."""
        folder = data_dir / "hub"
        metrics = artifacts.read_json(data_dir / "metrics.json")
        if not (folder / "README.md").is_file() or "export" not in metrics:
            raise FlywheelError(
                f"{folder}: no finished build to publish; run `builder build {recipe}` or "
                "`dvc repro` first.")
        files = {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()}
        shards = metrics["export"]["shards"]
        sha256 = {path: artifacts.sha256_file(p) for path, p in files.items() if path != "README.md"}
        if sha256 != shards:
            raise FlywheelError(
                f"{folder}: the files differ from the shard checksums in {data_dir / 'metrics.json'} "
                f"(a build was interrupted or a file was edited); rebuild with `builder build {recipe}`.")
        return cls(recipe=recipe, folder=folder, files=files, sha256=sha256,
                   card=(folder / "README.md").read_text(), content_hash=metrics["export"]["content_hash"],
                   card_repo_id=card_repo_id)

    def card_for(self, repo_id: str) -> str:
        """The card, with the load snippet naming the repository it is published to."""
        old = self.card_repo_id or PLACEHOLDER_REPO
        return self.card.replace(f'load_dataset("{old}")', f'load_dataset("{repo_id}")')


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


def _chain(error: BaseException) -> list[BaseException]:
    """The exception and its causes, outermost first."""
    chain: list[BaseException] = []
    seen: BaseException | None = error
    while seen is not None and seen not in chain:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    return chain


def root_cause(error: BaseException) -> BaseException:
    """The HTTP or network error behind `error` (the client wraps upload failures), or itself."""
    import httpx2
    from huggingface_hub.errors import HfHubHTTPError

    for item in _chain(error):
        if isinstance(item, (HfHubHTTPError, httpx2.TransportError)):
            return item
    return error


#: Calls the client already retries with backoff itself (pre-upload and LFS transfers).
_CLIENT_RETRIED = ("/preupload/", "/info/lfs/", "/lfs-upload/")


def is_transient(error: BaseException) -> bool:
    """Worth another attempt: a network failure or a 408/412/429/5xx answer, except from a call
    the client already retried (uploads), so that waits do not multiply."""
    import httpx2
    from huggingface_hub.errors import HfHubHTTPError

    cause = root_cause(error)
    request = getattr(cause, "request", None) if isinstance(cause, httpx2.TransportError) else \
        getattr(getattr(cause, "response", None), "request", None)
    url = str(getattr(request, "url", "") or "")
    if getattr(request, "method", "") == "PUT" or any(part in url for part in _CLIENT_RETRIED):
        return False
    if isinstance(cause, httpx2.TransportError):
        return True
    return isinstance(cause, HfHubHTTPError) and cause.response is not None \
        and cause.response.status_code in RETRY_STATUS


def explain(error: BaseException, options: PublishOptions, endpoint: str) -> str:
    """One sentence on what went wrong and what to do."""
    import httpx2
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

    uploading = next((str(e) for e in _chain(error) if str(e).startswith("Error while uploading")), "")
    error = root_cause(error)
    status = getattr(getattr(error, "response", None), "status_code", None)
    detail = " ".join(f"{uploading} {error}".split())
    if isinstance(error, httpx2.TransportError):
        return (f"cannot reach the Hub at {endpoint} ({type(error).__name__}: {detail}). Check the "
                "network or HF_ENDPOINT, then publish again.")
    if status == 401:
        return ("the Hub rejected the token (401 Unauthorized). Set HF_TOKEN to a token with write "
                "access, or log in again with `hf auth login`.")
    if status == 403:
        return (f"the token may not write to {options.repo_id} (403 Forbidden). Use a token with "
                "write access to that namespace.")
    if isinstance(error, RepositoryNotFoundError):
        return (f"the repository {options.repo_id} was not found or is not accessible with this "
                "token. Check --repo-id and the token's permissions.")
    if isinstance(error, ValueError) and "metadata" in detail:
        return (f"the Hub rejected the card's metadata ({detail}). Fix the `publish` section of the "
                "recipe and rebuild.")
    if isinstance(error, HfHubHTTPError):
        said = " ".join(f"{uploading} {error.server_message or error}".split())
        url = getattr(error.response, "url", None) if error.response is not None else None
        where = f" to {getattr(error.response.request, 'method', '')} {url}" if url else ""
        return (f"the Hub answered HTTP {status}{where}: {said}. Publish again later; if it keeps "
                f"failing, check the Hub's status ({endpoint}).")
    return f"{type(error).__name__}: {detail}"


def scrub(text: str, token: str | None) -> str:
    """`text` without the token (should any library put it in a message)."""
    return text.replace(token, "***") if token else text


def hub_endpoint() -> str:
    """`HF_ENDPOINT` as set now (the client library reads it only once, at import)."""
    from huggingface_hub import constants

    return (os.environ.get("HF_ENDPOINT") or constants.ENDPOINT).rstrip("/")


def publish(local: LocalBuild, options: PublishOptions, *, attempts: int = 4, backoff: float = 1.0,
            out: Callable[[str], None] = print) -> Result:
    """Plan and make one commit (or none), retrying transient failures; see the module doc."""
    from huggingface_hub import HfApi, get_token

    token = get_token()
    endpoint = hub_endpoint()
    if token is None and not options.dry_run:
        raise FlywheelError(
            f"publish {local.recipe}: no Hugging Face token. Set HF_TOKEN or log in with "
            "`hf auth login` (the token is read, never stored by Flywheel).")
    api = HfApi(endpoint=endpoint, token=token or False, library_name="flywheel")
    rollback = Rollback()
    for attempt in range(1, attempts + 1):
        try:
            # The plan is printed once; a retry re-plans silently against the new remote state.
            return _attempt(api, local, options, rollback, endpoint, out if attempt == 1 else _quiet)
        except FlywheelError:
            raise
        except Exception as error:  # noqa: BLE001 - classified below
            if is_transient(error) and attempt < attempts:
                wait = backoff * 2 ** (attempt - 1)
                out(scrub(f"  attempt {attempt} failed ({_short(error)}); retrying in {wait:g} s", token))
                time.sleep(wait)
                continue
            undone = "" if options.dry_run else rollback.undo(api, options)
            tries = f" after {attempt} attempts" if attempt > 1 else ""
            raise FlywheelError(scrub(
                f"publish {local.recipe} to {options.repo_id} failed{tries}: "
                f"{explain(error, options, endpoint)} The repository on the Hub is as it was "
                f"(a commit is all or nothing).{undone}", token)) from None
    raise AssertionError("unreachable")


def _quiet(line: str) -> None:
    pass


def _short(error: BaseException) -> str:
    error = root_cause(error)
    status = getattr(getattr(error, "response", None), "status_code", None)
    return f"HTTP {status}" if status else type(error).__name__


def _attempt(api: Any, local: LocalBuild, options: PublishOptions, rollback: Rollback,
             endpoint: str, out: Callable[[str], None]) -> Result:
    remote = fetch_remote(api, options.repo_id, options.revision)
    plan = make_plan(local, remote, options)
    for line in describe_plan(plan, local, endpoint, anonymous=api.token is False):
        out(line)
    if options.dry_run:
        out("dry run: nothing was uploaded or changed.")
        return Result(plan=plan)
    parent = remote.head
    if not remote.exists:
        api.create_repo(options.repo_id, repo_type="dataset", private=options.private, exist_ok=True)
        rollback.repo = True
        parent = None
    if not remote.branch_exists and options.revision != "main":
        # The branch starts at main's head; with nothing to change, creating it is the publish.
        api.create_branch(options.repo_id, repo_type="dataset", branch=options.revision,
                          revision=remote.head, exist_ok=True)
        rollback.branch = True
        if plan.empty:
            out(f"created branch {options.revision} at {remote.head}")
    if plan.empty:
        return Result(plan=plan)
    info = commit_plan(api, plan, local, parent)
    out(f"committed {info.oid}: {info.commit_url}")
    return Result(plan=plan, commit=info.oid, commit_url=info.commit_url)
