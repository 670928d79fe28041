"""Hooks referred to by dotted path from the steps and the pipeline."""

from framework.logger import get_logger
from framework.steps import StepContext

logger = get_logger(__name__)

#: What would have been sent to the team's chat.
SENT = []


def notify_failure(exception: BaseException, context: StepContext) -> None:
    message = f"{context.pipeline_name}/{context.step_name} failed: {exception}"
    logger.error(message)
    SENT.append(message)


def notify_success(context: StepContext) -> None:
    SENT.append(f"{context.pipeline_name}/{context.step_name} ok")
