"""Runs the training pipeline twice: with the YAML configuration, then with a larger C."""

import os

from framework.client import Client
from framework.logger import get_logger
from pipelines import training_pipeline
from steps import SVCTrainerParams, digits_importer, evaluator, svc_trainer

logger = get_logger(__name__)
HERE = os.path.dirname(os.path.abspath(__file__))


def main() -> None:
    training = training_pipeline(
        importer=digits_importer(),
        trainer=svc_trainer(),
        evaluator=evaluator(),
    )
    training.run(config_path=os.path.join(HERE, "config.yaml"), run_name="configured_{{date}}_{{time}}")

    stricter = training_pipeline(
        importer=digits_importer(),
        trainer=svc_trainer(SVCTrainerParams(gamma=0.002, C=10.0)),
        evaluator=evaluator(),
    )
    stricter.run(run_name="large_c_{{date}}_{{time}}")

    pipeline_view = Client().get_pipeline(pipeline="training_pipeline")
    for run in pipeline_view.runs:
        accuracy = run.steps["evaluator"].output.load()
        logger.info("%s: %s, accuracy %.3f", run.name, run.status, accuracy)


if __name__ == "__main__":
    main()
