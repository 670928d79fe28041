from framework.pipelines import BasePipeline
from framework.steps import BaseStep


class ReportPipeline(BasePipeline):
    """Load, split, train a tree and write an evaluation report."""

    def connect(self, loader: BaseStep, splitter: BaseStep, trainer: BaseStep, reporter: BaseStep) -> None:
        features, target = loader()
        X_train, X_test, y_train, y_test = splitter(features=features, target=target)
        model = trainer(X_train=X_train, y_train=y_train)
        reporter(model=model, X_test=X_test, y_test=y_test)
