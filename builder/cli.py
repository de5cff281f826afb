"""Command line: `builder COMMAND RECIPE [HYDRA_OVERRIDES...]`.

Bad input (a `FlywheelError`) ends with its message and exit code 2, without a traceback unless
`--debug` is given. Heavy libraries are imported by the commands that need them, so `--help` and
`validate` stay fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from builder.errors import FlywheelError

#: Modules that add sub-commands, each through `add_commands(subparsers)`. They must import
#: nothing heavy at module level, so that `builder --help` stays fast.
COMMAND_MODULES = ("builder.cli", "builder.export.commands", "builder.publish.commands",
                   "builder.labeling.human.commands", "builder.engine.commands")


def root_of(args: argparse.Namespace) -> Path:
    return Path(args.root).resolve()


def cmd_validate(args: argparse.Namespace) -> int:
    from builder.recipe.compose import load

    composed = load(args.recipe, root_of(args), args.overrides)
    recipe = composed.recipe
    from builder.sources.columns_check import check_recipe_columns

    check_recipe_columns(recipe, root_of(args), composed.display_file)  # headers, not rows
    print(f"{composed.display_file}: ok ({len(recipe.sources)} sources, "
          f"{len(recipe.transforms)} transforms, splits {', '.join(recipe.split.fractions)})")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from builder.lock import build_lock
    from builder.pipeline import runner
    from builder.recipe.compose import locate
    from builder.summary import print_summary

    root = root_of(args)
    with build_lock(root, locate(args.recipe, root).stem, not args.no_wait):
        ctx = runner.build(args.recipe, root, args.overrides, progress=not args.quiet)
        print_summary(ctx)  # from this build's files: no other build replaces them meanwhile
    return 0


def cmd_stage(args: argparse.Namespace) -> int:
    from builder.lock import build_lock
    from builder.pipeline import runner

    root = root_of(args)
    if args.name != "compose" and args.overrides:
        raise FlywheelError(
            f"stage {args.name}: overrides apply when a recipe is composed; pass them to "
            "`builder stage compose` or `builder build`.")
    with build_lock(root, Path(args.recipe).stem):  # not while a build of it runs
        if args.name == "compose":
            runner.compose_stage(args.recipe, root, args.overrides)
        elif not runner.restore_stage(args.name, args.recipe, root):  # in the cache: put back
            runner.run_stage(args.name, runner.open_context(args.recipe, root))
    return 0


def recipe_command(sub, name: str, help_text: str, handler) -> argparse.ArgumentParser:
    """Add a `builder NAME RECIPE [overrides...]` sub-command."""
    p = sub.add_parser(name, help=help_text, description=help_text)
    p.add_argument("recipe", help="recipe name (recipes/NAME.yaml) or path to a YAML file")
    p.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. split.seed=7")
    p.set_defaults(handler=handler)
    return p


def add_commands(sub) -> None:
    """The core commands: validate, build, stage."""
    from builder.pipeline import STAGES

    recipe_command(sub, "validate", "compose and check a recipe without reading data", cmd_validate)
    build = recipe_command(sub, "build", "run every stage now, without DVC", cmd_build)
    build.add_argument("--quiet", action="store_true", help="no progress bar")
    build.add_argument("--no-wait", action="store_true",
                       help="fail at once when another build of the recipe is running")
    stage = sub.add_parser("stage", help="run one stage (what dvc.yaml calls)",
                           description="run one stage (what dvc.yaml calls)")
    stage.add_argument("name", choices=[s.name for s in STAGES])
    stage.add_argument("recipe")
    stage.add_argument("overrides", nargs="*", help="Hydra overrides (compose only)")
    stage.set_defaults(handler=cmd_stage)


def parser(modules: Sequence[str] = COMMAND_MODULES) -> argparse.ArgumentParser:
    """The whole command line, gathered from `COMMAND_MODULES` (`modules`: those only)."""
    import importlib

    top = argparse.ArgumentParser(
        prog="builder",
        description="Flywheel: build reproducible Hugging Face datasets from YAML recipes.",
        epilog="Example: builder build reviews split.seed=7 labeling.unlabeled=keep",
    )
    top.add_argument("--debug", action="store_true", help="show tracebacks")
    top.add_argument("--root", default=os.getcwd(), help="project folder (default: here)")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in modules:
        importlib.import_module(module).add_commands(sub)
    return top


def command_of(argv: Sequence[str]) -> str | None:
    """The sub-command `argv` names (its first word that is no option), if any."""
    words = iter(argv)
    for word in words:
        if word == "--root":
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line, options accepted anywhere among the overrides (`build X --quiet
    key=val`: argparse would stop the overrides at the first option). `builder stage`, what
    each stage of `dvc repro` runs, builds only the core commands: the others' modules are
    not imported."""
    words = sys.argv[1:] if argv is None else argv
    top = parser(COMMAND_MODULES[:1] if command_of(words) == "stage" else COMMAND_MODULES)
    args, extra = top.parse_known_args(argv)
    for token in extra:
        if token == "--debug":
            args.debug = True
        elif token.startswith("-") or not hasattr(args, "overrides"):
            top.error(f"unrecognized arguments: {' '.join(extra)}")
        else:
            args.overrides.append(token)
    return args


def output_of(args: argparse.Namespace) -> str:
    """Where a command writes, named when an OS error does not say which file (pyarrow's)."""
    out = getattr(args, "out", None)
    if out:
        return str(out)
    recipe = Path(str(getattr(args, "recipe", "") or "")).stem
    if getattr(args, "label_command", None) == "import":
        return f"the label store (labels/{recipe}/ unless labeling.human.store says otherwise)"
    return f"data/{recipe}/" if recipe else ""


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    try:
        return args.handler(args)
    except OSError as error:  # no permission, a read-only folder, a full disk
        from builder.errors import is_write_failure, output_error

        if args.debug or not is_write_failure(error):
            raise
        words = [args.command, getattr(args, "label_command", None),
                 getattr(args, "recipe", None)]
        doing = " ".join(["builder", *filter(None, words)])
        print(f"error: {output_error(error, doing, output_of(args))}", file=sys.stderr)
        return 2
    except FlywheelError as error:
        if args.debug:
            raise
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def entry_point() -> None:
    """The `builder` console script."""
    sys.exit(main())
