import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.metrics import confusion_matrix

from framework.steps import step
from materializers import EvaluationReport


@step(output_materializers="materializers.report_materializer.ReportMaterializer")
def reporter(model: ClassifierMixin, X_test: np.ndarray, y_test: np.ndarray) -> EvaluationReport:
    predictions = model.predict(X_test)
    return EvaluationReport(
        model_name=type(model).__name__,
        accuracy=float((predictions == y_test).mean()),
        confusion=confusion_matrix(y_test, predictions),
    )
