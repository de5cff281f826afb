"""`builder publish`. Imports nothing heavy at module level."""

from __future__ import annotations

import argparse

from builder.errors import FlywheelError


def cmd_publish(args: argparse.Namespace) -> int:
    from builder.cli import root_of
    from builder.context import open_context
    from builder.export.config import REPO_ID
    from builder.publish.local import LocalBuild
    from builder.publish.plan import PublishOptions
    from builder.publish.upload import publish

    ctx = open_context(args.recipe, root_of(args))
    settings = ctx.recipe.publish
    repo_id = args.repo_id or settings.repo_id
    if not repo_id:
        raise FlywheelError(
            f"publish {ctx.recipe.name}: no repository; pass --repo-id NAMESPACE/NAME or set "
            f"publish.repo_id in the recipe.")
    if not REPO_ID.match(repo_id):
        raise FlywheelError(
            f"--repo-id: found '{repo_id}', expected a Hub repository id 'namespace/name'.")
    local = LocalBuild.read(ctx.data_dir, ctx.recipe.name, settings.repo_id)
    options = PublishOptions(repo_id=repo_id, revision=args.revision,
                             private=args.private or settings.private, dry_run=args.dry_run)
    publish(local, options)
    return 0


def add_commands(sub) -> None:
    """`publish`."""
    publish = sub.add_parser(
        "publish", help="upload a build's Hub layout to a Hugging Face dataset repository",
        description="Upload data/RECIPE/hub/ to a Hub dataset repository in one commit (none "
        "when nothing changed), merging the card with the one on the Hub. The token comes "
        "from HF_TOKEN or the saved login; HF_ENDPOINT selects the Hub.")
    publish.add_argument("recipe", help="recipe name (recipes/NAME.yaml) or path to a YAML file")
    publish.add_argument("--repo-id", help="namespace/name (default: publish.repo_id)")
    publish.add_argument("--private", action="store_true",
                         help="create the repository private (default: publish.private)")
    publish.add_argument("--revision", default="main", help="branch to commit to (created if missing)")
    publish.add_argument("--dry-run", action="store_true",
                         help="print what would be uploaded and changed, change nothing")
    publish.set_defaults(handler=cmd_publish)
