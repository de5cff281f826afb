"""Find a recipe, compose it with Hydra from `conf/` presets and overrides, and validate it."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder.errors import FlywheelError, RecipeError, RecipeErrors, did_you_mean, one_of
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
        """The recipe with every default filled in, as plain data (what `recipe.yaml` holds).

        Without `engine`: where a build runs never changes its outputs, so it is no DVC
        parameter and not part of the card (the compose stage writes it to `engine.yaml`)."""
        resolved = dataclasses.asdict(self.recipe)
        resolved.pop("engine", None)
        return resolved

    @property
    def content_overrides(self) -> tuple[str, ...]:
        """The overrides that change what is built: all but those of `engine`."""
        def key(text: str) -> str:
            return text.lstrip("+~").split("=", 1)[0].split("@", 1)[0].split(".", 1)[0]

        return tuple(o for o in self.overrides if key(o) != "engine")

    def engine(self) -> dict[str, Any]:
        """The resolved `engine` section, as plain data (what `engine.yaml` holds)."""
        return dataclasses.asdict(self.recipe.engine_config)


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
    from hydra.errors import HydraException, MissingConfigException
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException
    from yaml import YAMLError

    shown = display_path(file)
    search = f"hydra.searchpath=[file://{(root / 'conf').resolve()}]"
    hydra_overrides = prepare_overrides(overrides, file, root)
    try:
        with initialize_config_dir(config_dir=str(file.parent), version_base=None):
            try:
                cfg = compose(config_name=file.stem, overrides=[search, *hydra_overrides])
            except TypeError as error:  # Hydra on a group override that is not a name
                raise FlywheelError(
                    f"{shown}: cannot be composed: {_one_line(error)} Expected a group "
                    "override to name a preset (transforms=text_cleanup), and each entry of "
                    "the defaults list to be a preset name or {group: name}.") from error
            except ValueError as error:  # Hydra's word for a malformed defaults list
                raise FlywheelError(
                    f"{shown}: defaults: {_one_line(error)} Expected a list of presets, e.g. "
                    "[base, {transforms: text_cleanup}, _self_].") from error
        data = OmegaConf.to_container(cfg, resolve=True)
    except YAMLError as error:
        raise yaml_error(error, file) from error
    except MissingConfigException as error:
        raise missing_preset(error, file, root, overrides) from error
    except OmegaConfBaseException as error:
        if "Cannot merge" in str(error):
            mismatch = shape_mismatch(file, overrides)
            if mismatch is not None:
                raise mismatch from error
        where = f"{error.full_key}: " if getattr(error, "full_key", None) else ""
        reason = _one_line(str(error).splitlines()[0])
        raise FlywheelError(f"{shown}: {where}cannot be resolved: {reason} Expected each "
                            "interpolation ${...} to name a key of the composed recipe.") from error
    except HydraException as error:
        if "Cannot merge" in str(error) or "Error merging override" in str(error):
            mismatch = shape_mismatch(file, overrides)
            if mismatch is not None:
                raise mismatch from error
        raise FlywheelError(
            f"{shown}: cannot be composed: {_one_line(error)} Presets live in conf/ "
            f"(conf/base.yaml, conf/<group>/<name>.yaml); overrides look like key=value."
        ) from error
    if not isinstance(data, dict):
        raise FlywheelError(f"{shown}: found {type(data).__name__}, expected a mapping.")
    return data


def prepare_overrides(overrides: Sequence[str], file: Path, root: Path) -> list[str]:
    """The overrides as Hydra gets them: `key=value` becomes `++key=value`.

    Hydra refuses to set a key that no preset or recipe mentions (`split.seed=7` when no file
    sets `split.seed`), yet every schema key may be set from the command line; the validator
    then names any unknown key. Group overrides (`split=train_test`, a folder under `conf/`) and
    overrides with their own prefix (`+`, `++`, `~`) or a package (`@`) pass unchanged."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.core.override_parser.types import OverrideType
    from hydra.errors import HydraException

    parser = OverridesParser.create()
    prepared = []
    for text in overrides:
        try:
            override = parser.parse_override(text)
        except HydraException as error:
            reason = str(error).splitlines()[0]
            raise FlywheelError(
                f"{display_path(file)}: override '{text}': is not a valid override ({reason}); "
                "expected key=value (split.seed=7, task.classes=[a,b]) or group=preset "
                "(split=train_test)."
            ) from error
        group = override.key_or_group.replace(".", "/")
        is_group = any((folder / group).is_dir() for folder in (root / "conf", file.parent))
        if override.type is OverrideType.CHANGE and override.package is None and not is_group:
            text = "++" + text
        prepared.append(text)
    return prepared


def shape_mismatch(file: Path, overrides: Sequence[str]) -> RecipeError | None:
    """The key where the recipe (or an override) gives a list and the schema, and so the
    presets, a mapping (or the other way round), which Hydra cannot merge."""
    import yaml

    try:
        data = yaml.safe_load(file.read_text())
    except (OSError, yaml.YAMLError):
        return None
    found = _first_mismatch(Recipe, data, "") if isinstance(data, dict) else None
    culprit = None
    if found is None:
        for text in overrides:
            key, _, value = text.partition("=")
            value = value.strip()
            if value[:1] in "[{":
                shaped = [] if value.startswith("[") else {}
                found = _mismatch_at(override_key(key), shaped)
                if found is not None:
                    culprit = text
                    break
    if found is None:
        return None
    path, found_kind, wanted = found
    preset = _preset_of(data, path) if isinstance(data, dict) else None
    origin = f"a preset ({preset}) defines it" if preset else "the recipe or its presets define it"
    where = f"{display_path(file)}" + (f": override '{culprit}'" if culprit else "")
    return RecipeError(where, path, (
        f"found {found_kind}, but {origin} as {wanted}, and the two cannot be merged; "
        f"expected {wanted} here too" + (" (`name: value` entries, not `- item`)."
                                         if found_kind == "a list" else ".")))


def _first_mismatch(tp: Any, value: Any, key: str) -> tuple[str, str, str] | None:
    """(key, what was found, what was expected) of the first list-for-mapping mismatch."""
    import types
    import typing

    from builder.recipe.validate import expected

    union = typing.get_origin(tp) in (typing.Union, types.UnionType)
    options = [a for a in typing.get_args(tp) if a is not type(None)] if union else [tp]
    mapping = all(dataclasses.is_dataclass(o) or typing.get_origin(o) is dict for o in options)
    listing = all(typing.get_origin(o) is list for o in options)
    if isinstance(value, list) and mapping and key:
        return key, "a list", expected(tp).replace(" or null", "")
    if isinstance(value, Mapping) and listing and key:
        return key, "a mapping", expected(tp).replace(" or null", "")
    if not isinstance(value, Mapping) or len(options) != 1:
        return None
    option = options[0]
    if dataclasses.is_dataclass(option) and getattr(option, "registry", None) is None:
        hints = typing.get_type_hints(option)
        for name, item in value.items():
            if name in hints:
                found = _first_mismatch(hints[name], item, f"{key}.{name}" if key else name)
                if found:
                    return found
    elif typing.get_origin(option) is dict:
        inner = typing.get_args(option)[1]
        for name, item in value.items():
            found = _first_mismatch(inner, item, f"{key}.{name}")
            if found:
                return found
    return None


def _mismatch_at(key: str, value: Any) -> tuple[str, str, str] | None:
    """`_first_mismatch` for a value set at a dotted key by an override."""
    data: Any = value
    for part in reversed(key.split(".")):
        data = {part: data}
    return _first_mismatch(Recipe, data, "")


def _preset_of(data: dict, key: str) -> str | None:
    """The preset file a recipe's defaults list picks for the group a key lies in."""
    group = key.split(".", 1)[0]
    for entry in data.get("defaults") or []:
        if isinstance(entry, Mapping) and group in entry:
            return f"conf/{group}/{entry[group]}.yaml"
    return None


def yaml_error(error: Exception, file: Path) -> FlywheelError:
    """A YAML error as a message naming the file (the recipe or a preset) and the place.

    OmegaConf's loader rejects a key repeated in one mapping; the message then gives the
    dotted key path and both lines."""
    mark = getattr(error, "problem_mark", None)
    where = Path(mark.name) if mark is not None and Path(str(mark.name)).is_file() else file
    shown = display_path(where)
    duplicates = duplicate_keys(where.read_text())
    if duplicates:
        return RecipeErrors([
            RecipeError(shown, key, f"is defined twice (lines {first} and {second}); expected "
                        "each key once in a mapping (a later preset or override may replace it).")
            for key, first, second in duplicates])
    problem = getattr(error, "problem", None) or _one_line(error)
    context = getattr(error, "context", None)
    context_mark = getattr(error, "context_mark", None)
    text = f"{shown}: is not valid YAML"
    if mark is not None:
        text += f": line {mark.line + 1}, column {mark.column + 1}"
    text += f": {problem}"
    if context and context_mark is not None:
        text += f" ({context} started at line {context_mark.line + 1})"
    return FlywheelError(text + ".")


def duplicate_keys(text: str) -> list[tuple[str, int, int]]:
    """(dotted key, first line, second line) for each key repeated within one YAML mapping."""
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return []
    found: list[tuple[str, int, int]] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key_node, value_node in node.value:
                key = str(key_node.value)
                child = f"{path}.{key}" if path else key
                line = key_node.start_mark.line + 1
                if key in seen:
                    found.append((child, seen[key], line))
                else:
                    seen[key] = line
                walk(value_node, child)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, f"{path}[{i}]")

    walk(root, "")
    return found


def missing_preset(error: Any, file: Path, root: Path, overrides: Sequence[str]) -> FlywheelError:
    """A preset named in a defaults list or a group override that is not under `conf/`."""
    missing = str(error.missing_cfg_file or "")
    group, _, option = missing.rpartition("/")
    if error.options is not None:
        options = list(error.options)
    else:
        options = sorted(p.stem for p in (root / "conf" / group).glob("*.yaml"))
    folder = f"conf/{group}/" if group else "conf/"
    culprit = next((o for o in overrides if group and o.split("=", 1)[0].lstrip("+") == group),
                   None)
    if culprit is not None:
        where = f"{display_path(file)}: override '{culprit}'"
    else:
        where = f"{_defaults_file(str(error), file, root)}: defaults"
    return FlywheelError(
        f"{where}: found '{missing}', which is not a preset; expected one of {folder}: "
        f"{one_of(options)}." + did_you_mean(option, options))


def _defaults_file(message: str, file: Path, root: Path) -> str:
    """The file whose defaults list names a missing preset (Hydra says "In 'base': ...")."""
    match = re.match(r"In '([^']+)'", message)
    parent = match.group(1) if match else file.stem
    if parent == file.stem:
        return display_path(file)
    preset = root / "conf" / f"{parent}.yaml"
    return display_path(preset) if preset.is_file() else parent


def _one_line(error: object) -> str:
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
    try:
        return from_dict(data, file, root, tuple(overrides))
    except RecipeErrors as errors:
        raise RecipeErrors([blame_override(e, overrides) for e in errors.errors]) from errors


def blame_override(error: RecipeError, overrides: Sequence[str]) -> RecipeError:
    """Add to a recipe error which command-line override set the key it names; an unknown key
    that an override introduced is that override's error (`splt.seed=7: no key 'splt'`)."""
    for text in overrides:
        key = override_key(text)
        if error.message.startswith("is not a known key") and (
                key == error.key or key.startswith(f"{error.key}.")):
            leaf = error.key.rsplit(".", 1)[-1]
            rest = error.message.removeprefix("is not a known key")
            return RecipeError(f"override '{text}'", "", f"no key '{leaf}'{rest}", error.hint)
        if error.key == key or error.key.startswith((f"{key}.", f"{key}[")):
            hint = " ".join(filter(None, [error.hint, f"It comes from the override '{text}'."]))
            return RecipeError(error.file, error.key, error.message, hint)
    return error


def override_key(text: str) -> str:
    """The dotted key an override sets: `split.seed` for `++split.seed=7`."""
    return text.lstrip("+~").split("=", 1)[0].split("@", 1)[0]


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
    engine = path.with_name("engine.yaml")
    if isinstance(data, dict) and "engine" not in data and engine.is_file():
        data["engine"] = yaml.safe_load(engine.read_text())
    return from_dict(data, path, root)
