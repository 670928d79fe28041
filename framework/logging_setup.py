"""The ``framework`` logger. A handler is installed only when a run or the CLI
needs one and the application configured none: never at import."""

from __future__ import annotations

import logging
import sys

LOGGER_NAME = "framework"


def get_logger() -> logging.Logger:
    return logging.getLogger(LOGGER_NAME)


class _CurrentStdoutHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stdout`` is at each record, so notebooks and tests that
    swap stdout after the first run still see the lines."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    @property
    def stream(self):  # type: ignore[override]
        return sys.stdout

    @stream.setter
    def stream(self, value) -> None:
        pass


def ensure_console_handler() -> logging.Logger:
    """Print run messages as plain lines unless the application set up logging itself."""
    logger = get_logger()
    if not logger.handlers and not logging.getLogger().handlers:
        handler = _CurrentStdoutHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler._framework_default = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.INFO)
    return logger
