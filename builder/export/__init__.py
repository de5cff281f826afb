"""Export: the `DatasetDict` and the Hub layout (`schema`, `writer`, `sizing`, `saved`,
`hashes`, `metrics`), the dataset card, the DVC metrics files and `builder report`; the export
stage (`builder.pipeline.export`) wires them."""
