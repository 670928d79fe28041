from framework.config import DockerSettings
from framework.integrations.constants import SKLEARN
from framework.pipelines import pipeline

docker_settings = DockerSettings(required_integrations=[SKLEARN])


@pipeline(enable_cache=True, settings={"docker": docker_settings})
def training_pipeline(importer, trainer, evaluator):
    """Load the digits, train an SVC, evaluate it."""
    X_train, X_test, y_train, y_test = importer()
    model = trainer(X_train=X_train, y_train=y_train)
    evaluator(X_test=X_test, y_test=y_test, model=model)
