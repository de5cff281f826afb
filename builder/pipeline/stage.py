"""What a stage declares: `Stage(name, reads, writes, sections, code, run)`.

Every module of `builder.pipeline` except this one and the runner is one stage, named after it,
and defines `STAGE`. A stage never imports another stage: it names the stage whose artifact it
reads (`reads`), and the runner hands it that artifact's folder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from builder.context import Context


#: Code every data stage runs: the kernel it reads and writes artifacts with, and the pipeline
#: (`python -m builder stage NAME` imports every stage module). Part of each stage's `code`.
KERNEL_CODE = ("builder/__init__.py", "builder/artifacts.py", "builder/cache.py",
               "builder/stage_cache.py", "builder/columns.py", "builder/errors.py",
               "builder/partitions.py", "builder/rows.py", "builder/pipeline")


@dataclass(frozen=True)
class Stage:
    """One stage of the pipeline, as `dvc.yaml` runs it (`builder stage NAME RECIPE`).

    - `name`: the stage's name, also its module's and its metrics file's (`metrics/NAME.json`);
    - `reads`: the stage whose artifact it reads, or None (compose, ingest);
    - `writes`: what it writes under `data/<recipe>/`, its artifact folder first;
    - `sections`: the keys of the resolved `recipe.yaml` it depends on (its DVC `params`);
    - `code`: the paths under `builder/` whose code its run can execute (its DVC code `deps`;
      `tests/pipeline/test_dvc_yaml.py` checks them against the imports), `KERNEL_CODE` first;
    - `run(ctx, source)`: does the work; `source` is the folder of the `reads` stage's artifact
      (None when `reads` is None); returns the stage's metrics.
    """

    name: str
    reads: str | None
    writes: tuple[str, ...]
    sections: tuple[str, ...]
    code: tuple[str, ...]
    run: Callable[[Context, Path | None], dict[str, Any]]

    @property
    def artifact(self) -> str:
        """The folder (or file) under `data/<recipe>/` that the next stage reads."""
        return self.writes[0]

    @property
    def metrics(self) -> str | None:
        """Its metrics file under `data/<recipe>/` (`metrics/NAME.json`), if it writes one."""
        name = f"metrics/{self.name}.json"
        return name if name in self.writes else None
