"""Turn a composed recipe (plain dicts) into schema dataclasses, collecting every problem.

Each problem becomes a `RecipeError` that names the recipe file, the dotted key path, what was
found and what was expected. Nothing here reads data: only the recipe and the file system.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from builder.errors import RecipeError, RecipeErrors, did_you_mean, one_of
from builder.recipe.registry import Registry, UnknownType
from builder.recipe.schema import CheckContext, Recipe

_INVALID = object()
_BOOL_KEY_HINT = (" YAML reads an unquoted on, off, yes or no as true or false; quote such a key "
                  "('on') or use the key the schema names.")
_BOOL_VALUE_HINT = (" YAML 1.1 reads an unquoted yes, no, on, off, true or false as a boolean; "
                    "quote it to mean the word: 'yes'.")


def bool_hint(value: Any) -> str:
    """The quoting hint when a boolean stands where a word was expected."""
    return _BOOL_VALUE_HINT if isinstance(value, bool) else ""


def describe(value: Any) -> str:
    """A short rendering of a found value for messages."""
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"'{value}'" if len(value) < 60 else f"'{value[:57]}...'"
    if value is None or isinstance(value, bool):  # as the YAML reads
        return {None: "null", True: "true", False: "false"}[value]
    return repr(value)


def registered_names(tp: Any) -> list[str] | None:
    """The names a key may take when its annotation is `Annotated[str, REGISTRY]` (a recipe
    value that names a registered choice: a label model, a labeling tool, ...), else None."""
    if typing.get_origin(tp) is Annotated:
        registry = next((m for m in tp.__metadata__ if isinstance(m, Registry)), None)
        if registry is not None:
            return registry.names()
    return None


def expected(tp: Any) -> str:
    """How a type annotation reads in an 'expected ...' clause."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:
        return "any value"
    names = registered_names(tp)
    if names is not None:
        return f"one of {one_of(names)}"
    if origin in (Union, types.UnionType):
        parts = [expected(a) for a in args if a is not type(None)]
        text = " or ".join(parts)
        return text + " or null" if type(None) in args else text
    if origin is Literal:
        return f"one of {one_of(str(a) for a in args)}"
    if origin is list:
        return f"a list of {_plural(expected(args[0]))}"
    if origin is dict:
        return f"a mapping of names to {_plural(expected(args[1]))}"
    if dataclasses.is_dataclass(tp):
        return "a mapping"
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false"}.get(
        tp, getattr(tp, "__name__", str(tp))
    )


def _plural(text: str) -> str:
    for article in ("a ", "an "):
        if text.startswith(article):
            return text[len(article):] + "s"
    return text


def _same_shape(tp: Any, value: Any) -> bool:
    """Whether `value` has the shape of type `tp`: a mapping for a dataclass or dict, a string
    for str or a Literal of strings."""
    origin = typing.get_origin(tp)
    if isinstance(value, Mapping):
        return dataclasses.is_dataclass(tp) or origin is dict
    if isinstance(value, str):
        return tp is str or registered_names(tp) is not None or (
            origin is Literal and all(isinstance(a, str) for a in typing.get_args(tp)))
    return False


class Converter:
    """Walks a value and a type annotation together, building dataclasses and noting problems."""

    def __init__(self, file: str):
        self.file = file
        self.errors: list[RecipeError] = []

    def fail(self, key: str, message: str) -> object:
        self.errors.append(RecipeError(self.file, key, message))
        return _INVALID

    def convert(self, tp: Any, value: Any, key: str) -> Any:
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if tp is Any:
            return value
        if origin in (Union, types.UnionType):
            return self._union(args, value, key, tp)
        if origin is Literal:
            if value in args:
                return value
            return self.fail(
                key, f"found {describe(value)}, expected {expected(tp)}."
                + did_you_mean(value, [str(a) for a in args]) + bool_hint(value))
        names = registered_names(tp)
        if names is not None:
            if isinstance(value, str) and value in names:
                return value
            return self.fail(key, f"found {describe(value)}, expected {expected(tp)}."
                             + did_you_mean(value, names))
        if origin is list:
            if not isinstance(value, list):
                return self.fail(key, f"found {describe(value)}, expected {expected(tp)}.")
            items = [self.convert(args[0], v, f"{key}[{i}]") for i, v in enumerate(value)]
            return _INVALID if any(i is _INVALID for i in items) else items
        if origin is dict:
            return self._mapping(args[1], value, key, tp)
        if dataclasses.is_dataclass(tp):
            return self.dataclass(tp, value, key)
        return self._scalar(tp, value, key)

    def _union(self, args: tuple, value: Any, key: str, tp: Any) -> Any:
        if value is None and type(None) in args:
            return None
        options = [a for a in args if a is not type(None)]
        if len(options) == 1:
            return self.convert(options[0], value, key)
        shaped = [o for o in options if _same_shape(o, value)]
        if len(shaped) == 1:  # one option fits the value's shape: report its precise errors
            return self.convert(shaped[0], value, key)
        for option in options:
            probe = Converter(self.file)
            result = probe.convert(option, value, key)
            if not probe.errors:
                return result
        return self.fail(key, f"found {describe(value)}, expected {expected(tp)}.")

    def _mapping(self, value_type: Any, value: Any, key: str, tp: Any) -> Any:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            return self.fail(key, f"found {describe(value)}, expected {expected(tp)}.")
        result = {}
        for name, item in value.items():
            if isinstance(name, bool):  # a class name or raw value written yes/no/on/off
                words = "yes, on or true" if name else "no, off or false"
                self.fail(f"{key}.{str(name).lower()}", f"is the boolean {str(name).lower()}, "
                          f"not a name: YAML 1.1 reads an unquoted {words} as one. Expected a "
                          "name: quote it, e.g. {'yes': ..., 'no': ...}.")
                result[str(name)] = _INVALID
                continue
            if item is None:
                continue  # a null entry removes a name that a preset defined
            result[str(name)] = self.convert(value_type, item, f"{key}.{name}")
        return _INVALID if any(v is _INVALID for v in result.values()) else result

    def _scalar(self, tp: type, value: Any, key: str) -> Any:
        if tp is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if tp in (int, float) and isinstance(value, bool):
            return self.fail(key, f"found {describe(value)}, expected {expected(tp)}.")
        if isinstance(value, tp):
            return value
        hint = bool_hint(value) if tp is str else ""
        return self.fail(key, f"found {describe(value)}, expected {expected(tp)}.{hint}")

    def dataclass(self, cls: type, value: Any, key: str) -> Any:
        """Build `cls` (or, for a registry base, the class its `type:` names) from a mapping."""
        if not isinstance(value, Mapping):
            return self.fail(key, f"found {describe(value)}, expected a mapping.")
        registry = getattr(cls, "registry", None)
        if registry is not None:
            cls = self._registered_config(cls, registry, value, key)
            if cls is _INVALID:
                return _INVALID
        fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
        hints = typing.get_type_hints(cls, include_extras=True)
        here = f"{key}." if key else ""
        ok = True
        for name in value:
            if name not in fields:
                where = f" in {key}" if key else ""
                self.fail(
                    f"{here}{name}",
                    f"is not a known key{where}; expected one of {one_of(fields)}."
                    + did_you_mean(name, fields) + _BOOL_KEY_HINT * isinstance(name, bool),
                )
                ok = False
        kwargs = {}
        for name, f in fields.items():
            if name in value:
                converted = self.convert(hints[name], value[name], f"{here}{name}")
                ok = ok and converted is not _INVALID
                kwargs[name] = converted
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                self.fail(f"{here}{name}", f"is missing; expected {expected(hints[name])}.")
                ok = False
        return cls(**kwargs) if ok else _INVALID

    def _registered_config(self, base: type, registry: Any, value: Mapping, key: str) -> Any:
        if "type" not in value:
            return self.fail(
                f"{key}.type", f"is missing; expected a {registry.kind} type: "
                f"{one_of(registry.names())}.")
        if not isinstance(value["type"], str):
            return self.fail(
                f"{key}.type", f"found {describe(value['type'])}, expected a {registry.kind} "
                f"type: {one_of(registry.names())}." + bool_hint(value["type"]))
        try:
            step = registry.get(value["type"])
        except UnknownType as error:
            return self.fail(f"{key}.type", str(error))
        return step.Config


def run_checks(obj: Any, ctx: CheckContext, key: str, file: str) -> list[RecipeError]:
    """Call `check` on every dataclass in the tree, prefixing each problem with its key path."""
    errors: list[RecipeError] = []
    if dataclasses.is_dataclass(obj):
        check = getattr(obj, "check", None)
        if check is not None:
            for sub, message in check(ctx):
                errors.append(RecipeError(file, f"{key}.{sub}" if key else sub, message))
        for f in dataclasses.fields(obj):
            child = getattr(obj, f.name)
            errors += run_checks(child, ctx, f"{key}.{f.name}" if key else f.name, file)
    elif isinstance(obj, dict):
        for name, child in obj.items():
            errors += run_checks(child, ctx, f"{key}.{name}", file)
    elif isinstance(obj, list):
        for i, child in enumerate(obj):
            errors += run_checks(child, ctx, f"{key}[{i}]", file)
    return errors


def build_recipe(data: Mapping[str, Any], file: str, root: Path) -> Recipe:
    """Convert and check a composed recipe; raise `RecipeErrors` listing every problem."""
    converter = Converter(file)
    recipe = converter.dataclass(Recipe, data, "")
    if converter.errors:
        raise RecipeErrors(converter.errors)
    errors = run_checks(recipe, CheckContext(root=root, recipe=recipe), "", file)
    if errors:
        raise RecipeErrors(errors)
    return recipe
