"""Export: the `DatasetDict`, the Hub layout, the dataset card and the metrics."""
