"""Text encoders of the pseudo-labeler (`labeling.pseudo.encoder`); importing this package
registers them all. Each module imports its heavy library (scikit-learn, sentence-transformers)
inside its functions, so validating a recipe stays light."""

from builder.labeling.encoders import image, sentence_transformers, tfidf  # noqa: F401
