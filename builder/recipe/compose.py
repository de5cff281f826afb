"""Find a recipe, compose it with Hydra from `conf/` presets and overrides, and validate it."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder.errors import FlywheelError, RecipeError, RecipeErrors, did_you_mean
from builder.recipe.schema import Recipe
from builder.recipe.validate import build_recipe


@dataclass(frozen=True)
class Composed:
    """A composed recipe: the validated dataclasses, the plain resolved dict and its file."""

    recipe: Recipe
    data: dict[str, Any]
    file: Path
    overrides: tuple[str, ...]

    @property
    def display_file(self) -> str:
        return display_path(self.file)

    def resolved(self) -> dict[str, Any]:
        """The recipe with every default filled in, as plain data (what `recipe.yaml` holds)."""
        return dataclasses.asdict(self.recipe)


def display_path(path: Path) -> str:
    """`path` relative to the working directory when it lies below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def locate(ref: str, root: Path) -> Path:
    """The recipe file for `ref`: a path to a YAML file, or a name under `recipes/`."""
    if ref.endswith((".yaml", ".yml")) or "/" in ref:
        path = Path(ref)
        if not path.is_absolute():
            path = (Path.cwd() / path)
    else:
        path = root / "recipes" / f"{ref}.yaml"
    if not path.is_file():
        known = sorted(p.stem for p in (root / "recipes").glob("*.yaml"))
        raise FlywheelError(
            f"{display_path(path)}: recipe not found; expected a file, or the name of one of "
            f"recipes/*.yaml ({', '.join(known) or 'none there'})." + did_you_mean(ref, known)
        )
    return path.resolve()


def compose_dict(file: Path, root: Path, overrides: Sequence[str]) -> dict[str, Any]:
    """Compose `file` with Hydra, presets from `root/conf`, and command-line overrides."""
    from hydra import compose, initialize_config_dir
    from hydra.errors import HydraException
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException
    from yaml import YAMLError

    shown = display_path(file)
    search = f"hydra.searchpath=[file://{(root / 'conf').resolve()}]"
    try:
        with initialize_config_dir(config_dir=str(file.parent), version_base=None):
            cfg = compose(config_name=file.stem, overrides=[search, *overrides])
        data = OmegaConf.to_container(cfg, resolve=True)
    except YAMLError as error:
        raise FlywheelError(f"{shown}: is not valid YAML: {_one_line(error)}") from error
    except (HydraException, OmegaConfBaseException) as error:
        raise FlywheelError(
            f"{shown}: cannot be composed: {_one_line(error)} Presets live in conf/ "
            f"(conf/base.yaml, conf/<group>/<name>.yaml); overrides look like key=value."
        ) from error
    if not isinstance(data, dict):
        raise FlywheelError(f"{shown}: found {type(data).__name__}, expected a mapping.")
    return data


def _one_line(error: Exception) -> str:
    text = " ".join(str(error).split())
    return text if text.endswith(".") else text + "."


def forbid_targets(data: Any, file: str, key: str = "") -> list[RecipeError]:
    """Recipes choose implementations with `type:`, never Hydra's `_target_`."""
    errors = []
    if isinstance(data, Mapping):
        for name, value in data.items():
            path = f"{key}.{name}" if key else str(name)
            if name == "_target_":
                errors.append(RecipeError(
                    file, path, "is not allowed in a recipe; use a `type:` key to pick an "
                    "implementation from builder's registries."))
            else:
                errors += forbid_targets(value, file, path)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            errors += forbid_targets(value, file, f"{key}[{i}]")
    return errors


def load(ref: str, root: Path, overrides: Sequence[str] = ()) -> Composed:
    """Locate, compose and validate a recipe without reading any data."""
    file = locate(ref, root)
    data = compose_dict(file, root, overrides)
    return from_dict(data, file, root, tuple(overrides))


def from_dict(data: dict[str, Any], file: Path, root: Path, overrides=()) -> Composed:
    """Validate an already composed recipe dict (e.g. a resolved `recipe.yaml`)."""
    shown = display_path(file)
    errors = forbid_targets(data, shown)
    if errors:
        raise RecipeErrors(errors)
    recipe = build_recipe(data, shown, root)
    if file.name != "recipe.yaml" and recipe.name != file.stem:
        raise RecipeErrors([RecipeError(
            shown, "name", f"found '{recipe.name}', expected '{file.stem}', the file's name "
            "(outputs go to data/<name>/ and dvc.yaml refers to recipes by file name).")])
    return Composed(recipe=recipe, data=data, file=file, overrides=tuple(overrides))


def load_resolved(path: Path, root: Path) -> Composed:
    """Read a `data/<recipe>/recipe.yaml` written by the compose stage."""
    import yaml

    if not path.is_file():
        raise FlywheelError(
            f"{display_path(path)}: not found; run the compose stage first "
            f"(`builder stage compose {path.parent.name}` or `dvc repro`).")
    with path.open() as fh:
        data = yaml.safe_load(fh)
    return from_dict(data, path, root)
