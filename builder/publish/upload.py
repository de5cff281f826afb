"""One publish: plan and make one commit (or none), retrying transient failures with backoff
and re-planning each time (`publish`); see `builder.publish`."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from builder.errors import FlywheelError
from builder.publish.endpoint import hub_endpoint
from builder.publish.hub import Rollback, commit_plan, fetch_remote
from builder.publish.local import LocalBuild
from builder.publish.plan import PublishOptions, Result, describe_plan, make_plan
from builder.publish.retries import explain, is_transient, scrub, short


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
                out(scrub(f"  attempt {attempt} failed ({short(error)}); retrying in {wait:g} s", token))
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
