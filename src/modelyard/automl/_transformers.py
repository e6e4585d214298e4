"""Small scikit-learn transformers used by :mod:`modelyard.automl.preprocessing`.

They live in an importable module so pickled AutoML models load anywhere modelyard is installed.
scikit-learn is imported lazily: the base classes are built on first use.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DatetimeFeatures", "DecodedClassifier", "FrequencyEncoder", "TextFeatures"]


def _bases() -> tuple[Any, Any, Any]:
    from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin

    return BaseEstimator, TransformerMixin, ClassifierMixin


_BaseEstimator: Any
_TransformerMixin: Any
_ClassifierMixin: Any
_BaseEstimator, _TransformerMixin, _ClassifierMixin = _bases()

_DATE_PARTS = ("year", "month", "day", "dayofweek", "dayofyear", "hour")


class DatetimeFeatures(_TransformerMixin, _BaseEstimator):
    """Calendar features of datetime columns: year, month, day, day of week, day of year,
    hour (when any value has a time of day) and days since the epoch."""

    def fit(self, X: Any, y: Any = None) -> DatetimeFeatures:
        import pandas as pd

        frame = pd.DataFrame(X)
        self.columns_ = [str(c) for c in frame.columns]
        self.with_hour_ = {
            str(c): bool((frame[c].dropna().dt.hour != 0).any()) for c in frame.columns
        }
        return self

    def transform(self, X: Any) -> Any:
        import numpy as np
        import pandas as pd

        frame = pd.DataFrame(X)
        cols = []
        for c, name in zip(frame.columns, self.columns_, strict=True):
            s = frame[c]
            for part in _DATE_PARTS:
                if part == "hour" and not self.with_hour_[name]:
                    continue
                cols.append(getattr(s.dt, part).astype("float64").to_numpy())
            epoch = (s - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)
            cols.append(epoch.astype("float64").to_numpy())
        return np.column_stack(cols) if cols else np.empty((len(frame), 0))

    def get_feature_names_out(self, input_features: Any = None) -> Any:
        import numpy as np

        names = []
        for name in self.columns_:
            for part in _DATE_PARTS:
                if part == "hour" and not self.with_hour_[name]:
                    continue
                names.append(f"{name}_{part}")
            names.append(f"{name}_days")
        return np.asarray(names, dtype=object)


class FrequencyEncoder(_TransformerMixin, _BaseEstimator):
    """Replace each category by its relative frequency in the training data (unseen: 0)."""

    def fit(self, X: Any, y: Any = None) -> FrequencyEncoder:
        import pandas as pd

        frame = pd.DataFrame(X)
        self.columns_ = [str(c) for c in frame.columns]
        self.maps_ = [frame[c].value_counts(normalize=True).to_dict() for c in frame.columns]
        return self

    def transform(self, X: Any) -> Any:
        import numpy as np
        import pandas as pd

        frame = pd.DataFrame(X)
        out = [
            frame[c].map(m).astype("float64").fillna(0.0).to_numpy()
            for c, m in zip(frame.columns, self.maps_, strict=True)
        ]
        return np.column_stack(out) if out else np.empty((len(frame), 0))

    def get_feature_names_out(self, input_features: Any = None) -> Any:
        import numpy as np

        return np.asarray([f"{c}_freq" for c in self.columns_], dtype=object)


class TextFeatures(_TransformerMixin, _BaseEstimator):
    """Free text to a few numbers: length, word count and a TF-IDF + SVD embedding."""

    def __init__(self, n_components: int = 8, max_features: int = 500, random_state: int = 0):
        self.n_components = n_components
        self.max_features = max_features
        self.random_state = random_state

    def _texts(self, X: Any) -> Any:
        import pandas as pd

        frame = pd.DataFrame(X)
        return frame.iloc[:, 0].fillna("").astype(str)

    def fit(self, X: Any, y: Any = None) -> TextFeatures:
        import pandas as pd
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        frame = pd.DataFrame(X)
        self.column_ = str(frame.columns[0])
        texts = self._texts(X)
        self.vectorizer_ = TfidfVectorizer(max_features=self.max_features, min_df=1)
        try:
            tfidf = self.vectorizer_.fit_transform(texts)
        except ValueError:  # empty vocabulary
            self.vectorizer_ = None
            self.svd_ = None
            return self
        k = min(self.n_components, tfidf.shape[1] - 1, tfidf.shape[0] - 1)
        self.svd_ = None
        if k >= 1:
            self.svd_ = TruncatedSVD(n_components=k, random_state=self.random_state)
            self.svd_.fit(tfidf)
        return self

    def transform(self, X: Any) -> Any:
        import numpy as np

        texts = self._texts(X)
        base = [
            np.log1p(texts.str.len().to_numpy(dtype=float)),
            texts.str.split().str.len().fillna(0).to_numpy(dtype=float),
        ]
        out = np.column_stack(base)
        if self.vectorizer_ is not None and self.svd_ is not None:
            out = np.hstack([out, self.svd_.transform(self.vectorizer_.transform(texts))])
        return out

    def get_feature_names_out(self, input_features: Any = None) -> Any:
        import numpy as np

        names = [f"{self.column_}_len", f"{self.column_}_words"]
        if self.svd_ is not None:
            names += [f"{self.column_}_svd{i}" for i in range(self.svd_.n_components)]
        return np.asarray(names, dtype=object)


class DecodedClassifier(_ClassifierMixin, _BaseEstimator):
    """The last step of an AutoML classification pipeline: a fitted estimator trained on class
    indices ``0..k-1``, seen from outside with the original labels.

    ``classes_`` are the original labels; ``predict_proba`` has one column per label in that
    order (classes absent from the estimator's training data get probability 0); ``predict``
    returns labels, applying the tuned decision ``threshold`` to the probability of the
    positive class ``pos_index`` of a binary problem. ``fit`` (re)trains ``estimator`` on
    labels given in the original values.
    """

    def __init__(
        self,
        estimator: Any = None,
        classes: Any = None,
        threshold: float | None = None,
        pos_index: int | None = None,
    ) -> None:
        self.estimator = estimator
        self.classes = classes
        self.threshold = threshold
        self.pos_index = pos_index

    @property
    def classes_(self) -> Any:
        import numpy as np

        labels = np.asarray(self.classes)
        # string labels as objects, as scikit-learn's own classifiers hold them
        return labels.astype(object) if labels.dtype.kind in "US" else labels

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self.estimator, "classes_") or hasattr(self.estimator, "n_features_in_")

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> DecodedClassifier:
        import numpy as np

        if self.classes is None:
            self.classes = sorted(np.unique(np.asarray(y)).tolist())
        lookup = {c: i for i, c in enumerate(self.classes)}
        codes = np.asarray([lookup[v] for v in np.asarray(y).tolist()], dtype=int)
        if sample_weight is None:
            self.estimator.fit(X, codes)
        else:
            self.estimator.fit(X, codes, sample_weight=sample_weight)
        return self

    def predict_proba(self, X: Any) -> Any:
        import numpy as np

        proba = np.asarray(self.estimator.predict_proba(X), dtype=float)
        n = len(self.classes)
        seen = [int(c) for c in getattr(self.estimator, "classes_", range(proba.shape[1]))]
        if seen == list(range(n)):
            return proba
        out = np.zeros((proba.shape[0], n))
        out[:, seen] = proba
        return out

    def predict(self, X: Any) -> Any:
        import numpy as np

        proba = self.predict_proba(X)
        if len(self.classes) == 2 and self.threshold is not None and self.pos_index is not None:
            pos = self.pos_index
            idx = np.where(proba[:, pos] >= self.threshold, pos, 1 - pos)
        else:
            idx = np.argmax(proba, axis=1)
        return self.classes_[idx]
