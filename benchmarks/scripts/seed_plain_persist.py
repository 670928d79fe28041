"""seed_plain.py plus saving its outputs as the framework stores them — four ``.npy`` files
and the model with skops — into ``$BENCH_OUT`` (a directory): the same persistence work
without the framework, to show what the framework itself adds."""

import os

import numpy as np
import skops.io
from sklearn.base import ClassifierMixin  # noqa: F401
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC

out = os.environ["BENCH_OUT"]
digits = load_digits()
data = digits.images.reshape((len(digits.images), -1))
X_train, X_test, y_train, y_test = train_test_split(data, digits.target, test_size=0.2, shuffle=False)
for name, array in (("X_train", X_train), ("X_test", X_test), ("y_train", y_train), ("y_test", y_test)):
    np.save(os.path.join(out, f"{name}.npy"), array)
model = SVC(gamma=0.001)
model.fit(X_train, y_train)
skops.io.dump(model, os.path.join(out, "model.skops"))
