"""The data flywheel: review queues, labeling-tool formats, the human label store, agreement.

Modules: `config` (the recipe's `labeling.human` section), `store` (immutable label batches under
`labels/<recipe>/`), `tools` (one module per labeling tool: Label Studio, Mechanical Turk,
Appen, Scale, CSV), `agreement` (kappas, Krippendorff's alpha, majority and Dawid-Skene
aggregation), `queue` (which rows go to humans, by a strategy of `strategies`, one module each),
`merge` (human and feedback labels into the label stage), `commands` (`builder label`).
Nothing heavy is imported at package level: `config` is read while validating recipes.
"""
