"""The seed pipeline's work in plain Python, nothing persisted: the baseline of bench_seed."""

import numpy as np  # noqa: F401 - imported by the seed too
from sklearn.base import ClassifierMixin  # noqa: F401
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC

digits = load_digits()
data = digits.images.reshape((len(digits.images), -1))
X_train, X_test, y_train, y_test = train_test_split(data, digits.target, test_size=0.2, shuffle=False)
model = SVC(gamma=0.001)
model.fit(X_train, y_train)
