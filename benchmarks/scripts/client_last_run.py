"""Time reading back the seed pipeline's last run, as a fresh process would (JSON on stdout).

The imports a script needs anyway (the framework's client, numpy) come first and are not
timed; then ``Client().get_pipeline("first_pipeline").last_run`` and loading one output
(``X_train``, a numpy array) are timed together; then, separately, loading the trained
model (the first load in a process imports the estimator's scikit-learn modules).
"""

import json
import time

import numpy as np

from framework import Client

start = time.perf_counter()
run = Client().get_pipeline("first_pipeline").last_run
x_train = run.steps["step_1"].outputs["X_train"].load()
fetched = time.perf_counter() - start
assert isinstance(x_train, np.ndarray) and x_train.shape[1] == 64
start = time.perf_counter()
model = run.steps["step_2"].output.load()
model_load = time.perf_counter() - start
assert hasattr(model, "predict")
print(json.dumps({"fetch": fetched, "model": model_load}))
