"""The import graph of `builder/`, read from the source (no module is imported).

Every `import` and `from ... import` counts, at module level or inside a function, except those
under `if TYPE_CHECKING:` (they never run). `import_graph` is the import statements (for cycles
and layering); `code_closure` is the code that can run when a module's functions run (for a
stage's code deps), registries' packages and the package `__init__`s imports run included.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "builder"


def module_files() -> dict[str, Path]:
    """{dotted module name: file} for every module of `builder/`."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imported_names(tree: ast.AST, module: str, is_package: bool,
                    ) -> list[tuple[str, str | None, bool]]:
    """(module, name imported from it or None, whether at module level) for every import that
    runs (class bodies are module level; function bodies are not)."""
    found: list[tuple[str, str | None, bool]] = []

    def visit(node: ast.AST, top: bool) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child, top)
            return
        if isinstance(node, ast.Import):
            found.extend((alias.name, None, top) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                if not is_package:
                    anchor = anchor[:-1]
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.extend((base, alias.name, top) for alias in node.names)
        inside = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        for child in ast.iter_child_nodes(node):
            visit(child, top and not inside)

    visit(tree, True)
    return found


def _registries(trees: dict[str, ast.AST]) -> dict[tuple[str, str], str]:
    """{(module, name): package} for every module-level `NAME = Registry(kind, "package")`."""
    found = {}
    for module, tree in trees.items():
        for node in tree.body:
            if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
                    and getattr(node.value.func, "id", None) == "Registry"
                    and len(node.value.args) == 2
                    and isinstance(node.value.args[1], ast.Constant)):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        found[(module, target.id)] = node.value.args[1].value
    return found


def _used_in_functions(tree: ast.AST, name: str) -> bool:
    """Whether a function of the module reads `name` (a registry asked in its own module)."""
    return any(isinstance(node, ast.Name) and node.id == name
               for function in ast.walk(tree)
               if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
               for node in ast.walk(function))


#: Edge kinds of `labelled_graph`.
MODULE, FUNCTION, PARENT, PARENT_OF_FUNCTION = "module", "function", "parent", "parent-function"


def labelled_graph() -> dict[str, set[tuple[str, str]]]:
    """{module: {(target, kind)}}: `module` for an import at module level, `function` for one
    inside a function, and `parent` (`parent-function`) for the package `__init__` an import at
    module level (in a function) runs first. Importing
    a registry (`NAME = Registry(kind, "builder.x")`) also imports `builder.x` (when the
    registry is first asked), with the kind of that import."""
    files = module_files()
    trees = {module: ast.parse(path.read_text(), str(path)) for module, path in files.items()}
    registries = _registries(trees)
    graph: dict[str, set[tuple[str, str]]] = {}
    for module, tree in trees.items():
        edges: set[tuple[str, str]] = set()
        imported = _imported_names(tree, module, files[module].name == "__init__.py")
        imported += [(module, name, False) for (owner, name) in registries
                     if owner == module and _used_in_functions(tree, name)]
        for base, name, top in imported:
            if not base.startswith("builder"):
                continue
            kind = MODULE if top else FUNCTION
            if (base, name) in registries:
                edges.add((registries[(base, name)], kind))
            target = f"{base}.{name}" if name and f"{base}.{name}" in files else base
            while target not in files:  # `import builder.x.y` of a name, not a module
                target = target.rsplit(".", 1)[0]
            edges.add((target, kind))
            parts = target.split(".")
            parent = PARENT if top else PARENT_OF_FUNCTION
            edges.update((p, parent) for p in (".".join(parts[:i]) for i in range(1, len(parts)))
                         if p in files)  # (a folder without `__init__.py` runs nothing)
        graph[module] = {(t, k) for t, k in edges if t != module}
    return graph


def import_graph() -> dict[str, set[str]]:
    """{module: the `builder` modules it imports} (import statements only)."""
    files = module_files()
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        tree = ast.parse(path.read_text(), str(path))
        edges = set()
        for base, name, _ in _imported_names(tree, module, path.name == "__init__.py"):
            if not base.startswith("builder"):
                continue
            target = f"{base}.{name}" if name and f"{base}.{name}" in files else base
            while target not in files:
                target = target.rsplit(".", 1)[0]
            edges.add(target)
        edges.discard(module)
        graph[module] = edges
    return graph


#: Where `code_closure` stops: the recipe schema assembles every domain package's config (and
#: through the registries, every type's config class), but what it decides reaches a stage only
#: through the resolved `recipe.yaml`, which is the stage's DVC `params`.
BOUNDARY = frozenset({"builder.recipe.schema"})


def code_closure(start: str) -> set[str]:
    """The modules whose code can run when `start`'s functions run: everything its imports
    reach, at module level or in functions, transitively (up to `BOUNDARY`); of a package
    `__init__` that runs only because a module in it is imported, only what it imports at
    module level."""
    graph = labelled_graph()
    graph.update({module: set() for module in BOUNDARY})
    full, loaded = {start}, set()
    todo = [(start, True)]
    while todo:
        module, whole = todo.pop()
        for target, kind in graph[module]:
            if kind in (FUNCTION, PARENT_OF_FUNCTION) and not whole:
                continue
            target_whole = whole and kind not in (PARENT, PARENT_OF_FUNCTION)
            if target in full or (not target_whole and target in loaded):
                continue
            (full if target_whole else loaded).add(target)
            todo.append((target, target_whole))
    return full | loaded


def closure(graph: dict[str, set[str]], start: str) -> set[str]:
    """The modules `start` imports, directly or not, itself included."""
    seen, todo = {start}, [start]
    while todo:
        for target in graph[todo.pop()]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def path_of(module: str) -> str:
    """`builder.x.y` -> its file, relative to the repository (`builder/x/y.py`)."""
    return str(module_files()[module].relative_to(ROOT))
