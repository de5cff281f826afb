"""`type: python`: a function of yours, named by import path, labels a pandas batch.

The function takes a `pandas.DataFrame` batch and returns one value per row: a class name (or
None to abstain), a class index (-1 to abstain), or a boolean (with `label:` naming the class
to vote for; a missing value abstains). With `rowwise: true` it takes one row (a dict) and returns one value: the slow
path, one Python call per row.
"""

from __future__ import annotations

import ast
import importlib
import sys
from dataclasses import dataclass
from pathlib import Path

from builder.labeling.config import FUNCTIONS, FunctionConfig, Problems
from builder.labeling.kinds.base import LabelingFunction


def split_path(path: str) -> tuple[str, str] | None:
    """`package.module:function` (or `package.module.function`) -> (module, function)."""
    module, sep, attr = path.partition(":")
    if not sep:
        module, _, attr = path.rpartition(".")
    names = module.split(".") + [attr]
    if not module or not all(n.isidentifier() for n in names):
        return None
    return module, attr


def module_file(module: str, root: Path) -> Path | None:
    """The source file of `module`, searched under the project root first, without importing."""
    parts = module.split(".")
    for base in [str(root), *sys.path]:
        path = Path(base or ".").joinpath(*parts)
        for candidate in (path.with_name(path.name + ".py"), path / "__init__.py"):
            if candidate.is_file():
                return candidate
    return None


def defines(file: Path, name: str) -> bool:
    """Whether a Python file defines `name` at top level (a def, class, assignment or import)."""
    tree = ast.parse(file.read_text(encoding="utf-8"), str(file))
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            return True
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                return True
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if any((a.asname or a.name.split(".")[0]) == name for a in node.names):
                return True
    return False


@dataclass(kw_only=True)
class PythonConfig(FunctionConfig):
    """`function: package.module:name`, resolved from the project root first; `label` (needed
    when the function returns booleans); `rowwise: true` for a one-row-at-a-time function."""

    function: str
    rowwise: bool = False

    def check(self, ctx) -> Problems:
        yield from super().check(ctx)
        parts = split_path(self.function)
        if parts is None:
            yield "function", (f"found '{self.function}', expected an import path like "
                               "'package.module:function'.")
            return
        module, attr = parts
        file = module_file(module, ctx.root)
        if file is None:
            yield "function", (f"found '{self.function}', but the module '{module}' cannot be "
                               f"found under {ctx.root} or on the Python path; expected an "
                               "importable module.")
            return
        try:
            found = defines(file, attr)
        except (SyntaxError, OSError, UnicodeDecodeError) as error:
            yield "function", f"found '{self.function}', but {file} cannot be parsed: {error}."
            return
        if not found:
            yield "function", (f"found '{self.function}', but {file} defines no '{attr}' at top "
                               "level; expected a function name defined there.")

    def input_files(self, root: Path) -> list[Path]:
        parts = split_path(self.function)
        file = module_file(parts[0], root) if parts else None
        return [file] if file is not None and file.is_relative_to(root.resolve()) else []


def load_function(path: str, root: Path, owner: str):
    """Import the function named by `path`, preferring modules under the project root."""
    from builder.errors import DataError

    parts = split_path(path)
    if parts is None:
        raise DataError(f"{owner}: '{path}' is not an import path like 'package.module:function'.")
    module_name, attr = parts
    file = module_file(module_name, root)
    loaded = sys.modules.get(module_name)
    if loaded is not None and file is not None and getattr(loaded, "__file__", None) \
            and Path(loaded.__file__).resolve() != file.resolve():
        del sys.modules[module_name]  # the same module name from another project folder
    sys.path.insert(0, str(root))
    try:
        module = importlib.import_module(module_name)
    except Exception as error:  # the user's module may raise anything while importing
        raise DataError(f"{owner}: importing '{module_name}' failed: "
                        f"{type(error).__name__}: {error}") from error
    finally:
        sys.path.remove(str(root))
    function = getattr(module, attr, None)
    if not callable(function):
        raise DataError(f"{owner}: '{module_name}' has no function '{attr}'.")
    return function


@FUNCTIONS.register("python")
class Python(LabelingFunction):
    """Calls your function on the whole batch (or on each row with `rowwise: true`)."""

    Config = PythonConfig
    _function = None

    @property
    def slow(self) -> bool:  # type: ignore[override]
        return self.config.rowwise

    def function(self):
        if self._function is None:
            self._function = load_function(self.config.function, self.root, self.owner)
        return self._function

    def votes(self, batch, features):
        function = self.function()
        if self.config.rowwise:
            result = [function(row) for row in batch.to_dict("records")]
        else:
            result = function(batch)
        return self.to_codes(result, len(batch))

    def to_codes(self, result, rows: int):
        """The function's answer as int8 class indices (-1 = abstain)."""
        import numpy as np
        import pandas as pd

        from builder.errors import DataError

        if isinstance(result, pd.Series):
            values = result.reset_index(drop=True)  # keeps a nullable boolean dtype
        else:
            values = pd.Series(result if isinstance(result, np.ndarray) else list(result))
        if len(values) != rows:
            raise DataError(f"{self.owner}: returned {len(values)} values for a batch of {rows} "
                            "rows; expected one value per row.")
        if pd.api.types.is_bool_dtype(values):
            if self.config.label is None:
                raise DataError(f"{self.owner}: returned true/false, so `label:` must name the "
                                "class to vote for.")
            return self.fire(values.fillna(False).to_numpy(dtype=bool))
        if pd.api.types.is_numeric_dtype(values):
            codes = values.fillna(-1).to_numpy()
            bad = (codes < -1) | (codes >= len(self.classes)) | (codes != np.floor(codes))
            if bad.any():
                raise DataError(f"{self.owner}: returned {codes[bad][0]!r}; expected a class index "
                                f"0..{len(self.classes) - 1} or -1 to abstain.")
            return codes.astype(np.int8)
        names = values.astype(object).where(values.notna(), None)
        codes = pd.Categorical(names, categories=self.classes).codes.astype(np.int8)
        unknown = (codes == -1) & names.notna().to_numpy()
        if unknown.any():
            raise DataError(f"{self.owner}: returned {names[unknown].iloc[0]!r}; expected a class "
                            f"of task.classes ({', '.join(self.classes)}) or None to abstain.")
        return codes
