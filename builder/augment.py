"""The augment stage's artifact name, kept for the old export stage until it moves to
`builder.pipeline` (the stage itself is `builder.pipeline.augment`)."""

ARTIFACT = "augmented"
