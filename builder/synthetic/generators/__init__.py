"""SDV single-table generators, one module and one registered type each (`GENERATORS` in
`builder.synthetic.config`): `synthetic.generator: {type: ...}`. Importing this package
registers them all.

| type (= module) | SDV class | options |
|---|---|---|
| `gaussian_copula` | `GaussianCopulaSynthesizer` | `default_distribution` |
| `ctgan` | `CTGANSynthesizer` | `epochs`, `batch_size`, `pac` |
| `tvae` | `TVAESynthesizer` | `epochs`, `batch_size` |
| `copulagan` | `CopulaGANSynthesizer` | `epochs`, `batch_size`, `pac`, `default_distribution` |

SDV is imported inside `Generator.synthesizer()` only (`base`): importing it costs ~6 s and
700 MiB. (A per-class Gaussian copula is fitted by `builder.synthetic.copula` when the table
allows it.)

Training budget of a per-class model: SDV's `epochs` are passes over the rows a model is fitted
on, and CTGAN and TVAE take one optimiser step per batch of 500 rows, so a model of a 266-row
class would train 1/16 of the steps a model of an 8,000-row table gets from the same `epochs`.
A model fitted on part of the train split (a class) therefore trains for enough epochs to take
at least the optimiser steps `epochs` gives a model of the whole train split
(`base.TorchGenerator.epochs_for`); the epochs used are in the metrics
(`synthetic.models.<class>.epochs`).

Adding a generator is one module here (a `GeneratorConfig` subclass for its options and a
`Generator` subclass registered with `@GENERATORS.register("name")`) plus its import below.
"""

from builder.synthetic.generators import copulagan, ctgan, gaussian_copula, tvae  # noqa: F401
