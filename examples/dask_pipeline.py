"""The seed's function-API pipeline on a Dask cluster: the pipeline code is not changed at all.

Only the stack changes. This script registers (once) a stack `local-dask` whose runs start a
two-worker Dask ``LocalCluster`` and keep artifacts in ``<home>/dask-artifacts``, then uses
it through ``FRAMEWORK_STACK``. The same from the command line:

    framework stack register local-dask --orchestrator dask --max-workers 2 \\
        --artifact-store ~/.local/share/framework/dask-artifacts
    framework stack set local-dask

On a real cluster, register ``--scheduler tcp://scheduler:8786`` and an artifact store all
workers reach (``--artifact-store s3://bucket/prefix``); the pipeline stays as it is.
"""

import os

from first_pipeline_new import first_pipeline  # the unchanged pipeline and steps

from framework import stacks

STACK = "local-dask"

if __name__ == "__main__":  # needed: Dask starts worker processes that import this file
    if STACK not in {s.name for s in stacks.list_stacks()}:
        stacks.register_stack(STACK, orchestrator="dask", orchestrator_options={"max_workers": 2},
                              artifact_store=str(stacks.framework_home() / "dask-artifacts"))
    os.environ.setdefault("FRAMEWORK_STACK", STACK)
    run = first_pipeline(gamma=0.0015)
    model = run.steps["svc_trainer"].output.load()
    X_test = run.steps["digits_data_loader"].outputs["X_test"].load()
    print(f"Run `{run.name}` on stack `{run.stack}`: predictions for 5 test digits: {model.predict(X_test[:5])}")
