"""The `synthetic` section of a recipe: an SDV generator, what it makes, and the gates it must pass.

```yaml
synthetic:
  generator: gaussian_copula          # or {type: ctgan, epochs: 50}; null = no synthesis
  mode: augment                       # augment | release | scenarios
  rows: 500                           # augment: extra train rows (in the balanced class mix)
  sampling: per_class                 # per_class (one model per class) | joint (one model)
  columns: {state: {sdtype: administrative_unit, pii: true}, plan: {sdtype: categorical}}
  constraints: {price: {type: inequality, low: Amount, high: Price}}
  scenarios: {young_bad: {conditions: {Status: bad, Age: 19}, rows: 50}}   # mode: scenarios
  min_quality: 0.8                    # gates: the build fails below / above these
  max_exact_copies: 0.0
  min_dcr_ratio: 0.8
  min_efficacy_ratio: 0.9             # balanced accuracy, built train / raw train
```

Nothing here imports SDV: the generator and constraint types are looked up in registries whose
modules import SDV only inside their methods.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from builder.errors import did_you_mean, one_of
from builder.recipe.registry import Registry, UnknownType

if TYPE_CHECKING:
    from builder.recipe.schema import CheckContext

Problems = Iterator[tuple[str, str]]

GENERATORS = Registry("synthetic generator", "builder.synthetic.generators")
CONSTRAINTS = Registry("synthetic constraint", "builder.synthetic.constraints")

#: SDV sdtypes whose values are modelled from the real column (never PII).
STATISTICAL_SDTYPES = ("numerical", "categorical", "boolean", "datetime")
#: How the metrics name a per-class Gaussian copula fitted by `builder.synthetic.copula`.
DIRECT_COPULA = "direct copula"


@dataclass(kw_only=True)
class GeneratorConfig:
    """Keys every SDV generator takes; `type:` picks one (see `builder.synthetic.generators`)."""

    registry: ClassVar[Registry] = GENERATORS
    type: str
    enforce_min_max_values: bool = True
    enforce_rounding: bool = True


@dataclass(kw_only=True)
class ConstraintConfig:
    """Keys every SDV constraint takes; `type:` picks one (see `builder.synthetic.constraints`)."""

    registry: ClassVar[Registry] = CONSTRAINTS
    type: str

    def column_names(self) -> list[str]:
        """The columns the constraint ties together."""
        raise NotImplementedError


@dataclass(kw_only=True)
class ColumnConfig:
    """An override of SDV's detected metadata for one column."""

    sdtype: str | None = None
    pii: bool | None = None

    def check(self, ctx: CheckContext) -> Problems:
        if self.pii and self.sdtype in STATISTICAL_SDTYPES:
            yield "pii", (f"is true but sdtype '{self.sdtype}' samples real values; expected a "
                          "PII sdtype (email, name, address, administrative_unit, ...) or "
                          "'unknown', whose values SDV replaces with fakes.")
        if self.sdtype is None and self.pii is None:
            yield "sdtype", "is missing, and so is pii; expected at least one of them."


@dataclass(kw_only=True)
class ScenarioConfig:
    """Rows for a case the data lacks: fixed column values and how many rows to make."""

    conditions: dict[str, Any]
    rows: int

    def check(self, ctx: CheckContext) -> Problems:
        if not self.conditions:
            yield "conditions", "is empty; expected column: value pairs."
        for column, value in self.conditions.items():
            if not isinstance(value, (str, int, float, bool)):
                yield f"conditions.{column}", (f"found {type(value).__name__}, expected one value "
                                               "(a string, a number or true/false).")
        if self.rows < 1:
            yield "rows", f"found {self.rows}, expected a positive number of rows."
        task = ctx.recipe.task
        value = self.conditions.get(task.label)
        if value is not None and value not in task.classes:
            yield f"conditions.{task.label}", (
                f"found '{value}', expected a class of task.classes ({one_of(task.classes)})."
                + did_you_mean(str(value), task.classes))


#: `synthetic.generator: auto`: the augment stage compares generators and keeps the best
#: (`builder.synthetic.choose`).
AUTO_GENERATOR = "auto"


@dataclass(kw_only=True)
class GeneratorSelectConfig:
    """How `generator: auto` compares generators: `holdout` of each class's real train rows is
    held out of the fits and scored against, `repeats` times with a different cut each time;
    `budget` seconds let CTGAN and TVAE in."""

    budget: float = 0.0
    holdout: float = 0.3
    repeats: int = 3

    def check(self, ctx: CheckContext) -> Problems:
        if self.budget < 0:
            yield "budget", f"found {self.budget:g}, expected seconds (0: Gaussian copulas only)."
        if not 0.05 <= self.holdout <= 0.5:
            yield "holdout", f"found {self.holdout:g}, expected a share from 0.05 to 0.5."
        if not 1 <= self.repeats <= 10:
            yield "repeats", f"found {self.repeats}, expected a whole number from 1 to 10."


@dataclass(kw_only=True)
class SyntheticConfig:
    """Synthetic rows from an SDV generator, fitted on the train split only."""

    generator: str | GeneratorConfig | None = None
    select: GeneratorSelectConfig = field(default_factory=GeneratorSelectConfig)
    mode: Literal["augment", "release", "scenarios"] = "augment"
    sampling: Literal["per_class", "joint"] = "per_class"
    rows: int | None = None
    columns: dict[str, ColumnConfig] = field(default_factory=dict)
    pii: Literal["drop", "replace"] | None = None
    constraints: dict[str, ConstraintConfig] = field(default_factory=dict)
    scenarios: dict[str, ScenarioConfig] = field(default_factory=dict)
    min_quality: float | None = None
    max_exact_copies: float | None = None
    min_dcr_ratio: float | None = None
    min_efficacy_ratio: float | None = None
    canaries: int = 3
    #: The most real train (and holdout) rows the augment stage's table-wise steps see: SMOTE,
    #: the synthesizers' fits, the quality, privacy and efficacy measures. A larger table gives
    #: a sample chosen by a keyed hash of `_id`.
    fit_rows: int = 200_000

    @property
    def generator_config(self) -> GeneratorConfig | None:
        """The generator as a config object (`generator: ctgan` is `{type: ctgan}`)."""
        if self.generator == AUTO_GENERATOR:
            raise ValueError("generator: auto is resolved by the augment stage "
                             "(builder.synthetic.choose) before a generator is built")
        if isinstance(self.generator, str):
            return GENERATORS.get(self.generator).Config(type=self.generator)
        return self.generator

    @property
    def pii_action(self) -> str:
        """What happens to PII columns: dropped (release default) or replaced by fakes."""
        return self.pii or ("drop" if self.mode == "release" else "replace")

    @property
    def gates(self) -> dict[str, float]:
        """The thresholds the recipe sets, by name."""
        found = {"min_quality": self.min_quality, "max_exact_copies": self.max_exact_copies,
                 "min_dcr_ratio": self.min_dcr_ratio, "min_efficacy_ratio": self.min_efficacy_ratio}
        return {name: value for name, value in found.items() if value is not None}

    def check(self, ctx: CheckContext) -> Problems:
        recipe = ctx.recipe
        if isinstance(self.generator, str) and self.generator != AUTO_GENERATOR:
            try:
                GENERATORS.get(self.generator)
            except UnknownType:
                names = [*GENERATORS.names(), AUTO_GENERATOR]
                yield "generator", (f"found '{self.generator}', expected one of {one_of(names)}."
                                    + did_you_mean(self.generator, names))
        if self.generator is None:
            yield from self._needs_generator()
            return
        if recipe.task.type == "text-classification":
            yield "generator", ("is set, but SDV models tables and cannot synthesize the free "
                                "text of a text-classification task; expected null.")
        yield from self._check_mode(ctx)
        if self.pii == "drop" and self.mode != "release":
            yield "pii", ("is 'drop', which needs mode: release (in augment and scenarios modes "
                          "real rows keep their columns and synthetic rows get fake PII); "
                          "expected replace or mode: release.")
        for name, value in self.gates.items():
            upper = None if name in ("min_dcr_ratio", "min_efficacy_ratio") else 1
            if value < 0 or (upper is not None and value > upper):
                expected = "a number of at least 0" if upper is None else "a share from 0 to 1"
                yield name, f"found {value:g}, expected {expected}."
        if self.canaries < 0:
            yield "canaries", f"found {self.canaries}, expected 0 (off) or more marker rows."
        if self.fit_rows < 100:
            yield "fit_rows", f"found {self.fit_rows}, expected at least 100 rows."

    def _needs_generator(self) -> Problems:
        needing = {"rows": self.rows is not None, "scenarios": bool(self.scenarios),
                   "constraints": bool(self.constraints), "columns": bool(self.columns),
                   **{name: True for name in self.gates}}
        if self.mode != "augment":
            needing = {"mode": True, **needing}
        for key, present in needing.items():
            if present:
                yield key, ("needs synthetic.generator, which is not set; expected e.g. "
                            "gaussian_copula.")

    def _check_mode(self, ctx: CheckContext) -> Problems:
        label = ctx.recipe.task.label
        if self.rows is not None and self.rows < 1:
            yield "rows", f"found {self.rows}, expected a positive number of rows."
        if self.mode == "release" and self.rows is not None:
            yield "rows", ("is set, but mode: release makes each split as large as the real one "
                           "(or as the balance target asks); expected no rows.")
        if self.scenarios and self.mode != "scenarios":
            yield "scenarios", f"are listed but mode is {self.mode}; expected mode: scenarios."
        if self.mode == "scenarios" and not self.scenarios:
            yield "scenarios", "is empty, but mode is scenarios; expected named scenarios."
        if self.mode == "augment" and self.rows is None and ctx.recipe.balance.target is None:
            yield "rows", ("is missing: in augment mode the generator adds `rows` rows or fills "
                           "the gaps of a balance target, and neither is set.")
        if self.sampling == "per_class":
            for name, scenario in self.scenarios.items():
                if label not in scenario.conditions:
                    yield f"scenarios.{name}.conditions", (
                        f"names no class (column '{label}'); with sampling: per_class each "
                        "scenario's rows come from one class's model. Expected a "
                        f"'{label}' value, or sampling: joint.")
