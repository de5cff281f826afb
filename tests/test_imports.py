"""The import rules of `builder/` (`docs/architecture.md`), checked on the source.

- No import cycle: module-level and function-level imports both count.
- The kernel imports no domain package; the one exception is the recipe schema, which assembles
  the recipe from the domain packages' config modules (`<package>/config.py`), themselves
  importing only the kernel and their own package.
- Only `builder.pipeline` wires stages together: a domain package imports no pipeline module,
  and a stage module imports no other stage module.
"""

from __future__ import annotations

import subprocess
import sys

from tests.import_graph import cycles, import_graph

KERNEL = ("context", "rows", "columns", "errors", "artifacts", "partitions", "fingerprints",
          "markdown", "engine", "recipe")
DOMAIN = ("sources", "transforms", "labeling", "splitting", "balance", "synthetic", "images",
          "export", "publish", "pipeline")


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _is_config(module: str) -> bool:
    return module.split(".")[-1] == "config"


def test_no_import_cycle() -> None:
    assert cycles(import_graph()) == []


def test_the_kernel_imports_no_domain_package() -> None:
    graph = import_graph()
    wrong = []
    for module, targets in graph.items():
        if _package(module) not in KERNEL:
            continue
        for target in targets:
            if _package(target) in DOMAIN and not (module == "builder.recipe.schema"
                                                     and _is_config(target)):
                wrong.append(f"{module} -> {target}")
    assert wrong == []


def test_config_modules_the_schema_assembles_import_no_other_domain_package() -> None:
    graph = import_graph()
    wrong = [f"{config} -> {target}" for config in graph["builder.recipe.schema"]
             if _package(config) in DOMAIN
             for target in graph[config]
             if _package(target) in DOMAIN and _package(target) != _package(config)]
    assert wrong == []


def test_only_the_pipeline_wires_stages_together() -> None:
    graph = import_graph()
    plumbing = {"builder.pipeline", "builder.pipeline.stage", "builder.pipeline.runner"}
    wrong = []
    for module, targets in graph.items():
        inside = module == "builder.pipeline" or module.startswith("builder.pipeline.")
        for target in targets:
            if not target.startswith("builder.pipeline"):
                continue
            if not inside and _package(module) in DOMAIN + KERNEL:
                wrong.append(f"{module} -> {target}")  # a domain or kernel module
            elif inside and module not in plumbing and target not in plumbing:
                wrong.append(f"{module} -> {target}")  # a stage imports another stage
    assert wrong == []


def test_the_stage_list_imports_nothing_heavy() -> None:
    """`builder --help` and `builder validate` read `STAGES`: it must stay cheap to import."""
    code = ("import sys, builder.pipeline, builder.cli; heavy = {'pandas', 'pyarrow', 'numpy', "
            "'datasets', 'sklearn', 'torch', 'sdv'} & set(sys.modules); print(sorted(heavy))")
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout.strip()
    assert found == "[]"
