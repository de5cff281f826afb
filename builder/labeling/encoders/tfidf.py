"""`encoder: tfidf`: TF-IDF of unigrams and bigrams, fitted on the texts (no labels).

The vocabulary is learned from the texts the fold models are fitted on; `max_features` is
`labeling.pseudo.max_features`. Features are float32 sparse rows. scikit-learn is imported
inside the functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from builder.labeling.encoders.base import ENCODERS, Encoder, EncoderConfig

if TYPE_CHECKING:
    import numpy as np


@dataclass(kw_only=True)
class TfidfConfig(EncoderConfig):
    """TF-IDF has no key of its own: `encoder: tfidf` says it all."""


@ENCODERS.register("tfidf")
class TfidfEncoder(Encoder):
    """TF-IDF features (a scikit-learn `TfidfVectorizer`)."""

    Config = TfidfConfig
    sparse = True
    learns = True

    def fit_transform(self, texts: np.ndarray) -> Any:
        self.vectorizer = vectorizer(self.max_features)
        return self.vectorizer.fit_transform(texts).tocsr()

    def transform(self, texts: np.ndarray) -> Any:
        return self.vectorizer.transform(texts).tocsr()

    def learned(self) -> Any:
        return self.vectorizer

    def load_learned(self, learned: Any) -> None:
        self.vectorizer = learned

    def fingerprint(self) -> str:
        """The settings, the vocabulary in column order and the inverse document frequencies
        (not the pickled vectorizer: its bytes hold an object id)."""
        from builder.cache import digest_bytes, key

        terms = "\0".join(self.vectorizer.get_feature_names_out().tolist()).encode()
        return key(self.identity(), digest_bytes(terms),
                   digest_bytes(self.vectorizer.idf_.astype("<f8").tobytes()))


def vectorizer(max_features: int):
    """TF-IDF of unigrams and bigrams (fitted on texts, no labels), as float32 sparse rows."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True,
                           max_features=max_features, dtype=np.float32)
